package geo

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/paulmach/orb"
	"modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
	sqlite3 "modernc.org/sqlite/lib"

	"pcnmap/internal/scratch"
)

// readGeoPackageGzip inflates a gzipped GeoPackage to a temporary file, which SQLite needs, and reads it.
func readGeoPackageGzip(name string, data []byte, opt ReadOptions) (*Layer, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fileErr(name, archiveErr("gzip", err))
	}
	return readGeoPackageTemp(name, zr, opt)
}

// readGeoPackageBytes reads a GeoPackage held in memory through a temporary file.
func readGeoPackageBytes(name string, data []byte, opt ReadOptions) (*Layer, error) {
	return readGeoPackageTemp(name, bytes.NewReader(data), opt)
}

func readGeoPackageTemp(name string, r io.Reader, opt ReadOptions) (*Layer, error) {
	return readGeoPackageTempWith(name, r, opt, (*gpkgReader).read)
}

// readGeoPackageTempWith copies r to a temporary file, which SQLite needs, and reads it with read.
func readGeoPackageTempWith[T any](name string, r io.Reader, opt ReadOptions, read func(*gpkgReader, ReadOptions) (*T, error)) (*T, error) {
	f, err := scratch.File("*.gpkg")
	if err != nil {
		return nil, fileErr(name, err)
	}
	defer os.Remove(f.Name())
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		var perr *os.PathError
		if errors.As(err, &perr) {
			return nil, fileErr(name, err) // the disk, not the data
		}
		return nil, fileErr(name, archiveErr("gzip", err))
	}
	return readGeoPackageWith(f.Name(), name, opt, true, read)
}

// readGeoPackage reads the polygons of the GeoPackage at path; name names it in errors.
func readGeoPackage(path, name string, opt ReadOptions, temporary bool) (*Layer, error) {
	return readGeoPackageWith(path, name, opt, temporary, (*gpkgReader).read)
}

// readGeoPackageWith opens the GeoPackage at path read-only and guarded (see guard), and reads it
// with read under opt's context; name names it in errors. A temporary copy of our own is opened
// immutable, which spares SQLite its locking.
func readGeoPackageWith[T any](path, name string, opt ReadOptions, temporary bool, read func(*gpkgReader, ReadOptions) (*T, error)) (*T, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fileErr(name, err)
	}
	// Read-only, so that a missing or odd file is never created or changed.
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=ro"
	if temporary {
		dsn += "&immutable=1"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fileErr(name, err)
	}
	defer db.Close()
	ctx := opt.context()
	l, err := readGeoPackageDB(ctx, db, name, opt, read)
	if err != nil && ctx.Err() != nil {
		err = ctx.Err() // an interrupted query says "interrupted": say why
	}
	if err != nil {
		return nil, fileErr(name, err)
	}
	return l, nil
}

func readGeoPackageDB[T any](ctx context.Context, db *sql.DB, name string, opt ReadOptions, read func(*gpkgReader, ReadOptions) (*T, error)) (*T, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, sqlErr("open", err)
	}
	defer conn.Close()
	if err := guard(ctx, conn); err != nil {
		return nil, err
	}
	g := gpkgReader{ctx: ctx, db: conn, name: name}
	return read(&g, opt)
}

// maxValue bounds any one value SQLite makes for us (a geometry blob, a code): far above the largest
// feature MaxVertices allows (16 bytes a vertex), far below what would strain memory.
const maxValue = 64 << 20

// guard sets the connection up to read an untrusted file as data: no schema function with side effects
// (trusted_schema off), no writes (query_only), and a cap on the size of any value. The readers read only
// base tables, so no view's SQL runs; a read fires no trigger; every query runs under the reader's
// context, which the driver turns into sqlite3_interrupt through its progress handler.
func guard(ctx context.Context, conn *sql.Conn) error {
	for _, p := range []string{"PRAGMA trusted_schema = OFF", "PRAGMA query_only = ON"} {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			return sqlErr(p, err)
		}
	}
	if _, err := sqlite.Limit(conn, sqlite3.SQLITE_LIMIT_LENGTH, maxValue); err != nil {
		return fmt.Errorf("geo: sqlite limit: %w", err)
	}
	return nil
}

