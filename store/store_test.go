package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"pcnmap/fixtures"
	"pcnmap/nhs"
	"pcnmap/overlap"
)

func fixture(t testing.TB) *overlap.Dataset {
	t.Helper()
	d, err := fixtures.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func saved(t testing.TB, d *overlap.Dataset) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "w.db")
	if err := Ingest(context.Background(), path, d, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRoundTrip: what Load reads back is what Save wrote, down to every derived total.
func TestRoundTrip(t *testing.T) {
	d := fixture(t)
	w, err := Open(context.Background(), saved(t, d), false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	got, err := w.Load(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]struct{ got, want any }{
		"release":    {got.Release, d.Release},
		"dates":      {[]time.Time{got.ExtractDate, got.AsOf}, []time.Time{d.ExtractDate, d.AsOf}},
		"areas":      {got.Areas, d.Areas},
		"pcns":       {got.PCNs, d.PCNs},
		"practices":  {got.Practices, d.Practices},
		"lsoas":      {got.LSOAs, d.LSOAs},
		"rows":       {got.Rows, d.Rows},
		"cells":      {got.Cells, d.Cells},
		"coverage":   {got.Coverage, d.Coverage},
		"units":      {got.Units, d.Units},
		"aliases":    {got.Aliases, d.Aliases},
		"boundaries": {got.Boundaries, d.Boundaries},
		"sources":    {got.Sources, d.Sources},
		"notes":      {got.Notes, d.Notes},
		"metrics":    {got.AreaMetrics(nil, 0.01), d.AreaMetrics(nil, 0.01)},
	}
	for name, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("Load after Save: %s differ", name)
		}
	}
	// The fixture's sub-icb-icb.csv gives the NHS codes: Trafford's ICB, Greater Manchester, is QOP.
	if d.Aliases[nhs.KindICB]["QOP"] != "E54000057" || d.Aliases[nhs.KindSubICB]["02A"] != "E38000187" {
		t.Errorf("aliases of the fixture: ICB QOP → %q, Sub-ICB 02A → %q; want E54000057, E38000187", d.Aliases[nhs.KindICB]["QOP"], d.Aliases[nhs.KindSubICB]["02A"])
	}
	rs, err := w.Releases(context.Background())
	if err != nil || len(rs) != 1 || rs[0].Name != d.Release || !rs[0].IngestedAt.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("Releases = %+v, %v", rs, err)
	}
}

