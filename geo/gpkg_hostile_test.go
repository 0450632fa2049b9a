package geo

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
)

// alterGpkg runs statements on a test GeoPackage of two squares and returns its path.
func alterGpkg(t *testing.T, stmts ...string) string {
	t.Helper()
	p := makeGpkg(t, 27700, "EPSG", 27700, "", []gpkgRow{{"A", gpkgBlob(bngSquare)}, {"B", gpkgBlob(bngSquare)}})
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return p
}

// endless is a view whose rows never end: the recursive CTE that kept a core busy for ever.
const endless = `CREATE VIEW areas AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i AS fid, 'X' || i AS code, NULL AS geom FROM n`

// TestGeoPackageAsData: a GeoPackage is read as data: its views, virtual tables and computed columns
// are refused before they run, its rows are capped, and its queries stop with the context.
func TestGeoPackageAsData(t *testing.T) {
	tests := map[string]struct {
		path func(t *testing.T) string
		opt  ReadOptions
		want error
		msg  string
	}{
		"features table is an endless view": {func(t *testing.T) string {
			return alterGpkg(t, `DROP TABLE areas`, endless)
		}, ReadOptions{}, ErrMalformed, "view"},
		"gpkg_contents is a view": {func(t *testing.T) string {
			return alterGpkg(t, `ALTER TABLE gpkg_contents RENAME TO c0`,
				`CREATE VIEW gpkg_contents AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT 'areas' AS table_name, 'features' AS data_type FROM n`)
		}, ReadOptions{}, ErrMalformed, "gpkg_contents is a view"},
		"features table is virtual": {func(t *testing.T) string {
			return alterGpkg(t, `DROP TABLE areas`, `CREATE VIRTUAL TABLE areas USING rtree(fid, minx, maxx, miny, maxy)`)
		}, ReadOptions{}, ErrMalformed, "virtual table"},
		"computed geometry column": {func(t *testing.T) string {
			return alterGpkg(t, `DROP TABLE areas`, `CREATE TABLE areas (fid INTEGER PRIMARY KEY, code TEXT, geom BLOB GENERATED ALWAYS AS (zeroblob(1000000000)) VIRTUAL)`,
				`INSERT INTO areas (code) VALUES ('A')`)
		}, ReadOptions{}, ErrMalformed, "computed"},
		"a geometry over the 64 MiB value cap": {func(t *testing.T) string {
			return alterGpkg(t, `UPDATE areas SET geom = zeroblob(65 << 20) WHERE code = 'B'`)
		}, ReadOptions{}, ErrLimit, "areas: a value over 64 MiB"},
		"rows over the cap": {func(t *testing.T) string { return alterGpkg(t) }, ReadOptions{MaxFeatures: 1}, ErrLimit, "MaxFeatures"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ReadFileContext(context.Background(), tc.path(t), "hostile.gpkg", tc.opt)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("read error = %v, want %v mentioning %q", err, tc.want, tc.msg)
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := ReadFileContext(ctx, alterGpkg(t), "a.gpkg", ReadOptions{}); !errors.Is(err, context.Canceled) {
			t.Fatalf("read under a cancelled context: error = %v, want context.Canceled", err)
		}
	})
}
