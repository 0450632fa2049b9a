package geo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
	"github.com/paulmach/orb"
)

// ReadOptions says which attributes hold the codes and names, and which GeoPackage table to read.
// The zero value detects them.
type ReadOptions struct {
	// CodeField is the attribute holding the area code. When empty, the first field that looks like an
	// ONS code field (MSOA11CD, LSOA21CD, LOC22CD…: letters, two digits, "CD") is used, else "code",
	// else a name field (Trafford's localities have only "area_name").
	CodeField string
	// NameField is the attribute holding the area name. When empty, the "NM" twin of an ONS code field
	// (MSOA11NM for MSOA11CD), else "name" or "area_name"; none at all is allowed.
	NameField string
	// Layer is the GeoPackage table to read (or the shapefile to take from a zip holding several). When
	// empty the source must hold exactly one.
	Layer string
	// MaxUncompressed caps the total uncompressed size a zipped shapefile may declare; 0 means
	// DefaultMaxUncompressed. A server reading uploads sets it to a small multiple of its upload limit.
	MaxUncompressed int64
	// MaxFeatures caps the features of a source, MaxVertices the vertices of one feature and MaxHoles
	// the holes of one polygon; 0 means DefaultMaxFeatures, DefaultMaxVertices, DefaultMaxHoles.
	MaxFeatures, MaxVertices, MaxHoles int
	// DeferClean leaves the features' geometry as read: the read returns once the features are read
	// and their codes checked, and their geometry is reprojected, normalised, validated and repaired
	// only when Layer.Clean is called, on as many goroutines as it is given. Until Layer.Wait has
	// returned, a feature's Geom is not to be read and its Bound is zero. An ingest uses it to clean
	// the areas on a core that the join and the save leave free.
	DeferClean bool

	ctx context.Context // set by ReadContext and ReadFileContext; nil is context.Background
}

// The default caps on what one source may hold: well above the national files (32,844 LSOAs, the
// largest MSOA of 2021 with about 9,000 vertices in the full-resolution boundaries) and low enough that
// the cleaning of one hostile feature stays within a request's budget.
const (
	DefaultMaxFeatures = 250_000
	DefaultMaxVertices = 1_000_000
	DefaultMaxHoles    = 10_000
)

func (o ReadOptions) context() context.Context {
	if o.ctx == nil {
		return context.Background()
	}
	return o.ctx
}

func capOr(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// ReadFile reads the polygons of a GeoJSON (.geojson, .json, or either gzipped), an ESRI Shapefile (a
// .shp with its .shx, .dbf and .prj beside it, or a .zip holding them) or a GeoPackage (.gpkg, or
// .gpkg.gz, which is decompressed to a temporary file). The format is told from the content where it
// can be, else from the name. Features come back in WGS84, normalised, and repaired when invalid.
func ReadFile(path string, opt ReadOptions) (*Layer, error) {
	return ReadFileAs(path, filepath.Base(path), opt)
}

// ReadFileAs reads the file at path as ReadFile does, but names it name in errors and tells formats
// apart by that name where the content does not: for a temporary copy of an upload.
func ReadFileAs(path, name string, opt ReadOptions) (*Layer, error) {
	return ReadFileContext(context.Background(), path, name, opt)
}

// ReadFileContext is ReadFileAs under ctx: reading and cleaning stop with ctx's error (wrapped in a
// *ReadError) once ctx is done, so a server can give each upload a budget and drop the work of a client
// that has gone.
func ReadFileContext(ctx context.Context, path, name string, opt ReadOptions) (*Layer, error) {
	opt.ctx = ctx
	if strings.EqualFold(filepath.Ext(name), ".shp") {
		return readShapefileFiles(path, name, opt)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fileErr(name, err)
	}
	var head [16]byte
	n, err := io.ReadFull(f, head[:])
	f.Close()
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fileErr(name, err)
	}
	if isSQLite(head[:n]) {
		return readGeoPackage(path, name, opt, false)
	}
	// GeoJSON is parsed as it is read (and inflated), holding a window of its text, not all of it.
	switch {
	case looksLikeJSON(head[:n]):
		return readGeoJSONFile(path, name, false, opt)
	case isGzip(head[:n]) && !hasSuffixFold(name, ".gpkg.gz"):
		if inner, err := gzipFileHead(path); err == nil && looksLikeJSON(inner) {
			return readGeoJSONFile(path, name, true, opt)
		}
	}
	if isZip(head[:n]) {
		// Read through the file: a zip is read by its directory at the end, member by member.
		f, err := os.Open(path)
		if err != nil {
			return nil, fileErr(name, err)
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return nil, fileErr(name, err)
		}
		return readShapefileZip(name, f, fi.Size(), opt)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fileErr(name, err)
	}
	return readBytes(name, data, opt)
}

