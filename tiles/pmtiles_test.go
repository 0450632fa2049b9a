package tiles

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb/maptile"
)

// TestTileID checks the Hilbert IDs against the PMTiles v3 specification's examples.
func TestTileID(t *testing.T) {
	for tile, want := range map[maptile.Tile]uint64{
		maptile.New(0, 0, 0): 0, maptile.New(0, 0, 1): 1, maptile.New(0, 1, 1): 2, maptile.New(1, 1, 1): 3,
		maptile.New(1, 0, 1): 4, maptile.New(0, 0, 2): 5, maptile.New(3, 0, 2): 20,
		maptile.New(0, 0, 12): 5592405,
	} {
		if got := TileID(tile); got != want {
			t.Errorf("TileID(%d/%d/%d) = %d, want %d", tile.Z, tile.X, tile.Y, got, want)
		}
	}
	// Every tile of a zoom gets a distinct ID in its zoom's range.
	for z := maptile.Zoom(0); z <= 6; z++ {
		n := uint32(1) << z
		base := (uint64(1)<<(2*z) - 1) / 3
		seen := map[uint64]bool{}
		for x := range n {
			for y := range n {
				id := TileID(maptile.New(x, y, z))
				if id < base || id >= base+uint64(n)*uint64(n) || seen[id] {
					t.Fatalf("TileID(%d/%d/%d) = %d: outside [%d, %d) or repeated", z, x, y, id, base, base+uint64(n)*uint64(n))
				}
				seen[id] = true
			}
		}
	}
}

