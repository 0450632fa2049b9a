package store

import (
	"context"
	"errors"
	"slices"
	"testing"

	"pcnmap/overlap"
)

// TestAreaCountsMigration: a workspace of schema 5 (no area_counts, no release_directory) gets each release's counts
// derived from its rows on opening, the ones the save writes (and Load derives), so that LoadAround
// reads them and no rows.
func TestAreaCountsMigration(t *testing.T) {
	ctx := context.Background()
	d := fixture(t)
	path := saved(t, d)
	w, err := Open(ctx, path, false)
	if err != nil {
		t.Fatal(err)
	}
	var want overlap.Dataset
	if err := readAreaCounts(ctx, w.ro, d.Release, &want); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if len(want.Cells) == 0 || len(want.NoPCNCells) == 0 || !slices.Equal(want.Cells, d.Cells) || !slices.Equal(want.NoPCNCells, d.NoPCNCells) {
		t.Fatalf("saved %d cells, %d no-PCN practice cells; the dataset has %d, %d", len(want.Cells), len(want.NoPCNCells), len(d.Cells), len(d.NoPCNCells))
	}
	w = reopenedAfter(t, path, `DROP TABLE area_counts`, `DROP TABLE release_directory`, `UPDATE meta SET value = '5' WHERE key = 'schema'`)
	var got overlap.Dataset
	if err := readAreaCounts(ctx, w.ro, d.Release, &got); err != nil {
		t.Fatalf("after the migration: %v", err)
	}
	if !slices.Equal(got.Cells, want.Cells) || !slices.Equal(got.NoPCNCells, want.NoPCNCells) {
		t.Errorf("migrated: %d cells, %d no-PCN practice cells; saved: %d, %d", len(got.Cells), len(got.NoPCNCells), len(want.Cells), len(want.NoPCNCells))
	}
	around, err := w.LoadAround(ctx, "", func(a *overlap.Area) bool { return a.Code == d.Areas[0].Code })
	if err != nil || around.Rows != nil || !slices.Equal(around.Cells, d.Cells) {
		t.Errorf("LoadAround after the migration: %v, %d rows, %d cells", err, len(around.Rows), len(around.Cells))
	}
	// A corrupt blob is an error naming what is wrong, not a panic.
	for _, q := range []string{`UPDATE area_counts SET cells = x'05'`, `UPDATE area_counts SET no_pcn = x'0102'`} {
		w.Close()
		w = reopenedAfter(t, path, q)
		if _, err := w.LoadAround(ctx, "", func(*overlap.Area) bool { return true }); !errors.Is(err, ErrCorrupt) {
			t.Errorf("LoadAround after %s = %v, want ErrCorrupt", q, err)
		}
	}
}

// TestPackCells: the blobs read back as written, and a truncated one is corrupt.
func TestPackCells(t *testing.T) {
	cells := []overlap.Cell{{Area: 0, PCN: 3, Patients: 10}, {Area: 0, PCN: 7}, {Area: 2, PCN: 1, Patients: 1<<31 - 1}, {Area: 9, Patients: 5}}
	got, err := unpackCells(packCells(cells))
	if err != nil || !slices.Equal(got, cells) {
		t.Errorf("cells read back as %v, %v; want %v", got, err, cells)
	}
	pcs := []overlap.PracticeCell{{Area: 1, Practice: 4}, {Area: 1, Practice: 6, Patients: 1 << 40}, {Area: 3, Patients: 2}}
	gotP, err := unpackPracticeCells(packPracticeCells(pcs))
	if err != nil || !slices.Equal(gotP, pcs) {
		t.Errorf("practice cells read back as %v, %v; want %v", gotP, err, pcs)
	}
	b := packCells(cells)
	for n := range len(b) {
		if _, err := unpackCells(b[:n]); !errors.Is(err, ErrCorrupt) {
			t.Errorf("cells truncated to %d bytes: %v, want ErrCorrupt", n, err)
		}
	}
	if _, err := unpackCells(append(b, 0)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("cells with a trailing byte: %v, want ErrCorrupt", err)
	}
	if _, err := unpackPracticeCells(packCells([]overlap.Cell{{Area: -1}})); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a negative area: %v, want ErrCorrupt", err)
	}
}