type gpkgReader struct {
	ctx  context.Context
	db   *sql.Conn
	name string
}

// baseTable checks that name is an ordinary table of the file, not a view (whose SQL a read would run,
// a recursive CTE for ever) nor a virtual table (whose module would).
func (g *gpkgReader) baseTable(name string) error {
	var typ, def sql.NullString
	err := g.db.QueryRowContext(g.ctx, `SELECT type, sql FROM sqlite_schema WHERE name = ? COLLATE NOCASE AND type IN ('table', 'view')`, name).Scan(&typ, &def)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: not a GeoPackage (no table %s)", ErrNoFeatureTable, name)
	}
	if err != nil {
		return sqlErr(name, err)
	}
	if typ.String != "table" || strings.HasPrefix(strings.ToUpper(strings.TrimSpace(def.String)), "CREATE VIRTUAL") {
		return fmt.Errorf("%w: %s is a %s, not a table: pcnmap reads a GeoPackage's tables as data and never runs its SQL", ErrMalformed, name, map[bool]string{true: "view", false: "virtual table"}[typ.String == "view"])
	}
	return nil
}

// sqlErr classes an SQLite error: a missing GeoPackage table, or a damaged file.
func sqlErr(what string, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "no such table") {
		return fmt.Errorf("%w: not a GeoPackage (%s: %v)", ErrNoFeatureTable, what, err)
	}
	if strings.Contains(msg, "string or blob too big") {
		return fmt.Errorf("%w: %s: a value over %d MiB", ErrLimit, what, maxValue>>20)
	}
	return fmt.Errorf("%w: %s: %v", ErrMalformed, what, err)
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// gpkgTable is the features table a reader reads, as gpkg_contents and gpkg_geometry_columns
// describe it: a base table, checked.
type gpkgTable struct {
	name     string
	geomCol  string
	geomType string // gpkg_geometry_columns.geometry_type_name, upper case
	pk       string // the integer primary key, "" when none
	crs      CRS
	cols     []string // the stored attribute columns, in order, without the geometry
}

