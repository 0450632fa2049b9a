package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"pcnmap/overlap"
)

// TestIngestPrepared: the workspace IngestPrepared writes holds what Ingest's holds; a prepare that
// fails leaves no workspace and no temporary file behind when there was none, and an existing
// workspace (here of schema 4, which opening would migrate) byte for byte as it was.
func TestIngestPrepared(t *testing.T) {
	ctx := context.Background()
	d := fixture(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "w.db")
	got, err := IngestPrepared(ctx, path, func(context.Context) (*overlap.Dataset, error) { return d, nil })
	if err != nil || got != d {
		t.Fatalf("IngestPrepared = %p, %v; want the dataset prepared", got, err)
	}
	w, err := Open(ctx, path, false)
	if err != nil {
		t.Fatal(err)
	}
	back, err := w.Load(ctx, "")
	w.Close()
	if err != nil || back.Release != d.Release || len(back.Areas) != len(d.Areas) || len(back.Cells) != len(d.Cells) || len(back.Rows) != len(d.Rows) {
		t.Fatalf("Load after IngestPrepared: %v; want the release saved", err)
	}

	bad := errors.New("the registrations are unreadable")
	failing := func(context.Context) (*overlap.Dataset, error) { return nil, bad }
	fresh := filepath.Join(dir, "fresh.db")
	if _, err := IngestPrepared(ctx, fresh, failing); !errors.Is(err, bad) {
		t.Errorf("IngestPrepared with a failing prepare = %v, want its error", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*fresh*")); len(left) != 0 {
		t.Errorf("a failed first ingest left %v", left)
	}

	old := saved(t, d)
	raw, err := Open(ctx, old, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.db.Exec(`UPDATE meta SET value = '4' WHERE key = 'schema'`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	before := digest(t, old)
	if _, err := IngestPrepared(ctx, old, failing); !errors.Is(err, bad) {
		t.Errorf("IngestPrepared into a workspace with a failing prepare = %v, want its error", err)
	}
	if digest(t, old) != before {
		t.Error("a failed ingest into an existing workspace changed it")
	}
	if _, err := os.Stat(old + "-journal"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed ingest left a journal: %v", err)
	}
}

// TestIngestStaged: the areas and the release's notes are saved as finish leaves them (it is called
// before they are written, after the rest); a failing finish is returned as it is and leaves no new
// workspace, and an existing one byte for byte as it was.
func TestIngestStaged(t *testing.T) {
	ctx := context.Background()
	d := *fixture(t)
	d.Areas = slices.Clone(d.Areas)
	d.Notes = slices.Clone(d.Notes)
	want := d.Areas[0].Geom
	d.Areas[0].Geom = nil // completed by finish, as ingest.PrepareStaged's areas are
	dir := t.TempDir()
	path := filepath.Join(dir, "w.db")
	calls := 0
	_, err := IngestStaged(ctx, path, func(context.Context) (*overlap.Dataset, func() error, error) {
		return &d, func() error {
			calls++
			d.Areas[0].Geom = want
			d.Notes = append(d.Notes, "finished")
			return nil
		}, nil
	})
	if err != nil || calls != 1 {
		t.Fatalf("IngestStaged = %v, finish called %d times; want nil, once", err, calls)
	}
	w, err := Open(ctx, path, false)
	if err != nil {
		t.Fatal(err)
	}
	back, err := w.Load(ctx, "")
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(back.Notes, "finished") || len(back.Areas[0].Geom) == 0 {
		t.Errorf("saved notes %q, first area %d polygons: want finish's note and geometry", back.Notes, len(back.Areas[0].Geom))
	}

	bad := errors.New("area E02000001: a ring crosses itself")
	failing := func(context.Context) (*overlap.Dataset, func() error, error) {
		return &d, func() error { return bad }, nil
	}
	fresh := filepath.Join(dir, "fresh.db")
	if _, err := IngestStaged(ctx, fresh, failing); err != bad {
		t.Errorf("IngestStaged with a failing finish = %v, want its error as it is", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*fresh*")); len(left) != 0 {
		t.Errorf("a failed first ingest left %v", left)
	}
	before := digest(t, path)
	if _, err := IngestStaged(ctx, path, failing); err != bad {
		t.Errorf("IngestStaged into a workspace with a failing finish = %v, want its error", err)
	}
	if digest(t, path) != before {
		t.Error("a failed finish changed the existing workspace")
	}
}
