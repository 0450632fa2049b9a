// Package gpkg writes OGC GeoPackage 1.3 files (modernc.org/sqlite, no cgo): feature tables of
// multipolygons in WGS84 (EPSG:4326) with an R-tree spatial index each (the gpkg_rtree_index
// extension, populated and with the spec's triggers), attribute tables, and a QGIS style per layer in
// layer_styles. The file is byte-for-byte the same for the same layers: nothing records the time it
// was written (last_change is the caller's date) and rows go in the order given.
package gpkg

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// ErrLayer reports a layer that cannot be written (a bad name, a row of the wrong width).
var ErrLayer = errors.New("gpkg: invalid layer")

// FieldType is the SQLite type of a column.
type FieldType uint8

// The column types GeoPackage allows that pcnmap uses.
const (
	FieldUnset FieldType = iota
	FieldText
	FieldInteger
	FieldReal
	// FieldBoolean is GeoPackage's BOOLEAN: values int64 0 or 1 (see Bool) or nil; GDAL and QGIS
	// read it as a boolean.
	FieldBoolean
)

// Bool is a FieldBoolean value.
func Bool(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (t FieldType) String() string {
	switch t {
	case FieldText:
		return "TEXT"
	case FieldInteger:
		return "INTEGER"
	case FieldReal:
		return "REAL"
	case FieldBoolean:
		return "BOOLEAN"
	}
	return "unset"
}

// Field is a column of a layer.
type Field struct {
	Name string
	Type FieldType
}

// Row is one feature or record: its geometry (nil in an attribute table, or for a feature without
// one) and one value per field: string, int64, float64 or nil (NULL); 0, 1 or nil for a boolean.
type Row struct {
	Geom   orb.MultiPolygon
	Values []any
}

// Layer is one table. With Features set it is a feature table with a MULTIPOLYGON column "geom";
// otherwise an attribute table.
type Layer struct {
	Name        string // table name: letters, digits and _; not starting with gpkg_ or rtree_
	Description string
	Features    bool
	Fields      []Field
	Rows        []Row
	// StyleQML is the layer's QGIS style (a QML document), written to layer_styles as its default
	// style; empty for none.
	StyleQML string
	// StyleName names the style in QGIS's style manager; the layer name when empty.
	StyleName string
}

// Options configures Write.
type Options struct {
	// LastChange is written as every table's gpkg_contents.last_change and the styles' update time;
	// the zero value is the Unix epoch. Give the data's own date, not the time of writing, to keep
	// the file reproducible.
	LastChange time.Time
}

// SRSID is the spatial reference of every feature table: WGS84 longitude/latitude.
const SRSID = 4326

// Write writes the layers to a GeoPackage at path, replacing it. The file is built under a temporary
// name in the same directory and renamed at the end, so a failure leaves nothing behind.
func Write(ctx context.Context, path string, opt Options, layers ...Layer) error {
	if err := check(layers); err != nil {
		return err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("gpkg: %w", err)
	}
	tmp := f.Name()
	f.Close()
	defer os.Remove(tmp)
	if err := write(ctx, tmp, opt, layers); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("gpkg: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("gpkg: %w", err)
	}
	return nil
}

func check(layers []Layer) error {
	seen := map[string]bool{}
	for _, l := range layers {
		if !validName(l.Name) || strings.HasPrefix(strings.ToLower(l.Name), "gpkg_") || strings.HasPrefix(strings.ToLower(l.Name), "rtree_") || strings.EqualFold(l.Name, "layer_styles") {
			return fmt.Errorf("%w: table name %q", ErrLayer, l.Name)
		}
		if seen[strings.ToLower(l.Name)] {
			return fmt.Errorf("%w: two tables named %q", ErrLayer, l.Name)
		}
		seen[strings.ToLower(l.Name)] = true
		cols := map[string]bool{"fid": true, "geom": l.Features}
		for _, fd := range l.Fields {
			if !validName(fd.Name) || cols[strings.ToLower(fd.Name)] || fd.Type == FieldUnset {
				return fmt.Errorf("%w: %s: column %q (%s)", ErrLayer, l.Name, fd.Name, fd.Type)
			}
			cols[strings.ToLower(fd.Name)] = true
		}
		for i, r := range l.Rows {
			if len(r.Values) != len(l.Fields) {
				return fmt.Errorf("%w: %s: row %d has %d values for %d fields", ErrLayer, l.Name, i+1, len(r.Values), len(l.Fields))
			}
			for j, fd := range l.Fields {
				if v := r.Values[j]; fd.Type == FieldBoolean && v != nil && v != int64(0) && v != int64(1) {
					return fmt.Errorf("%w: %s: row %d: boolean %s = %v (want 0, 1 or nil)", ErrLayer, l.Name, i+1, fd.Name, v)
				}
			}
			if !l.Features && r.Geom != nil {
				return fmt.Errorf("%w: %s: row %d has a geometry in an attribute table", ErrLayer, l.Name, i+1)
			}
		}
	}
	return nil
}

func validName(s string) bool {
	if s == "" || len(s) > 63 || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// The tables every GeoPackage holds (OGC 12-128r18, 1.3.0), with the three required SRS rows.
const schema = `
PRAGMA application_id = 1196444487;
PRAGMA user_version = 10300;
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
  scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
CREATE TABLE gpkg_tile_matrix_set (
  table_name TEXT NOT NULL PRIMARY KEY, srs_id INTEGER NOT NULL,
  min_x DOUBLE NOT NULL, min_y DOUBLE NOT NULL, max_x DOUBLE NOT NULL, max_y DOUBLE NOT NULL,
  CONSTRAINT fk_gtms_table_name FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gtms_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE gpkg_tile_matrix (
  table_name TEXT NOT NULL, zoom_level INTEGER NOT NULL, matrix_width INTEGER NOT NULL,
  matrix_height INTEGER NOT NULL, tile_width INTEGER NOT NULL, tile_height INTEGER NOT NULL,
  pixel_x_size DOUBLE NOT NULL, pixel_y_size DOUBLE NOT NULL,
  CONSTRAINT pk_ttm PRIMARY KEY (table_name, zoom_level),
  CONSTRAINT fk_tmm_table_name FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name));
INSERT INTO gpkg_spatial_ref_sys VALUES
 ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
 ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
 ('WGS 84 geodetic', 4326, 'EPSG', 4326, 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
`

// layerStyles is QGIS's own table of styles (what QGIS creates on "Save to database").
const layerStyles = `
CREATE TABLE layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
  f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT,
  styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME);
`

func write(ctx context.Context, path string, opt Options, layers []Layer) error {
	// One connection, no journal: the file is private until renamed, so a crash needs no rollback.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=page_size(4096)")
	if err != nil {
		return fmt.Errorf("gpkg: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("gpkg: %w", err)
	}
	defer conn.Close()
	exec := func(q string, args ...any) error {
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("gpkg: %w", err)
		}
		return nil
	}
	if err := exec(schema); err != nil {
		return err
	}
	when := opt.LastChange.UTC().Format("2006-01-02T15:04:05.000Z")
	styled := false
	for _, l := range layers {
		styled = styled || l.StyleQML != ""
	}
	if styled {
		if err := exec(layerStyles); err != nil {
			return err
		}
	}
	for _, l := range layers {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := writeLayer(ctx, conn, l, when); err != nil {
			return err
		}
	}
	if styled {
		if err := exec(`INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS styles of the layers', ?)`, when); err != nil {
			return err
		}
		for _, l := range layers {
			if l.StyleQML == "" {
				continue
			}
			geomCol := ""
			if l.Features {
				geomCol = "geom"
			}
			name := l.StyleName
			if name == "" {
				name = l.Name
			}
			if err := exec(`INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time)
				VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', NULL, ?)`, l.Name, geomCol, name, l.StyleQML, l.Description, when); err != nil {
				return err
			}
		}
	}
	// VACUUM lays the pages out in a canonical order: the same layers give the same bytes.
	return exec(`VACUUM`)
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func writeLayer(ctx context.Context, conn *sql.Conn, l Layer, when string) error {
	exec := func(q string, args ...any) error {
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("gpkg: %s: %w", l.Name, err)
		}
		return nil
	}
	var cols strings.Builder
	cols.WriteString("fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL")
	if l.Features {
		cols.WriteString(", geom MULTIPOLYGON")
	}
	for _, f := range l.Fields {
		fmt.Fprintf(&cols, ", %s %s", quote(f.Name), f.Type)
	}
	t := quote(l.Name)
	if err := exec(fmt.Sprintf("CREATE TABLE %s (%s)", t, cols.String())); err != nil {
		return err
	}
	if err := exec("BEGIN"); err != nil {
		return err
	}
	names := make([]string, 0, len(l.Fields)+1)
	marks := make([]string, 0, len(l.Fields)+1)
	if l.Features {
		names, marks = append(names, "geom"), append(marks, "?")
	}
	for _, f := range l.Fields {
		names, marks = append(names, quote(f.Name)), append(marks, "?")
	}
	stmt, err := conn.PrepareContext(ctx, fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", t, strings.Join(names, ", "), strings.Join(marks, ", ")))
	if err != nil {
		return fmt.Errorf("gpkg: %s: %w", l.Name, err)
	}
	defer stmt.Close()
	var rtree *sql.Stmt
	if l.Features {
		if err := exec(fmt.Sprintf("CREATE VIRTUAL TABLE %s USING rtree(id, minx, maxx, miny, maxy)", quote("rtree_"+l.Name+"_geom"))); err != nil {
			return err
		}
		if rtree, err = conn.PrepareContext(ctx, fmt.Sprintf("INSERT INTO %s VALUES (?, ?, ?, ?, ?)", quote("rtree_"+l.Name+"_geom"))); err != nil {
			return fmt.Errorf("gpkg: %s: %w", l.Name, err)
		}
		defer rtree.Close()
	}
	var all orb.Bound
	has := false
	args := make([]any, 0, len(l.Fields)+1)
	for i, r := range l.Rows {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		args = args[:0]
		var b orb.Bound
		empty := true
		if l.Features {
			var blob []byte
			if len(r.Geom) > 0 {
				b, empty = r.Geom.Bound(), false
				if blob, err = Geometry(r.Geom); err != nil {
					return fmt.Errorf("gpkg: %s: row %d: %w", l.Name, i+1, err)
				}
			}
			if blob == nil {
				args = append(args, nil)
			} else {
				args = append(args, blob)
			}
		}
		args = append(args, r.Values...)
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("gpkg: %s: row %d: %w", l.Name, i+1, err)
		}
		if l.Features && !empty {
			// fid is the row's position: AUTOINCREMENT from 1 in a new table.
			if _, err := rtree.ExecContext(ctx, int64(i+1), b.Min[0], b.Max[0], b.Min[1], b.Max[1]); err != nil {
				return fmt.Errorf("gpkg: %s: rtree row %d: %w", l.Name, i+1, err)
			}
			if has {
				all = all.Union(b)
			} else {
				all, has = b, true
			}
		}
	}
	if err := exec("COMMIT"); err != nil {
		return err
	}
	if !l.Features {
		return exec(`INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) VALUES (?, 'attributes', ?, ?, ?)`,
			l.Name, l.Name, l.Description, when)
	}
	var bx []any
	if has {
		bx = []any{all.Min[0], all.Min[1], all.Max[0], all.Max[1]}
	} else {
		bx = []any{nil, nil, nil, nil}
	}
	if err := exec(`INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, min_x, min_y, max_x, max_y, srs_id) VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?, ?)`,
		append([]any{l.Name, l.Name, l.Description, when}, append(bx, SRSID)...)...); err != nil {
		return err
	}
	if err := exec(`INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'MULTIPOLYGON', ?, 0, 0)`, l.Name, SRSID); err != nil {
		return err
	}
	if err := exec(`INSERT INTO gpkg_extensions VALUES (?, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')`, l.Name); err != nil {
		return err
	}
	// The triggers come after the rows: they call ST_* functions that readers such as GDAL and QGIS
	// provide and this writer does not, and the index is already filled.
	r := strings.NewReplacer("<t>", l.Name, "<c>", "geom", "<i>", "fid")
	for _, trig := range rtreeTriggers {
		if err := exec(r.Replace(trig)); err != nil {
			return err
		}
	}
	return nil
}

// rtreeTriggers keep rtree_<t>_<c> in step with edits in other tools: the set of GeoPackage 1.2.1
// (F.3) that GDAL writes and its validator checks for (1.3 readers accept it).
var rtreeTriggers = []string{
	`CREATE TRIGGER "rtree_<t>_<c>_insert" AFTER INSERT ON "<t>" WHEN (new."<c>" NOT NULL AND NOT ST_IsEmpty(NEW."<c>"))
BEGIN INSERT OR REPLACE INTO "rtree_<t>_<c>" VALUES (NEW."<i>", ST_MinX(NEW."<c>"), ST_MaxX(NEW."<c>"), ST_MinY(NEW."<c>"), ST_MaxY(NEW."<c>")); END`,
	`CREATE TRIGGER "rtree_<t>_<c>_update1" AFTER UPDATE OF "<c>" ON "<t>" WHEN OLD."<i>" = NEW."<i>" AND (NEW."<c>" NOTNULL AND NOT ST_IsEmpty(NEW."<c>"))
BEGIN INSERT OR REPLACE INTO "rtree_<t>_<c>" VALUES (NEW."<i>", ST_MinX(NEW."<c>"), ST_MaxX(NEW."<c>"), ST_MinY(NEW."<c>"), ST_MaxY(NEW."<c>")); END`,
	`CREATE TRIGGER "rtree_<t>_<c>_update2" AFTER UPDATE OF "<c>" ON "<t>" WHEN OLD."<i>" = NEW."<i>" AND (NEW."<c>" ISNULL OR ST_IsEmpty(NEW."<c>"))
BEGIN DELETE FROM "rtree_<t>_<c>" WHERE id = OLD."<i>"; END`,
	`CREATE TRIGGER "rtree_<t>_<c>_update3" AFTER UPDATE ON "<t>" WHEN OLD."<i>" != NEW."<i>" AND (NEW."<c>" NOTNULL AND NOT ST_IsEmpty(NEW."<c>"))
BEGIN DELETE FROM "rtree_<t>_<c>" WHERE id = OLD."<i>"; INSERT OR REPLACE INTO "rtree_<t>_<c>" VALUES (NEW."<i>", ST_MinX(NEW."<c>"), ST_MaxX(NEW."<c>"), ST_MinY(NEW."<c>"), ST_MaxY(NEW."<c>")); END`,
	`CREATE TRIGGER "rtree_<t>_<c>_update4" AFTER UPDATE ON "<t>" WHEN OLD."<i>" != NEW."<i>" AND (NEW."<c>" ISNULL OR ST_IsEmpty(NEW."<c>"))
BEGIN DELETE FROM "rtree_<t>_<c>" WHERE id IN (OLD."<i>", NEW."<i>"); END`,
	`CREATE TRIGGER "rtree_<t>_<c>_delete" AFTER DELETE ON "<t>" WHEN old."<c>" NOT NULL
BEGIN DELETE FROM "rtree_<t>_<c>" WHERE id = OLD."<i>"; END`,
}

// Geometry encodes mp as a GeoPackage geometry blob: the "GP" header (version 0, little-endian,
// an xy envelope, SRS 4326) and the multipolygon as ISO WKB.
func Geometry(mp orb.MultiPolygon) ([]byte, error) {
	for _, p := range mp {
		for _, r := range p {
			for _, pt := range r {
				if math.IsNaN(pt[0]) || math.IsNaN(pt[1]) || math.IsInf(pt[0], 0) || math.IsInf(pt[1], 0) {
					return nil, fmt.Errorf("gpkg: geometry has a non-finite coordinate")
				}
			}
		}
	}
	b := mp.Bound()
	var buf bytes.Buffer
	buf.Grow(8 + 32 + 9 + 16*countPoints(mp))
	buf.Write([]byte{'G', 'P', 0, 0b0000_0011})
	var hdr [36]byte
	binary.LittleEndian.PutUint32(hdr[0:], SRSID)
	for i, v := range []float64{b.Min[0], b.Max[0], b.Min[1], b.Max[1]} {
		binary.LittleEndian.PutUint64(hdr[4+8*i:], math.Float64bits(v))
	}
	buf.Write(hdr[:])
	if err := wkb.NewEncoder(&buf).SetByteOrder(binary.LittleEndian).Encode(mp); err != nil {
		return nil, fmt.Errorf("gpkg: wkb: %w", err)
	}
	return buf.Bytes(), nil
}

func countPoints(mp orb.MultiPolygon) int {
	n := 0
	for _, p := range mp {
		for _, r := range p {
			n += len(r)
		}
	}
	return n
}