// table finds the one features table to read (opt.Layer, or the only one), checks that it and the
// GeoPackage's own tables are base tables and that its geometry is stored, and reads its CRS (an
// unknown one is an error) and columns.
func (g *gpkgReader) table(opt ReadOptions) (gpkgTable, error) {
	var none gpkgTable
	for _, t := range []string{"gpkg_contents", "gpkg_geometry_columns", "gpkg_spatial_ref_sys"} {
		if err := g.baseTable(t); err != nil {
			return none, err
		}
	}
	var tables []string
	rows, err := g.db.QueryContext(g.ctx, `SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name`)
	if err != nil {
		return none, sqlErr("gpkg_contents", err)
	}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return none, sqlErr("gpkg_contents", err)
		}
		tables = append(tables, t)
	}
	if err := rows.Close(); err != nil {
		return none, sqlErr("gpkg_contents", err)
	}
	if err := rows.Err(); err != nil {
		return none, sqlErr("gpkg_contents", err)
	}
	var table string
	switch {
	case len(tables) == 0:
		return none, fmt.Errorf("%w: gpkg_contents lists no features table", ErrNoFeatureTable)
	case opt.Layer != "":
		for _, t := range tables {
			if strings.EqualFold(t, opt.Layer) {
				table = t
			}
		}
		if table == "" {
			return none, fmt.Errorf("%w: no features table %q (tables: %s)", ErrLayer, opt.Layer, strings.Join(tables, ", "))
		}
	case len(tables) > 1:
		return none, fmt.Errorf("%w: several features tables (%s): name one in ReadOptions.Layer", ErrLayer, strings.Join(tables, ", "))
	default:
		table = tables[0]
	}

	var geomCol string
	var geomType sql.NullString
	var srsID int64
	if err := g.baseTable(table); err != nil {
		return none, err
	}
	err = g.db.QueryRowContext(g.ctx, `SELECT column_name, geometry_type_name, srs_id FROM gpkg_geometry_columns WHERE lower(table_name) = lower(?)`, table).Scan(&geomCol, &geomType, &srsID)
	if errors.Is(err, sql.ErrNoRows) {
		return none, fmt.Errorf("%w: table %s has no row in gpkg_geometry_columns", ErrNoFeatureTable, table)
	}
	if err != nil {
		return none, sqlErr("gpkg_geometry_columns", err)
	}
	crs, crsText, err := g.crs(srsID)
	if err != nil {
		return none, err
	}
	if crs == CRSUnknown {
		return none, fmt.Errorf("%w: table %s, srs_id %d: %s", ErrCRS, table, srsID, clip(crsText, 200))
	}

	var cols []string
	pk := ""
	computed := map[string]bool{} // generated columns, which a read would compute
	rows, err = g.db.QueryContext(g.ctx, `SELECT name, pk, hidden FROM pragma_table_xinfo(?)`, table)
	if err != nil {
		return none, sqlErr("table_info", err)
	}
	for rows.Next() {
		var c string
		var isPK, hidden int
		if err := rows.Scan(&c, &isPK, &hidden); err != nil {
			rows.Close()
			return none, sqlErr("table_info", err)
		}
		if isPK == 1 {
			pk = c
		}
		if hidden != 0 {
			computed[strings.ToLower(c)] = true
			continue
		}
		if !strings.EqualFold(c, geomCol) {
			cols = append(cols, c)
		}
	}
	if err := rows.Close(); err != nil {
		return none, sqlErr("table_info", err)
	}
	if len(cols) == 0 && pk == "" {
		return none, fmt.Errorf("%w: table %s has no columns", ErrNoFeatureTable, table)
	}
	if computed[strings.ToLower(geomCol)] {
		return none, fmt.Errorf("%w: table %s: geometry column %s is computed, not stored", ErrMalformed, table, geomCol)
	}
	return gpkgTable{name: table, geomCol: geomCol, geomType: strings.ToUpper(strings.TrimSpace(geomType.String)), pk: pk, crs: crs, cols: cols}, nil
}

// rows selects cols of every row of t, in the order of its primary key when it has one.
func (g *gpkgReader) rows(t gpkgTable, cols ...string) (*sql.Rows, error) {
	q := "SELECT " + strings.Join(cols, ", ") + " FROM " + quoteIdent(t.name)
	if t.pk != "" {
		q += " ORDER BY " + quoteIdent(t.pk)
	}
	rows, err := g.db.QueryContext(g.ctx, q)
	if err != nil {
		return nil, sqlErr(t.name, err)
	}
	return rows, nil
}

func (g *gpkgReader) read(opt ReadOptions) (*Layer, error) {
	t, err := g.table(opt)
	if err != nil {
		return nil, err
	}
	table, crs := t.name, t.crs
	codeField, nameField, err := detectFields(t.cols, opt)
	if err != nil {
		return nil, err
	}
	nameExpr := "NULL"
	if nameField != "" {
		nameExpr = quoteIdent(nameField)
	}
	rows, err := g.rows(t, quoteIdent(codeField), nameExpr, quoteIdent(t.geomCol))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var w wkbReader
	out := newSink(crs, opt)
	defer out.wait()
	for i := 0; rows.Next(); i++ {
		var code, nm sql.NullString
		var blob sql.RawBytes // valid until Next: parsed into the arena at once
		if err := rows.Scan(&code, &nm, &blob); err != nil {
			return nil, sqlErr(table, err)
		}
		c := strings.TrimSpace(code.String)
		if blob == nil {
			return nil, featureErr(g.name, i, c, fmt.Errorf("%w: NULL geometry", ErrEmptyGeometry))
		}
		mp, err := w.gpkg(blob)
		if err != nil {
			return nil, featureErr(g.name, i, c, err)
		}
		if err := out.add(Feature{Code: c, Name: strings.TrimSpace(nm.String), Geom: mp}); err != nil {
			return nil, featureErr(g.name, i, c, err)
		}
	}
	if err := rows.Err(); err != nil {
		if cerr := g.ctx.Err(); cerr != nil {
			return nil, cerr
		}
		return nil, sqlErr(table, err)
	}
	return out.layer(g.name, codeField, nameField, nil)
}

