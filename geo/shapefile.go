package geo

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"pcnmap/internal/scratch"
)

// Shapefile holds the bytes of a shapefile's parts, to read one that is not on disk.
type Shapefile struct {
	SHP []byte // the shapes; required
	SHX []byte // the index of the shapes; required, as the format says
	DBF []byte // the attributes; required, since they hold the codes
	PRJ []byte // the CRS as WKT; required, since the coordinates alone do not say
	CPG []byte // the .dbf's character encoding; optional (UTF-8, else Latin-1 where not valid UTF-8)
}

// ReadShapefile reads the polygons of a shapefile held in memory; name names it in errors. Polygon,
// PolygonZ and PolygonM shapes are read (Z and M dropped); rings are told apart by winding, outer rings
// being clockwise in a shapefile. Records marked deleted in the .dbf are skipped.
func ReadShapefile(name string, sf Shapefile, opt ReadOptions) (*Layer, error) {
	l, err := readShapefile(name, sf, opt)
	if err != nil {
		return nil, fileErr(name, err)
	}
	return l, nil
}

func readShapefileFiles(shpPath, name string, opt ReadOptions) (*Layer, error) {
	sf, err := shapefileParts(shpPath, name)
	if err != nil {
		return nil, err
	}
	return ReadShapefile(name, sf, opt)
}

// shapefileParts reads the parts of the shapefile at shpPath from disk (the extensions in either
// case); a missing .shx or .dbf is ErrMissingPart.
func shapefileParts(shpPath, name string) (Shapefile, error) {
	base := strings.TrimSuffix(shpPath, filepath.Ext(shpPath))
	part := func(ext string, required bool) ([]byte, error) {
		for _, e := range []string{ext, strings.ToUpper(ext)} {
			b, err := os.ReadFile(base + e)
			if err == nil {
				return b, nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
		}
		if required {
			return nil, fmt.Errorf("%w: no %s beside it", ErrMissingPart, filepath.Base(base)+ext)
		}
		return nil, nil
	}
	var sf Shapefile
	var err error
	if sf.SHP, err = os.ReadFile(shpPath); err != nil {
		return sf, fileErr(name, err)
	}
	for _, p := range []struct {
		ext      string
		dst      *[]byte
		required bool
	}{{".shx", &sf.SHX, true}, {".dbf", &sf.DBF, true}, {".prj", &sf.PRJ, false}, {".cpg", &sf.CPG, false}} {
		if *p.dst, err = part(p.ext, p.required); err != nil {
			return sf, fileErr(name, err)
		}
	}
	return sf, nil
}

// readShapefileZip reads the shapefile inside a zip (size bytes read through r): the only one, or the
// one named by opt.Layer. The members are checked first (see zipShapefile), so a hostile archive is
// refused before anything is inflated.
func readShapefileZip(name string, r io.ReaderAt, size int64, opt ReadOptions) (*Layer, error) {
	return readShapefileZipWith(name, r, size, opt, func(sf Shapefile) (*Layer, error) { return ReadShapefile(name, sf, opt) })
}

// readShapefileZipWith is readShapefileZip handing the checked parts to read (polygons or points).
func readShapefileZipWith(name string, r io.ReaderAt, size int64, opt ReadOptions, read func(Shapefile) (*Layer, error)) (*Layer, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fileErr(name, archiveErr("zip", err))
	}
	entries := make([]zipEntry, len(zr.File))
	for i, f := range zr.File {
		entries[i] = zipEntry{Name: f.Name, Size: f.UncompressedSize64, Dir: f.FileInfo().IsDir()}
	}
	base, err := zipShapefile(entries, opt)
	if err != nil {
		return nil, fileErr(name, err)
	}
	members := map[string]*zip.File{} // lower-case path → member
	for _, f := range zr.File {
		members[strings.ToLower(f.Name)] = f
	}
	// Each part is inflated as a stream into a temporary file and mapped read-only, so that the
	// inflated bytes live in the page cache (dropped under pressure) rather than on the heap.
	dir, err := scratch.Dir("zip-*")
	if err != nil {
		return nil, fileErr(name, fmt.Errorf("geo: spool zip: %w", err))
	}
	defer os.RemoveAll(dir)
	var maps []mapped
	defer func() {
		for _, m := range maps {
			m.close()
		}
	}()
	ctx := opt.context()
	part := func(ext string, required bool) ([]byte, error) {
		f := members[strings.ToLower(base+ext)]
		if f == nil {
			if required {
				return nil, fmt.Errorf("%w: no %s in the zip", ErrMissingPart, base+ext)
			}
			return nil, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, archiveErr("zip", err))
		}
		defer rc.Close()
		tmp, err := os.Create(filepath.Join(dir, "part"+strings.ReplaceAll(ext, ".", "-")))
		if err != nil {
			return nil, fmt.Errorf("geo: spool zip: %w", err)
		}
		defer tmp.Close()
		// archive/zip fails a member that inflates beyond its declared size, which zipShapefile capped.
		if _, err := io.Copy(tmp, &ctxReader{ctx: ctx, r: rc}); err != nil {
			var perr *os.PathError
			if errors.As(err, &perr) || ctx.Err() != nil {
				return nil, fmt.Errorf("geo: spool zip: %w", err)
			}
			return nil, fmt.Errorf("%s: %w", f.Name, archiveErr("zip", err))
		}
		m, err := mapFile(tmp)
		if err != nil {
			return nil, fmt.Errorf("geo: spool zip: %w", err)
		}
		maps = append(maps, m)
		return m.b, nil
	}
	var sf Shapefile
	for _, p := range []struct {
		ext      string
		dst      *[]byte
		required bool
	}{{".shp", &sf.SHP, true}, {".shx", &sf.SHX, true}, {".dbf", &sf.DBF, true}, {".prj", &sf.PRJ, false}, {".cpg", &sf.CPG, false}} {
		if *p.dst, err = part(p.ext, p.required); err != nil {
			return nil, fileErr(name, err)
		}
	}
	// read must not keep the mapped bytes, which are unmapped on return: points are copied out,
	// strings made.
	return read(sf)
}