// Read reads a polygon source held in one stream, such as an upload: GeoJSON (plain or gzipped), a
// zipped shapefile or a GeoPackage (plain or gzipped; it is copied to a temporary file for SQLite).
// name is the source's file name, used to tell formats apart and in errors.
func Read(r io.Reader, name string, opt ReadOptions) (*Layer, error) {
	return ReadContext(context.Background(), r, name, opt)
}

// ReadContext is Read under ctx, as ReadFileContext is ReadFileAs.
func ReadContext(ctx context.Context, r io.Reader, name string, opt ReadOptions) (*Layer, error) {
	opt.ctx = ctx
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fileErr(name, err)
	}
	return readBytes(name, data, opt)
}

// readBytes tells the format from the content: gzip, zip, SQLite or JSON.
func readBytes(name string, data []byte, opt ReadOptions) (*Layer, error) {
	switch {
	case isGzip(data):
		if isSQLite(gzipHead(data)) || hasSuffixFold(name, ".gpkg.gz") {
			return readGeoPackageGzip(name, data, opt)
		}
		return readGeoJSONBytes(name, data, opt)
	case isZip(data):
		return readShapefileZip(name, bytes.NewReader(data), int64(len(data)), opt)
	case isSQLite(data):
		return readGeoPackageBytes(name, data, opt)
	case looksLikeJSON(data):
		return readGeoJSONBytes(name, data, opt)
	}
	lower := strings.ToLower(name)
	switch {
	case hasSuffixFold(lower, ".shx"), hasSuffixFold(lower, ".dbf"), hasSuffixFold(lower, ".prj"):
		return nil, fileErr(name, fmt.Errorf("%w: read the .shp beside it, or a .zip of the shapefile", ErrFormat))
	case hasSuffixFold(lower, ".gz"):
		return nil, fileErr(name, fmt.Errorf("%w: not gzip data", ErrMalformed))
	case hasSuffixFold(lower, ".zip"):
		return nil, fileErr(name, fmt.Errorf("%w: not a zip archive", ErrMalformed))
	case hasSuffixFold(lower, ".gpkg"):
		return nil, fileErr(name, fmt.Errorf("%w: not an SQLite database", ErrMalformed))
	case hasSuffixFold(lower, ".geojson"), hasSuffixFold(lower, ".json"):
		return nil, fileErr(name, fmt.Errorf("%w: not a JSON object", ErrMalformed))
	}
	return nil, fileErr(name, ErrFormat)
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

func isGzip(b []byte) bool   { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }
func isSQLite(b []byte) bool { return bytes.HasPrefix(b, []byte("SQLite format 3\x00")) }

// isZip tells a zip by its first local header, or the end record of an empty archive.
func isZip(b []byte) bool {
	return bytes.HasPrefix(b, []byte("PK\x03\x04")) || bytes.HasPrefix(b, []byte("PK\x05\x06"))
}

func looksLikeJSON(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

// fieldCode matches ONS code fields: MSOA11CD, LSOA21CD, LAD22CD, LOC22CD, SICBL22CD…
var fieldCode = regexp.MustCompile(`(?i)^[a-z]+[0-9][0-9]cd$`)

// fieldName matches ONS name fields, the twins of fieldCode.
var fieldName = regexp.MustCompile(`(?i)^[a-z]+[0-9][0-9]nm$`)

// detectFields picks the code and name attributes among fields (in the source's order).
func detectFields(fields []string, opt ReadOptions) (code, name string, err error) {
	find := func(want string) (string, bool) {
		for _, f := range fields {
			if f == want {
				return f, true
			}
		}
		for _, f := range fields {
			if strings.EqualFold(f, want) {
				return f, true
			}
		}
		return "", false
	}
	findRe := func(re *regexp.Regexp) (string, bool) {
		for _, f := range fields {
			if re.MatchString(f) {
				return f, true
			}
		}
		return "", false
	}
	list := func() string {
		if len(fields) == 0 {
			return "none"
		}
		return strings.Join(fields, ", ")
	}
	var ok bool
	if opt.CodeField != "" {
		if code, ok = find(opt.CodeField); !ok {
			return "", "", fmt.Errorf("%w: code field %q (fields: %s)", ErrField, opt.CodeField, list())
		}
	} else if code, ok = findRe(fieldCode); !ok {
		for _, c := range []string{"code", "area_code", "name", "area_name"} {
			if code, ok = find(c); ok {
				break
			}
		}
		if !ok {
			if code, ok = findRe(fieldName); !ok {
				return "", "", fmt.Errorf("%w: no code field (fields: %s); name one in ReadOptions.CodeField", ErrField, list())
			}
		}
	}
	if opt.NameField != "" {
		if name, ok = find(opt.NameField); !ok {
			return "", "", fmt.Errorf("%w: name field %q (fields: %s)", ErrField, opt.NameField, list())
		}
		return code, name, nil
	}
	if fieldCode.MatchString(code) {
		if name, ok = find(code[:len(code)-2] + "NM"); ok {
			return code, name, nil
		}
	}
	for _, c := range []string{"name", "area_name"} {
		if name, ok = find(c); ok {
			return code, name, nil
		}
	}
	if name, ok = findRe(fieldName); ok {
		return code, name, nil
	}
	return code, "", nil
}

// maxWorkers caps the goroutines that clean features.
var maxWorkers = runtime.GOMAXPROCS(0)

// batchSize is how many features a cleaning worker takes at a time.
const batchSize = 64

// batch is a run of features, cleaned in place by one worker.
type batch struct {
	feats    []Feature
	errs     []error
	repaired []bool
}

func (b *batch) clean(ctx context.Context, crs CRS, lim limits, v *validator) {
	for i := range b.feats {
		f := &b.feats[i]
		if err := ctx.Err(); err != nil {
			b.errs[i] = err
			continue
		}
		g, fixed, err := cleanFeature(ctx, f.Geom, crs, lim, v)
		if err != nil {
			b.errs[i] = err // keep going, so that the error reported is always the first
			continue
		}
		f.Geom, f.Bound, b.repaired[i] = g, g.Bound(), fixed
	}
}

// sink collects the features a reader produces and cleans them (reprojection, normalisation,
// validation, repair) on worker goroutines while the reader goes on. The caller must call wait.
type sink struct {
	ctx     context.Context
	lim     limits
	crs     CRS
	work    chan *batch
	wg      sync.WaitGroup
	batches []*batch
	cur     *batch
	n       int
	// deferred: no workers; the batches are cleaned when the layer's Clean is called.
	deferred bool
}

// limits are the caps of ReadOptions with their defaults filled in.
type limits struct{ features, vertices, holes int }

// newSink starts the workers, which clean features read in crs under opt's context and caps.
func newSink(crs CRS, opt ReadOptions) *sink {
	lim := limits{capOr(opt.MaxFeatures, DefaultMaxFeatures), capOr(opt.MaxVertices, DefaultMaxVertices), capOr(opt.MaxHoles, DefaultMaxHoles)}
	ctx := opt.context()
	k := &sink{ctx: ctx, lim: lim, crs: crs, work: make(chan *batch, 4*maxWorkers)}
	if opt.DeferClean {
		k.deferred = true
		return k
	}
	for range maxWorkers {
		k.wg.Add(1)
		go func() {
			defer k.wg.Done()
			var v validator
			for b := range k.work {
				b.clean(ctx, crs, lim, &v)
			}
		}()
	}
	return k
}

// add hands over a feature whose Geom is in the sink's CRS; the sink owns it from then on. It fails
// once the source holds more features than the cap, or the context is done.
func (k *sink) add(f Feature) error {
	if k.n >= k.lim.features {
		return fmt.Errorf("%w: over %d features (ReadOptions.MaxFeatures)", ErrLimit, k.lim.features)
	}
	if k.n%batchSize == 0 {
		if err := k.ctx.Err(); err != nil {
			return err
		}
	}
	if k.cur == nil {
		k.cur = &batch{feats: make([]Feature, 0, batchSize)}
	}
	k.cur.feats = append(k.cur.feats, f)
	k.n++
	if len(k.cur.feats) == batchSize {
		k.flush()
	}
	return nil
}

func (k *sink) flush() {
	if k.cur == nil {
		return
	}
	b := k.cur
	k.cur = nil
	b.errs, b.repaired = make([]error, len(b.feats)), make([]bool, len(b.feats))
	k.batches = append(k.batches, b)
	if !k.deferred {
		k.work <- b
	}
}

// wait flushes the last batch and waits for the workers. It may be called more than once.
func (k *sink) wait() {
	if k.work == nil {
		return
	}
	k.flush()
	close(k.work)
	k.wg.Wait()
	k.work = nil
}

// layer checks the codes and makes the Layer of the cleaned features, or returns the first problem:
// a missing or duplicated code, then a geometry error. positions[i] is where feature i was in the file,
// when records were skipped (nil when they are the same).
func (k *sink) layer(source, codeField, nameField string, positions []int) (*Layer, error) {
	k.wait()
	if err := k.ctx.Err(); err != nil {
		return nil, fileErr(source, err)
	}
	if k.n == 0 {
		return nil, fileErr(source, ErrNoFeatures)
	}
	pos := func(i int) int {
		if positions == nil {
			return i
		}
		return positions[i]
	}
	feats := k.features()
	seen := make(map[string]int, len(feats))
	for i := range feats {
		c := feats[i].Code
		if c == "" {
			return nil, featureErr(source, pos(i), "", fmt.Errorf("%w in field %s", ErrNoCode, codeField))
		}
		if j, dup := seen[c]; dup {
			return nil, featureErr(source, pos(i), c, fmt.Errorf("%w (first at feature %d)", ErrDuplicateCode, pos(j)))
		}
		seen[c] = i
	}
	l := &Layer{Source: source, CRS: k.crs, CodeField: codeField, NameField: nameField, Features: feats}
	if k.deferred {
		l.pending = &pending{k: k, source: source, positions: positions}
		return l, nil
	}
	if err := k.check(l, source, positions); err != nil {
		return nil, err
	}
	return l, nil
}

// features are the features of the batches, in order.
func (k *sink) features() []Feature {
	feats := make([]Feature, 0, k.n)
	for _, b := range k.batches {
		feats = append(feats, b.feats...)
	}
	return feats
}

// check returns the first feature's cleaning error, and lists the repaired features in l.
func (k *sink) check(l *Layer, source string, positions []int) error {
	pos := func(i int) int {
		if positions == nil {
			return i
		}
		return positions[i]
	}
	i := 0
	for _, b := range k.batches {
		for j, err := range b.errs {
			if err != nil {
				return featureErr(source, pos(i+j), b.feats[j].Code, err)
			}
			if b.repaired[j] {
				l.Repaired = append(l.Repaired, b.feats[j].Code)
			}
		}
		i += len(b.feats)
	}
	return nil
}

// pending is the cleaning of a layer read with ReadOptions.DeferClean.
type pending struct {
	k         *sink
	source    string
	positions []int
	start     sync.Once
	wg        sync.WaitGroup
	done      sync.Once
	err       error
}

// Clean starts cleaning the features of a layer read with ReadOptions.DeferClean on workers
// goroutines (at most GOMAXPROCS; 0 means that many), unless it has started already. It does
// nothing for a layer read without it.
func (l *Layer) Clean(workers int) {
	p := l.pending
	if p == nil {
		return
	}
	if workers <= 0 || workers > maxWorkers {
		workers = maxWorkers
	}
	p.start.Do(func() {
		var next atomic.Int64
		for range workers {
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				var v validator
				for {
					i := int(next.Add(1)) - 1
					if i >= len(p.k.batches) {
						return
					}
					p.k.batches[i].clean(p.k.ctx, p.k.crs, p.k.lim, &v)
				}
			}()
		}
	})
}

// Wait waits for the cleaning Clean started (starting it on every core if it has not been) and
// returns the first feature's error, as a read without ReadOptions.DeferClean would have; the
// layer's Features are then cleaned and Repaired lists the repaired ones. It may be called more
// than once, and does nothing for a layer read without DeferClean.
func (l *Layer) Wait() error {
	p := l.pending
	if p == nil {
		return nil
	}
	l.Clean(0)
	p.done.Do(func() {
		p.wg.Wait()
		if err := p.k.ctx.Err(); err != nil {
			p.err = fileErr(p.source, err)
			return
		}
		if p.err = p.k.check(l, p.source, p.positions); p.err == nil {
			l.Features = p.k.features()
		}
	})
	return p.err
}

// cleanFeature checks the range of g's coordinates in crs, converts them to WGS84 in place, normalises
// g and repairs it if it is invalid, which it checks with v.
func cleanFeature(ctx context.Context, g orb.MultiPolygon, crs CRS, lim limits, v *validator) (orb.MultiPolygon, bool, error) {
	n := 0
	for _, poly := range g {
		if len(poly)-1 > lim.holes {
			return nil, false, fmt.Errorf("%w: a polygon with %d holes, over the cap of %d (ReadOptions.MaxHoles)", ErrLimit, len(poly)-1, lim.holes)
		}
		for _, ring := range poly {
			if n += len(ring); n > lim.vertices {
				return nil, false, fmt.Errorf("%w: over %d vertices (ReadOptions.MaxVertices)", ErrLimit, lim.vertices)
			}
		}
	}
	for _, poly := range g {
		for _, ring := range poly {
			for i, p := range ring {
				if !inRange(p, crs) {
					return nil, false, rangeErr(p, crs)
				}
				if crs == CRSBNG {
					ring[i] = BNGToWGS84(p)
				}
			}
		}
	}
	g = Normalize(g)
	if len(g) == 0 {
		return nil, false, fmt.Errorf("%w: no ring with 3 distinct points and an area", ErrEmptyGeometry)
	}
	ok, err := v.check(ctx, g)
	if err != nil {
		return nil, false, err
	}
	if ok {
		return g, false, nil
	}
	r, err := RepairContext(ctx, g)
	if err != nil {
		return nil, false, err
	}
	return r, true, nil
}

// pointArena hands out rings carved from large shared blocks, so that reading a national file makes a
// few dozen allocations instead of one per ring. Every ring is capped, so appending to one copies it.
type pointArena struct {
	buf   []orb.Point
	start int // where the ring being built begins
}

const arenaBlock = 1 << 16

func (a *pointArena) add(p orb.Point) {
	if len(a.buf) == cap(a.buf) {
		n := len(a.buf) - a.start
		nb := make([]orb.Point, n, max(arenaBlock, 2*n+16))
		copy(nb, a.buf[a.start:])
		a.buf, a.start = nb, 0
	}
	a.buf = append(a.buf, p)
}

// ring returns the points added since the last call.
func (a *pointArena) ring() orb.Ring {
	r := orb.Ring(a.buf[a.start:len(a.buf):len(a.buf)])
	a.start = len(a.buf)
	return r
}

// drop forgets the points added since the last ring.
func (a *pointArena) drop() { a.buf = a.buf[:a.start] }

// sliceArena does the same for rings and polygons.
type sliceArena[T any] struct{ buf []T }

func (a *sliceArena[T]) take(items []T) []T {
	if len(items) == 0 {
		return nil
	}
	if cap(a.buf)-len(a.buf) < len(items) {
		a.buf = make([]T, 0, max(4096, len(items)))
	}
	s := len(a.buf)
	a.buf = append(a.buf, items...)
	return a.buf[s:len(a.buf):len(a.buf)]
}

// gzipFileHead returns the first inflated bytes of the gzip file at path, to sniff what it holds.
func gzipFileHead(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	head := make([]byte, 16)
	n, err := io.ReadFull(zr, head)
	if n == 0 {
		return nil, err
	}
	return head[:n], nil
}