// crs reads gpkg_spatial_ref_sys: the EPSG code when the organisation is EPSG, else the WKT.
func (g *gpkgReader) crs(srsID int64) (CRS, string, error) {
	var org, def sql.NullString
	var orgID sql.NullInt64
	err := g.db.QueryRowContext(g.ctx, `SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?`, srsID).Scan(&org, &orgID, &def)
	if errors.Is(err, sql.ErrNoRows) {
		return CRSUnknown, fmt.Sprintf("srs_id %d is not in gpkg_spatial_ref_sys", srsID), nil
	}
	if err != nil {
		return CRSUnknown, "", sqlErr("gpkg_spatial_ref_sys", err)
	}
	if strings.EqualFold(org.String, "EPSG") {
		if c := crsFromEPSG(int(orgID.Int64)); c != CRSUnknown {
			return c, "", nil
		}
	}
	text := fmt.Sprintf("%s:%d %s", org.String, orgID.Int64, def.String)
	return crsFromWKT(def.String), text, nil
}

// wkbReader parses GeoPackage geometry blobs into rings carved from arenas.
type wkbReader struct {
	pts      pointArena
	rings    sliceArena[orb.Ring]
	polys    sliceArena[orb.Polygon]
	curRings []orb.Ring
	curPolys []orb.Polygon
}

// gpkg parses a GeoPackage binary geometry: "GP", version 0, flags (extended type, empty, envelope
// kind, byte order), srs_id, an optional envelope, then a WKB Polygon or MultiPolygon (2D, Z, M or ZM,
// ISO or EWKB type codes).
func (w *wkbReader) gpkg(b []byte) (orb.MultiPolygon, error) {
	body, err := gpkgWKB(b)
	if err != nil {
		return nil, err
	}
	return w.wkb(body)
}

// gpkgWKB checks a GeoPackage binary geometry's header and returns the WKB after it.
func gpkgWKB(b []byte) ([]byte, error) {
	if len(b) < 8 || b[0] != 'G' || b[1] != 'P' {
		return nil, fmt.Errorf("%w: not a GeoPackage geometry (no GP magic)", ErrMalformed)
	}
	if b[2] != 0 {
		return nil, fmt.Errorf("%w: GeoPackage geometry version %d", ErrMalformed, b[2])
	}
	flags := b[3]
	if flags&0x20 != 0 {
		return nil, fmt.Errorf("%w: extended GeoPackage geometry", ErrGeometryType)
	}
	envLen := 0
	switch (flags >> 1) & 7 {
	case 0:
	case 1:
		envLen = 32
	case 2, 3:
		envLen = 48
	case 4:
		envLen = 64
	default:
		return nil, fmt.Errorf("%w: GeoPackage envelope code %d", ErrMalformed, (flags>>1)&7)
	}
	if len(b) < 8+envLen {
		return nil, fmt.Errorf("%w: GeoPackage geometry header truncated", ErrMalformed)
	}
	if flags&0x10 != 0 {
		return nil, fmt.Errorf("%w: the GeoPackage geometry is flagged empty", ErrEmptyGeometry)
	}
	return b[8+envLen:], nil
}