// ctxReader stops a copy once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// zipEntry is a zip member as zipShapefile judges it: its name, declared size and whether it is a
// directory entry.
type zipEntry struct {
	Name string
	Size uint64
	Dir  bool
}

// DefaultMaxUncompressed is the cap on a zip's total declared uncompressed size when
// ReadOptions.MaxUncompressed is 0: ten times the national MSOA shapefile.
const DefaultMaxUncompressed = 2 << 30

// maxZipMembers bounds the members of a shapefile zip: one shapefile has at most nine parts, and a
// few more make room for several shapefiles with opt.Layer and for macOS metadata.
const maxZipMembers = 256

// shapefileExts are the parts of a shapefile a zip may hold: the four that matter, the encoding, the
// spatial indexes and the metadata written beside them (name.shp.xml or name.xml).
var shapefileExts = []string{".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml", ".xml"}

// zipShapefile checks a zip's members and returns the path, without extension, of the shapefile to
// read. A zip may hold the parts of one shapefile (or of several, when opt.Layer names one), in one
// directory, and nothing else: names that climb out (..), start at the root or a drive, or use
// backslashes are refused, as are members of no shapefile, parts in other directories, and archives
// declaring more than opt.MaxUncompressed bytes in all (a zip bomb). macOS metadata (__MACOSX/, ._*)
// is ignored once its name has been checked.
func zipShapefile(entries []zipEntry, opt ReadOptions) (string, error) {
	if len(entries) > maxZipMembers {
		return "", fmt.Errorf("%w: %d members; a shapefile zip holds a handful", ErrZipMember, len(entries))
	}
	limit := uint64(opt.MaxUncompressed)
	if opt.MaxUncompressed <= 0 {
		limit = DefaultMaxUncompressed
	}
	var total uint64
	seen := make(map[string]bool, len(entries))
	var bases []string // paths of the .shp files without extension, in the zip's spelling
	var parts []zipEntry
	for _, e := range entries {
		n := e.Name
		switch {
		case n == "" || !utf8.ValidString(n):
			return "", fmt.Errorf("%w: a member with an empty or non-UTF-8 name", ErrZipMember)
		case strings.ContainsRune(n, '\\'):
			return "", fmt.Errorf("%w: %q has a backslash in its name", ErrZipMember, clip(n, 80))
		case strings.HasPrefix(n, "/") || (len(n) >= 2 && n[1] == ':'):
			return "", fmt.Errorf("%w: %q is an absolute path", ErrZipMember, clip(n, 80))
		case strings.ContainsFunc(n, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			return "", fmt.Errorf("%w: %q has a control character in its name", ErrZipMember, clip(n, 80))
		}
		for el := range strings.SplitSeq(strings.TrimSuffix(n, "/"), "/") {
			if el == ".." || el == "." || el == "" {
				return "", fmt.Errorf("%w: %q is not a plain relative path", ErrZipMember, clip(n, 80))
			}
		}
		if seen[strings.ToLower(n)] {
			return "", fmt.Errorf("%w: %q appears twice", ErrZipMember, clip(n, 80))
		}
		seen[strings.ToLower(n)] = true
		if total += e.Size; total > limit || e.Size > limit {
			return "", fmt.Errorf("%w: the zip declares over %d MiB uncompressed", ErrTooLarge, limit>>20)
		}
		if e.Dir || strings.HasSuffix(n, "/") || strings.HasPrefix(n, "__MACOSX/") || strings.HasPrefix(path.Base(n), "._") {
			continue
		}
		lower := strings.ToLower(n)
		known := false
		for _, ext := range shapefileExts {
			if strings.HasSuffix(lower, ext) && len(lower) > len(ext) {
				known = true
				break
			}
		}
		if !known {
			return "", fmt.Errorf("%w: %q is not part of a shapefile (a zip holds .shp, .shx, .dbf, .prj and .cpg files only)", ErrZipMember, clip(n, 80))
		}
		if strings.HasSuffix(lower, ".shp") {
			b := n[:len(n)-4]
			if b == "" || strings.HasSuffix(b, "/") {
				return "", fmt.Errorf("%w: %q is a .shp with no file name", ErrZipMember, clip(n, 80))
			}
			bases = append(bases, b)
		}
		parts = append(parts, e)
	}
	sort.Strings(bases)
	if len(bases) == 0 {
		return "", fmt.Errorf("%w: no .shp in the zip", ErrMissingPart)
	}
	// Every part belongs to a .shp of the same directory and base name.
	for _, e := range parts {
		lower := strings.ToLower(e.Name)
		owned := false
		for _, b := range bases {
			if rest, ok := strings.CutPrefix(lower, strings.ToLower(b)); ok && slices.Contains(shapefileExts, rest) {
				owned = true
				break
			}
		}
		if !owned {
			return "", fmt.Errorf("%w: %q belongs to no shapefile of the zip (%s)", ErrZipMember, clip(e.Name, 80), strings.Join(bases, ".shp, ")+".shp")
		}
	}
	switch {
	case opt.Layer != "":
		for _, b := range bases {
			if strings.EqualFold(path.Base(b), opt.Layer) || strings.EqualFold(b, opt.Layer) {
				return b, nil
			}
		}
		return "", fmt.Errorf("%w: no shapefile %q in the zip (%s)", ErrLayer, opt.Layer, strings.Join(bases, ", "))
	case len(bases) > 1:
		return "", fmt.Errorf("%w: the zip holds several shapefiles (%s): name one in ReadOptions.Layer", ErrLayer, strings.Join(bases, ", "))
	}
	return bases[0], nil
}

// Shape types of the polygons, and of the empty record.
const (
	shpNull     = 0
	shpPolygon  = 5
	shpPolygonZ = 15
	shpPolygonM = 25
)

var shapeTypeNames = map[int32]string{0: "Null", 1: "Point", 3: "PolyLine", 5: "Polygon", 8: "MultiPoint",
	11: "PointZ", 13: "PolyLineZ", 15: "PolygonZ", 18: "MultiPointZ", 21: "PointM", 23: "PolyLineM",
	25: "PolygonM", 28: "MultiPointM", 31: "MultiPatch"}

func shapeTypeName(t int32) string {
	if n, ok := shapeTypeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("shape type %d", t)
}

// shpTable is a shapefile whose parts have been checked: its CRS, its record count, its attributes and
// the code and name columns.
type shpTable struct {
	crs                  CRS
	count                int
	db                   *dbf
	codeField, nameField string
}

// openShapefile checks what every reader of a shapefile needs: the four parts, a .prj naming a CRS
// pcnmap knows, the .shp and .shx headers with a shape type accept allows (else a wrong error naming
// the type, and not, what the reader wants instead), a .shx of whole records whose count the .dbf agrees
// with, and the code and name fields.
func openShapefile(sf Shapefile, opt ReadOptions, accept func(int32) bool, wrong error, not string) (*shpTable, error) {
	switch {
	case sf.SHP == nil:
		return nil, fmt.Errorf("%w: no .shp", ErrMissingPart)
	case sf.SHX == nil:
		return nil, fmt.Errorf("%w: no .shx", ErrMissingPart)
	case sf.DBF == nil:
		return nil, fmt.Errorf("%w: no .dbf", ErrMissingPart)
	case sf.PRJ == nil:
		return nil, fmt.Errorf("%w: no .prj, so the coordinates' CRS is unknown", ErrCRS)
	}
	crs := crsFromWKT(string(sf.PRJ))
	if crs == CRSUnknown {
		return nil, fmt.Errorf("%w: .prj %q", ErrCRS, clip(string(sf.PRJ), 200))
	}
	shapeType, err := shpHeader(sf.SHP, ".shp")
	if err != nil {
		return nil, err
	}
	if _, err := shpHeader(sf.SHX, ".shx"); err != nil {
		return nil, err
	}
	if !accept(shapeType) {
		return nil, fmt.Errorf("%w: the shapefile holds %s shapes%s", wrong, shapeTypeName(shapeType), not)
	}
	if (len(sf.SHX)-100)%8 != 0 {
		return nil, fmt.Errorf("%w: .shx length %d is not 100 + 8 per record", ErrMalformed, len(sf.SHX))
	}
	count := (len(sf.SHX) - 100) / 8
	db, err := readDBF(sf.DBF, sf.CPG)
	if err != nil {
		return nil, err
	}
	if db.count != count {
		return nil, fmt.Errorf("%w: the .dbf has %d records but the .shx %d", ErrMalformed, db.count, count)
	}
	fields := make([]string, len(db.fields))
	for i, f := range db.fields {
		fields[i] = f.name
	}
	codeField, nameField, err := detectFields(fields, opt)
	if err != nil {
		return nil, err
	}
	return &shpTable{crs: crs, count: count, db: db, codeField: codeField, nameField: nameField}, nil
}

func readShapefile(name string, sf Shapefile, opt ReadOptions) (*Layer, error) {
	t, err := openShapefile(sf, opt, func(st int32) bool {
		return st == shpNull || st == shpPolygon || st == shpPolygonZ || st == shpPolygonM
	}, ErrGeometryType, "")
	if err != nil {
		return nil, err
	}
	crs, count, db, codeField, nameField := t.crs, t.count, t.db, t.codeField, t.nameField
	codeCol, nameCol := db.column(codeField), db.column(nameField)

	r := shpReader{maxVertices: capOr(opt.MaxVertices, DefaultMaxVertices)}
	out := newSink(crs, opt)
	defer out.wait()
	positions := make([]int, 0, count)
	for i := 0; i < count; i++ {
		if db.deleted(i) {
			continue
		}
		code := db.value(i, codeCol)
		nm := ""
		if nameCol >= 0 {
			nm = db.value(i, nameCol)
		}
		off := int64(binary.BigEndian.Uint32(sf.SHX[100+8*i:])) * 2
		clen := int64(binary.BigEndian.Uint32(sf.SHX[100+8*i+4:])) * 2
		mp, err := r.record(sf.SHP, off, clen)
		if err != nil {
			return nil, featureErr(name, i, code, err)
		}
		if err := out.add(Feature{Code: code, Name: nm, Geom: mp}); err != nil {
			return nil, featureErr(name, i, code, err)
		}
		positions = append(positions, i)
	}
	return out.layer(name, codeField, nameField, positions)
}

// shpHeader checks the 100-byte header of a .shp or .shx and returns its shape type.
func shpHeader(b []byte, part string) (int32, error) {
	if len(b) < 100 {
		return 0, fmt.Errorf("%w: %s shorter than its 100-byte header", ErrMalformed, part)
	}
	if code := binary.BigEndian.Uint32(b); code != 9994 {
		return 0, fmt.Errorf("%w: %s file code %d, want 9994", ErrMalformed, part, code)
	}
	if v := binary.LittleEndian.Uint32(b[28:]); v != 1000 {
		return 0, fmt.Errorf("%w: %s version %d, want 1000", ErrMalformed, part, v)
	}
	return int32(binary.LittleEndian.Uint32(b[32:])), nil
}

// shpReader turns shape records into multipolygons, reusing its scratch space.
type shpReader struct {
	maxVertices int
	pts         pointArena
	rings       sliceArena[orb.Ring]
	polys       sliceArena[orb.Polygon]
	cw          []orb.Ring
	ccw         []orb.Ring
	tmp         []orb.Ring
}

// record reads the shape at byte offset off of shp, whose content the .shx says is clen bytes long.
func (r *shpReader) record(shp []byte, off, clen int64) (orb.MultiPolygon, error) {
	size := int64(len(shp))
	if off < 100 || off+8 > size {
		return nil, fmt.Errorf("%w: record offset %d outside the .shp (%d bytes)", ErrMalformed, off, size)
	}
	hlen := int64(binary.BigEndian.Uint32(shp[off+4:])) * 2
	if hlen != clen {
		return nil, fmt.Errorf("%w: record length %d in the .shp, %d in the .shx", ErrMalformed, hlen, clen)
	}
	if clen < 4 || off+8+clen > size {
		return nil, fmt.Errorf("%w: record of %d bytes at offset %d runs past the end of the .shp (truncated?)", ErrMalformed, clen, off)
	}
	c := shp[off+8 : off+8+clen]
	st := int32(binary.LittleEndian.Uint32(c))
	switch st {
	case shpNull:
		return nil, fmt.Errorf("%w: null shape", ErrEmptyGeometry)
	case shpPolygon, shpPolygonZ, shpPolygonM:
	default:
		return nil, fmt.Errorf("%w: %s", ErrGeometryType, shapeTypeName(st))
	}
	if len(c) < 44 {
		return nil, fmt.Errorf("%w: polygon record of %d bytes", ErrMalformed, len(c))
	}
	nParts := int64(int32(binary.LittleEndian.Uint32(c[36:])))
	nPoints := int64(int32(binary.LittleEndian.Uint32(c[40:])))
	if nParts < 0 || nPoints < 0 || 44+4*nParts+16*nPoints > int64(len(c)) {
		return nil, fmt.Errorf("%w: %d parts and %d points do not fit a record of %d bytes", ErrMalformed, nParts, nPoints, len(c))
	}
	if nParts == 0 || nPoints == 0 {
		return nil, fmt.Errorf("%w: polygon without points", ErrEmptyGeometry)
	}
	if nPoints > int64(r.maxVertices) {
		return nil, fmt.Errorf("%w: %d vertices, over %d (ReadOptions.MaxVertices)", ErrLimit, nPoints, r.maxVertices)
	}
	parts := c[44 : 44+4*nParts]
	pts := c[44+4*nParts:]
	r.cw, r.ccw = r.cw[:0], r.ccw[:0]
	for k := int64(0); k < nParts; k++ {
		start := int64(int32(binary.LittleEndian.Uint32(parts[4*k:])))
		end := nPoints
		if k+1 < nParts {
			end = int64(int32(binary.LittleEndian.Uint32(parts[4*k+4:])))
		}
		if start < 0 || start > end || end > nPoints || (k == 0 && start != 0) {
			return nil, fmt.Errorf("%w: part %d spans points %d to %d of %d", ErrMalformed, k, start, end, nPoints)
		}
		for j := start; j < end; j++ {
			x := math.Float64frombits(binary.LittleEndian.Uint64(pts[16*j:]))
			y := math.Float64frombits(binary.LittleEndian.Uint64(pts[16*j+8:]))
			r.pts.add(orb.Point{x, y})
		}
		ring := cleanRing(r.pts.ring())
		if !finitePoints(ring) {
			return nil, fmt.Errorf("%w: a coordinate is not a finite number", ErrCoordinates)
		}
		if len(ring) < 4 || flat(ring) {
			continue
		}
		if ringArea(ring) <= 0 { // clockwise: an outer ring (and a bow-tie, whose lobes cancel out)
			r.cw = append(r.cw, ring)
		} else {
			r.ccw = append(r.ccw, ring)
		}
	}
	return r.assemble(), nil
}

func finitePoints(r orb.Ring) bool {
	for _, p := range r {
		if math.IsNaN(p[0]) || math.IsInf(p[0], 0) || math.IsNaN(p[1]) || math.IsInf(p[1], 0) {
			return false
		}
	}
	return true
}

// assemble makes polygons of the outer rings (r.cw) and gives each hole (r.ccw) to the smallest outer
// ring holding it. A hole inside no outer ring becomes a polygon of its own, as GDAL does.
func (r *shpReader) assemble() orb.MultiPolygon {
	outers := r.cw
	holesOf := make([][]orb.Ring, len(outers))
	var strays []orb.Ring
	for _, h := range r.ccw {
		best, bestArea := -1, 0.0
		hb := h.Bound()
		for i, o := range outers {
			if !o.Bound().Contains(hb.Min) || !o.Bound().Contains(hb.Max) {
				continue
			}
			if ringLocate(o, h) != Inside {
				continue
			}
			if a := -ringArea(o); best < 0 || a < bestArea {
				best, bestArea = i, a
			}
		}
		if best < 0 {
			strays = append(strays, h)
		} else {
			holesOf[best] = append(holesOf[best], h)
		}
	}
	polys := make([]orb.Polygon, 0, len(outers)+len(strays))
	for i, o := range outers {
		r.tmp = append(r.tmp[:0], o)
		r.tmp = append(r.tmp, holesOf[i]...)
		polys = append(polys, orb.Polygon(r.rings.take(r.tmp)))
	}
	for _, s := range strays {
		r.tmp = append(r.tmp[:0], s)
		polys = append(polys, orb.Polygon(r.rings.take(r.tmp)))
	}
	return orb.MultiPolygon(r.polys.take(polys))
}

// dbf is a dBASE III table: the .dbf of a shapefile.
type dbf struct {
	b         []byte
	count     int
	headerLen int
	recordLen int
	fields    []dbfField
	latin1    bool // the .cpg names a Latin-1/Windows code page
}

type dbfField struct {
	name   string
	typ    byte
	offset int // from the start of the record, after the deletion flag
	length int
}

func readDBF(b, cpg []byte) (*dbf, error) {
	if len(b) < 32 {
		return nil, fmt.Errorf("%w: .dbf shorter than its 32-byte header", ErrMalformed)
	}
	d := &dbf{
		b:         b,
		count:     int(binary.LittleEndian.Uint32(b[4:])),
		headerLen: int(binary.LittleEndian.Uint16(b[8:])),
		recordLen: int(binary.LittleEndian.Uint16(b[10:])),
	}
	if d.headerLen < 33 || d.headerLen > len(b) || d.recordLen < 1 {
		return nil, fmt.Errorf("%w: .dbf header length %d, record length %d", ErrMalformed, d.headerLen, d.recordLen)
	}
	off := 1
	for p := 32; p+32 <= d.headerLen && b[p] != 0x0d; p += 32 {
		fd := b[p : p+32]
		n := bytes.IndexByte(fd[:11], 0)
		if n < 0 {
			n = 11
		}
		f := dbfField{name: strings.TrimSpace(string(fd[:n])), typ: fd[11], offset: off, length: int(fd[16])}
		if f.typ == 'C' { // character fields may use the decimal count as the high byte of the length
			f.length += int(fd[17]) << 8
		}
		off += f.length
		d.fields = append(d.fields, f)
	}
	if off > d.recordLen {
		return nil, fmt.Errorf("%w: .dbf fields take %d bytes, records %d", ErrMalformed, off, d.recordLen)
	}
	if int64(d.headerLen)+int64(d.count)*int64(d.recordLen) > int64(len(b)) {
		return nil, fmt.Errorf("%w: .dbf of %d bytes cannot hold %d records of %d bytes (truncated?)", ErrMalformed, len(b), d.count, d.recordLen)
	}
	c := strings.ToUpper(strings.TrimSpace(string(cpg)))
	d.latin1 = strings.Contains(c, "1252") || strings.Contains(c, "8859") || strings.Contains(c, "LATIN")
	return d, nil
}

// column returns the index of the field called name, or -1.
func (d *dbf) column(name string) int {
	if name == "" {
		return -1
	}
	for i, f := range d.fields {
		if f.name == name {
			return i
		}
	}
	return -1
}

func (d *dbf) record(i int) []byte {
	s := d.headerLen + i*d.recordLen
	return d.b[s : s+d.recordLen]
}

// deleted reports whether record i is marked deleted ('*'), as GDAL reads the flag.
func (d *dbf) deleted(i int) bool { return d.record(i)[0] == '*' }

// value returns field col of record i as trimmed text.
func (d *dbf) value(i, col int) string {
	f := d.fields[col]
	v := bytes.TrimSpace(d.record(i)[f.offset : f.offset+f.length])
	v = bytes.TrimRight(v, "\x00")
	if !d.latin1 && utf8.Valid(v) {
		return string(v)
	}
	rs := make([]rune, len(v))
	for k, c := range v {
		rs[k] = rune(c) // Latin-1 is the first 256 code points
	}
	return string(rs)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
