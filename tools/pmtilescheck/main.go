// Command pmtilescheck checks a PMTiles archive written by `pcnmap tiles export --format pmtiles`
// with go-pmtiles, the reference implementation: its own Verify, then every tile addressed by the
// archive's directories against the MBTiles export of the same workspace (the same bytes, and no
// tile of either missing from the other). It is a module of its own so that pcnmap does not link
// go-pmtiles' cloud-storage dependencies; run it with `make pmtilescheck`.
//
//	go run . FILE.pmtiles FILE.mbtiles
package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"log"
	"os"

	"github.com/protomaps/go-pmtiles/pmtiles"
	_ "modernc.org/sqlite"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: pmtilescheck FILE.pmtiles FILE.mbtiles")
		os.Exit(2)
	}
	if err := check(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "pmtilescheck:", err)
		os.Exit(1)
	}
}

func check(pm, mb string) error {
	logger := log.New(os.Stderr, "go-pmtiles: ", 0)
	if err := pmtiles.Verify(logger, pm); err != nil {
		return fmt.Errorf("go-pmtiles Verify: %w", err)
	}
	f, err := os.Open(pm)
	if err != nil {
		return err
	}
	defer f.Close()
	hb := make([]byte, 127)
	if _, err := f.ReadAt(hb, 0); err != nil {
		return err
	}
	h, err := pmtiles.DeserializeHeader(hb)
	if err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+mb+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	get, err := db.Prepare("SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?")
	if err != nil {
		return err
	}
	fetch := func(off, n uint64) ([]byte, error) {
		b := make([]byte, n)
		_, err := f.ReadAt(b, int64(off))
		return b, err
	}
	addressed := 0
	var bad error
	err = pmtiles.IterateEntries(h, fetch, func(e pmtiles.EntryV3) {
		data, err := fetch(h.TileDataOffset+e.Offset, uint64(e.Length))
		if err != nil && bad == nil {
			bad = err
		}
		for id := e.TileID; id < e.TileID+uint64(e.RunLength); id++ {
			z, x, y := pmtiles.IDToZxy(id)
			var want []byte
			err := get.QueryRow(int(z), int(x), int((uint32(1)<<z)-1-y)).Scan(&want)
			if err != nil && bad == nil {
				bad = fmt.Errorf("tile %d/%d/%d is in the PMTiles archive, not in the MBTiles file: %v", z, x, y, err)
			}
			if !bytes.Equal(data, want) && bad == nil {
				bad = fmt.Errorf("tile %d/%d/%d: %d bytes in the PMTiles archive, %d in the MBTiles file", z, x, y, len(data), len(want))
			}
			addressed++
		}
	})
	if err != nil {
		return err
	}
	if bad != nil {
		return bad
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM tiles").Scan(&n); err != nil {
		return err
	}
	if n != addressed || uint64(n) != h.AddressedTilesCount {
		return fmt.Errorf("%d tiles in the MBTiles file, %d addressed by the archive (header says %d)", n, addressed, h.AddressedTilesCount)
	}
	fmt.Printf("pmtilescheck: %s passes go-pmtiles Verify; its %d tiles (%d entries, %d contents) are the MBTiles file's, byte for byte\n",
		pm, addressed, h.TileEntriesCount, h.TileContentsCount)
	return nil
}