var wkbTypeNames = map[uint32]string{1: "Point", 2: "LineString", 3: "Polygon", 4: "MultiPoint",
	5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection", 15: "PolyhedralSurface", 16: "TIN", 17: "Triangle"}

func wkbTypeName(t uint32) string {
	if n, ok := wkbTypeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("WKB type %d", t)
}

// wkb parses a whole WKB Polygon or MultiPolygon.
func (w *wkbReader) wkb(b []byte) (orb.MultiPolygon, error) {
	w.curPolys = w.curPolys[:0]
	d := wkbData{b: b}
	base, err := d.header()
	if err != nil {
		return nil, err
	}
	switch base {
	case 3:
		err = w.polygon(&d)
	case 6:
		n, e := d.count(9) // each polygon takes at least a 9-byte header
		if e != nil {
			return nil, e
		}
		for k := 0; k < n && err == nil; k++ {
			var t uint32
			if t, err = d.header(); err == nil {
				if t != 3 {
					return nil, fmt.Errorf("%w: %s inside a MultiPolygon", ErrMalformed, wkbTypeName(t))
				}
				err = w.polygon(&d)
			}
		}
	default:
		return nil, fmt.Errorf("%w: %s", ErrGeometryType, wkbTypeName(base))
	}
	if err != nil {
		return nil, err
	}
	if d.off != len(d.b) {
		return nil, fmt.Errorf("%w: %d bytes after the WKB geometry", ErrMalformed, len(d.b)-d.off)
	}
	return orb.MultiPolygon(w.polys.take(w.curPolys)), nil
}

func (w *wkbReader) polygon(d *wkbData) error {
	n, err := d.count(4)
	if err != nil {
		return err
	}
	w.curRings = w.curRings[:0]
	for k := 0; k < n; k++ {
		np, err := d.count(d.dims * 8)
		if err != nil {
			return err
		}
		for j := 0; j < np; j++ {
			x := d.float(d.off)
			y := d.float(d.off + 8)
			d.off += d.dims * 8
			w.pts.add(orb.Point{x, y})
		}
		w.curRings = append(w.curRings, w.pts.ring())
	}
	w.curPolys = append(w.curPolys, orb.Polygon(w.rings.take(w.curRings)))
	return nil
}

// wkbData walks WKB bytes; every read is bounds-checked by header and count before it happens.
type wkbData struct {
	b    []byte
	off  int
	big  bool
	dims int // coordinates per point
}

// header reads a byte order and a geometry type, and returns the base type (1…7).
func (d *wkbData) header() (uint32, error) {
	if len(d.b)-d.off < 5 {
		return 0, fmt.Errorf("%w: WKB truncated at byte %d", ErrMalformed, d.off)
	}
	switch d.b[d.off] {
	case 0:
		d.big = true
	case 1:
		d.big = false
	default:
		return 0, fmt.Errorf("%w: WKB byte order %d", ErrMalformed, d.b[d.off])
	}
	t := d.uint32(d.off + 1)
	d.off += 5
	z, m := false, false
	if t&0x20000000 != 0 { // EWKB: an SRID follows
		if len(d.b)-d.off < 4 {
			return 0, fmt.Errorf("%w: WKB truncated at byte %d", ErrMalformed, d.off)
		}
		d.off += 4
	}
	if t&0x80000000 != 0 {
		z = true
	}
	if t&0x40000000 != 0 {
		m = true
	}
	t &= 0x0fffffff
	switch t / 1000 {
	case 1:
		z = true
	case 2:
		m = true
	case 3:
		z, m = true, true
	case 0:
	default:
		return 0, fmt.Errorf("%w: WKB type %d", ErrMalformed, t)
	}
	d.dims = 2
	if z {
		d.dims++
	}
	if m {
		d.dims++
	}
	return t % 1000, nil
}

// count reads an element count and checks that that many elements of at least size bytes fit.
func (d *wkbData) count(size int) (int, error) {
	if len(d.b)-d.off < 4 {
		return 0, fmt.Errorf("%w: WKB truncated at byte %d", ErrMalformed, d.off)
	}
	n := int(d.uint32(d.off))
	d.off += 4
	if n > (len(d.b)-d.off)/size {
		return 0, fmt.Errorf("%w: WKB count %d does not fit the %d bytes left", ErrMalformed, n, len(d.b)-d.off)
	}
	return n, nil
}

func (d *wkbData) uint32(off int) uint32 {
	if d.big {
		return binary.BigEndian.Uint32(d.b[off:])
	}
	return binary.LittleEndian.Uint32(d.b[off:])
}

func (d *wkbData) float(off int) float64 {
	if d.big {
		return math.Float64frombits(binary.BigEndian.Uint64(d.b[off:]))
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(d.b[off:]))
}