// TestPMTilesRoundTrip converts the fixture's MBTiles and reads every tile back: the same bytes at
// every z/x/y, nothing where MBTiles has nothing, the same metadata; twice gives the same file.
func TestPMTilesRoundTrip(t *testing.T) {
	path, _, st := exportFixture(t)
	m, err := OpenMBTiles(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	out := filepath.Join(t.TempDir(), "t.pmtiles")
	ps, err := ConvertMBTiles(t.Context(), m, out)
	if err != nil {
		t.Fatal(err)
	}
	if ps.Tiles != st.Tiles || ps.Contents > ps.Tiles || ps.Entries > ps.Tiles {
		t.Errorf("stats %+v for %d MBTiles tiles", ps, st.Tiles)
	}
	p, err := OpenPMTiles(out)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	checkSameTiles(t, m, p, 12)
	for _, k := range []string{"name", "attribution", "description", "minzoom", "maxzoom", "json"} {
		if a, b := m.Metadata()[k], p.Metadata()[k]; a != b && k != "json" || b == "" {
			t.Errorf("metadata %s: MBTiles %q, PMTiles %q", k, a, b)
		}
	}
	first, _ := os.ReadFile(out)
	if _, err := ConvertMBTiles(t.Context(), m, out); err != nil {
		t.Fatal(err)
	}
	if second, _ := os.ReadFile(out); !bytes.Equal(first, second) {
		t.Errorf("two conversions differ")
	}
}

// TestPMTilesLeaves forces leaf directories (a root too big for 16 KiB) by converting many
// distinct tiles.
func TestPMTilesLeaves(t *testing.T) {
	es := make([]pmEntry, 60000)
	for i := range es {
		es[i] = pmEntry{TileID: uint64(i * 3), Offset: uint64(i * 100), Length: uint32(50 + i%50), RunLength: 1}
	}
	root, leaves, err := buildDirectories(es)
	if err != nil {
		t.Fatal(err)
	}
	if len(root) > pmRootMax || len(leaves) == 0 {
		t.Fatalf("root %d bytes, leaves %d bytes: want a root under %d and leaves", len(root), len(leaves), pmRootMax)
	}
	p := &PMTiles{h: pmHeader{Internal: pmGzip}}
	rootEs, err := p.decompress(root)
	if err != nil {
		t.Fatal(err)
	}
	re, err := deserializeEntries(rootEs)
	if err != nil {
		t.Fatal(err)
	}
	var back []pmEntry
	for _, r := range re {
		if r.RunLength != 0 {
			t.Fatalf("root entry %+v is not a leaf pointer", r)
		}
		b, err := p.decompress(leaves[r.Offset : r.Offset+uint64(r.Length)])
		if err != nil {
			t.Fatal(err)
		}
		le, err := deserializeEntries(b)
		if err != nil {
			t.Fatal(err)
		}
		back = append(back, le...)
	}
	if len(back) != len(es) {
		t.Fatalf("%d entries back, want %d", len(back), len(es))
	}
	for i := range es {
		if back[i] != es[i] {
			t.Fatalf("entry %d = %+v, want %+v", i, back[i], es[i])
		}
	}
}

// checkSameTiles reads every tile up to maxZoom from both archives.
func checkSameTiles(t *testing.T, a, b Archive, maxZoom maptile.Zoom) {
	t.Helper()
	n := 0
	for z := maptile.Zoom(0); z <= maxZoom; z++ {
		// Only the fixture's corner of England: the tiles over Trafford, Manchester and Rutland.
		min := maptile.At([2]float64{-2.6, 53.6}, z)
		max := maptile.At([2]float64{-0.4, 52.5}, z)
		for x := min.X; x <= max.X; x++ {
			for y := min.Y; y <= max.Y; y++ {
				tile := maptile.New(x, y, z)
				ta, err := a.Tile(t.Context(), tile)
				if err != nil {
					t.Fatal(err)
				}
				tb, err := b.Tile(t.Context(), tile)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(ta, tb) {
					t.Fatalf("tile %d/%d/%d: %d bytes in one, %d in the other", z, x, y, len(ta), len(tb))
				}
				if ta != nil {
					n++
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no tiles compared")
	}
	t.Logf("%d tiles the same", n)
}

// FuzzOpenPMTiles feeds arbitrary files to the reader (serve --pmtiles opens what users bring): it
// must return an error or an archive whose tiles can be asked for, never panic.
func FuzzOpenPMTiles(f *testing.F) {
	path, _, _ := exportFixture(f)
	m, err := OpenMBTiles(context.Background(), path)
	if err != nil {
		f.Fatal(err)
	}
	out := filepath.Join(f.TempDir(), "seed.pmtiles")
	if _, err := ConvertMBTiles(context.Background(), m, out); err != nil {
		f.Fatal(err)
	}
	m.Close()
	seed, err := os.ReadFile(out)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed[:min(len(seed), 16384)]) // the header, root directory and metadata
	f.Add([]byte("PMTiles\x03"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "f.pmtiles")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		a, err := OpenPMTiles(p)
		if err != nil {
			return
		}
		defer a.Close()
		for _, tile := range []maptile.Tile{maptile.New(0, 0, 0), maptile.New(2017, 1323, 12), maptile.New(63, 41, 7)} {
			a.Tile(context.Background(), tile)
		}
	})
}

// TestPMTilesCaps opens archives whose header points outside the file or at a section over the
// 64 MiB cap: each is refused as ErrPMTiles, not read or allocated.
func TestPMTilesCaps(t *testing.T) {
	for name, h := range map[string]pmHeader{
		"root past the end":  {RootOffset: pmHeaderLen, RootLength: 1 << 20, Internal: pmGzip, TileType: pmMVT},
		"root over the cap":  {RootOffset: pmHeaderLen, RootLength: maxDirectory + 1, Internal: pmGzip, TileType: pmMVT},
		"offset overflowing": {RootOffset: 1<<64 - 10, RootLength: 100, Internal: pmGzip, TileType: pmMVT},
		"not vector tiles":   {RootOffset: pmHeaderLen, RootLength: 1, Internal: pmGzip, TileType: 2},
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x.pmtiles")
			if err := os.WriteFile(p, append(h.serialize(), make([]byte, 64)...), 0o644); err != nil {
				t.Fatal(err)
			}
			if a, err := OpenPMTiles(p); !errors.Is(err, ErrPMTiles) {
				if a != nil {
					a.Close()
				}
				t.Errorf("OpenPMTiles = %v, want ErrPMTiles", err)
			}
		})
	}
}