// TestSaveCancelled: a cancelled save rolls back and leaves the file byte-for-byte as it was.
func TestSaveCancelled(t *testing.T) {
	d := fixture(t)
	path := saved(t, d)
	before := digest(t, path)
	other := *d
	other.Release = "other"
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w, err := Open(context.Background(), path, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Save(ctx, &other, time.Now()); !errors.Is(err, context.Canceled) {
		t.Errorf("Save with a cancelled context = %v, want context.Canceled", err)
	}
	w.Close()
	if digest(t, path) != before {
		t.Error("a cancelled Save changed the workspace")
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(context.Background(), filepath.Join(dir, "absent.db"), false); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open of a missing file = %v, want ErrNotExist", err)
	}
	w, err := Open(context.Background(), filepath.Join(dir, "empty.db"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Load(context.Background(), ""); !errors.Is(err, ErrNoRelease) {
		t.Errorf("Load from an empty workspace = %v, want ErrNoRelease", err)
	}
	d := fixture(t)
	if err := w.Save(context.Background(), d, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Load(context.Background(), "1999-01"); !errors.Is(err, ErrNoRelease) {
		t.Errorf("Load of an absent release = %v, want ErrNoRelease", err)
	}
	if _, err := w.db.Exec(`UPDATE meta SET value = '999' WHERE key = 'schema'`); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := Open(context.Background(), filepath.Join(dir, "empty.db"), false); err == nil {
		t.Error("Open of a workspace with a newer schema succeeded")
	}
}

func TestUnpackRows(t *testing.T) {
	rows := []overlap.Row{{Practice: 0, LSOA: 5, Patients: 7}, {Practice: 3, LSOA: 1, Patients: 0}, {Practice: 1, LSOA: 1 << 20, Patients: 1 << 30}}
	got, err := unpackRows(packRows(rows))
	if err != nil || !reflect.DeepEqual(got, rows) {
		t.Errorf("unpackRows(packRows(%v)) = %v, %v", rows, got, err)
	}
	packed := packRows(rows)
	for n := range len(packed) {
		if _, err := unpackRows(packed[:n]); !errors.Is(err, ErrCorrupt) {
			t.Errorf("unpackRows of %d of %d bytes = %v, want ErrCorrupt", n, len(packed), err)
		}
	}
}

// FuzzUnpackRows: a damaged blob is an error, never a panic or a huge allocation.
func FuzzUnpackRows(f *testing.F) {
	f.Add(packRows([]overlap.Row{{Practice: 2, LSOA: 3, Patients: 4}}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := unpackRows(b)
		if err != nil {
			return
		}
		again, err := unpackRows(packRows(rows))
		if err != nil || !reflect.DeepEqual(again, rows) {
			t.Fatalf("rows %v do not round-trip: %v", rows, err)
		}
	})
}

func digest(t testing.TB, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestMigrateSchema1: a workspace written before the LSOA points opens, gains the columns (and,
// through schema 2, the LSOA polygon tables), and loads with no points; the release is otherwise
// intact.
func TestMigrateSchema1(t *testing.T) {
	d := fixture(t)
	path := saved(t, d)
	w := reopenedAfter(t, path, `ALTER TABLE lsoas DROP COLUMN lon`, `ALTER TABLE lsoas DROP COLUMN lat`,
		`DROP TABLE lsoa_polygons`, `UPDATE meta SET value = '1' WHERE key = 'schema'`)
	got, err := w.Load(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.LSOAs) != len(d.LSOAs) || len(got.Rows) != len(d.Rows) {
		t.Fatalf("migrated release has %d LSOAs and %d rows, want %d and %d", len(got.LSOAs), len(got.Rows), len(d.LSOAs), len(d.Rows))
	}
	for _, l := range got.LSOAs {
		if l.HasPoint {
			t.Fatalf("LSOA %s has a point after migrating a workspace that had none", l.Code)
		}
	}
	if _, err := w.LSOAPolygons(context.Background(), "", orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}); !errors.Is(err, ErrNoLSOAPolygons) {
		t.Errorf("LSOAPolygons after migrating from schema 1 = %v, want ErrNoLSOAPolygons", err)
	}
}

// TestMigrateSchema3: a workspace written before the units' NHS codes were kept opens, gains their
// table, and loads with none; the units themselves are intact.
func TestMigrateSchema3(t *testing.T) {
	d := fixture(t)
	w := reopenedAfter(t, saved(t, d), `DROP TABLE unit_aliases`, `UPDATE meta SET value = '3' WHERE key = 'schema'`)
	got, err := w.Load(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for k := range overlap.KindCount {
		if len(got.Aliases[k]) != 0 || !reflect.DeepEqual(got.Units[k], d.Units[k]) {
			t.Fatalf("kind %v after migrating from schema 3: %d aliases, units equal %v; want none, true", nhs.Kind(k), len(got.Aliases[k]), reflect.DeepEqual(got.Units[k], d.Units[k]))
		}
	}
}

// TestLSOAPoints: the fixture is ingested with centroids, so every LSOA has a point, and the round
// trip above compares them; this keeps that comparison from being vacuous.
func TestLSOAPoints(t *testing.T) {
	for _, l := range fixture(t).LSOAs {
		if !l.HasPoint || l.Point[0] > -0.4 || l.Point[0] < -2.6 || l.Point[1] < 52.5 || l.Point[1] > 53.6 {
			t.Fatalf("LSOA %s: point %v, has %v; want a point in Trafford, Manchester or Rutland", l.Code, l.Point, l.HasPoint)
		}
	}
}

// reopenedAfter runs queries on the workspace at path, taking it back to an older schema, then opens
// it again as the next command would and checks that it was migrated to schemaVersion. The test's
// end closes it.
// loaded opens the workspace at path (closed when the test ends) and loads its newest release.
func loaded(t *testing.T, path string) (*Workspace, *overlap.Dataset) {
	t.Helper()
	ctx := context.Background()
	w, err := Open(ctx, path, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	d, err := w.Load(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	return w, d
}

func reopenedAfter(t *testing.T, path string, queries ...string) *Workspace {
	t.Helper()
	w, err := Open(context.Background(), path, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		if _, err := w.db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	w.Close()
	if w, err = Open(context.Background(), path, false); err != nil {
		t.Fatalf("Open of an older workspace: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	var version string
	if err := w.db.QueryRow(`SELECT value FROM meta WHERE key = 'schema'`).Scan(&version); err != nil || version != schemaVersion {
		t.Errorf("schema after migration = %q, %v; want %s", version, err, schemaVersion)
	}
	return w
}
