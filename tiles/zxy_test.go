package tiles

import (
	"errors"
	"strconv"
	"testing"

	"github.com/paulmach/orb/maptile"
)

func TestParseZXY(t *testing.T) {
	tests := map[string]struct {
		z, x, y string
		want    maptile.Tile
		err     error
	}{
		"origin":          {"0", "0", "0", maptile.New(0, 0, 0), nil},
		"manchester":      {"10", "505", "331", maptile.New(505, 331, 10), nil},
		"max zoom corner": {"12", "4095", "4095", maptile.New(4095, 4095, 12), nil},
		"over zoom":       {"22", "4194303", "0", maptile.New(4194303, 0, 22), nil},
		"z too big":       {"23", "0", "0", maptile.Tile{}, ErrOutOfRange},
		"z absurd":        {"99", "0", "0", maptile.Tile{}, ErrOutOfRange},
		"x = 2^z":         {"3", "8", "0", maptile.Tile{}, ErrOutOfRange},
		"y = 2^z":         {"3", "0", "8", maptile.Tile{}, ErrOutOfRange},
		"x huge":          {"3", "99999999999999999999999", "0", maptile.Tile{}, ErrOutOfRange},
		"x negative":      {"3", "-1", "0", maptile.Tile{}, ErrSyntax},
		"x plus":          {"3", "+1", "0", maptile.Tile{}, ErrSyntax},
		"leading zero":    {"03", "1", "0", maptile.Tile{}, ErrSyntax},
		"empty":           {"", "0", "0", maptile.Tile{}, ErrSyntax},
		"space":           {"1", " 0", "0", maptile.Tile{}, ErrSyntax},
		"word":            {"z", "0", "0", maptile.Tile{}, ErrSyntax},
		"with extension":  {"1", "0", "0.mvt", maptile.Tile{}, ErrSyntax},
		"float":           {"1.0", "0", "0", maptile.Tile{}, ErrSyntax},
		"unicode digit":   {"١", "0", "0", maptile.Tile{}, ErrSyntax},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseZXY(tc.z, tc.x, tc.y)
			if tc.err == nil {
				if err != nil || got != tc.want {
					t.Errorf("ParseZXY(%q, %q, %q) = %v, %v; want %v", tc.z, tc.x, tc.y, got, err, tc.want)
				}
				return
			}
			if !errors.Is(err, tc.err) || !errors.Is(err, ErrOutOfRange) {
				t.Errorf("ParseZXY(%q, %q, %q) error %v, want %v (and ErrOutOfRange)", tc.z, tc.x, tc.y, err, tc.err)
			}
		})
	}
}

func FuzzParseZXY(f *testing.F) {
	for _, s := range [][3]string{{"0", "0", "0"}, {"12", "2021", "1326"}, {"22", "4194303", "4194303"},
		{"23", "0", "0"}, {"3", "-1", "0"}, {"03", "1", "1"}, {"1", "1", "1.pbf"}, {"", "", ""}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, z, x, y string) {
		tile, err := ParseZXY(z, x, y)
		if err != nil {
			if !errors.Is(err, ErrOutOfRange) {
				t.Fatalf("ParseZXY(%q, %q, %q) error %v does not wrap ErrOutOfRange", z, x, y, err)
			}
			return
		}
		if tile.Z > OverZoom || tile.X >= 1<<tile.Z || tile.Y >= 1<<tile.Z {
			t.Fatalf("ParseZXY(%q, %q, %q) = %v, outside the pyramid", z, x, y, tile)
		}
		if strconv.Itoa(int(tile.Z)) != z || strconv.Itoa(int(tile.X)) != x || strconv.Itoa(int(tile.Y)) != y {
			t.Fatalf("ParseZXY(%q, %q, %q) = %v does not round-trip", z, x, y, tile)
		}
		if err := checkTile(tile); err != nil {
			t.Fatalf("Render would reject %v: %v", tile, err)
		}
	})
}
