package tiles

import (
	"math/rand/v2"
	"testing"
)

// TestCellTable: the table answers as a map would, across growth, for keys that collide in their
// low and high bits.
func TestCellTable(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tab := newCellTable(4)
	want := map[uint64]int32{}
	for i := range 20000 {
		var k uint64
		switch i % 3 {
		case 0:
			k = r.Uint64()
		case 1:
			k = uint64(r.IntN(1000)) << 32
		default:
			k = uint64(r.IntN(1000))
		}
		if _, ok := want[k]; ok {
			continue
		}
		want[k] = int32(i)
		tab.put(k, int32(i))
	}
	for k, v := range want {
		if got, ok := tab.get(k); !ok || got != v {
			t.Fatalf("get(%#x) = %d, %v; want %d", k, got, ok, v)
		}
	}
	for range 1000 {
		k := r.Uint64() | 1<<63
		if _, in := want[k]; in {
			continue
		}
		if _, ok := tab.get(k); ok {
			t.Fatalf("get(%#x) found a key never put", k)
		}
	}
}
