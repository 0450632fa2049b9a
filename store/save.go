package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"pcnmap/geo"
	"pcnmap/internal/scratch"
	"pcnmap/nhs"
	"pcnmap/overlap"
)

// Save writes release d into the workspace in one transaction, replacing a release of the same name,
// and stamps it with the time ingestedAt. On any error, or when ctx is cancelled, the transaction is
// rolled back and the file is as it was.
func (w *Workspace) Save(ctx context.Context, d *overlap.Dataset, ingestedAt time.Time) error {
	return w.save(ctx, d, ingestedAt, nil)
}

// save is Save of a dataset that finish, when not nil, completes: it is called once the tables that
// do not hold the areas' geometry or the release's notes are written, and its error rolls back.
func (w *Workspace) save(ctx context.Context, d *overlap.Dataset, ingestedAt time.Time, finish func() error) (err error) {
	defer markBusy(&err)
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %s: begin: %w", w.path, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	for _, t := range releaseTables {
		col := "release"
		if t == "releases" {
			col = "name"
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+t+" WHERE "+col+" = ?", d.Release); err != nil {
			return fmt.Errorf("store: %s: clear %s: %w", w.path, t, err)
		}
	}
	if err := saveRelease(ctx, tx, d, ingestedAt, finish); err != nil {
		var f finishError
		if errors.As(err, &f) {
			return f.err
		}
		return fmt.Errorf("store: %s: release %s: %w", w.path, d.Release, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: %s: commit: %w", w.path, err)
	}
	return nil
}

// Ingest saves d into the workspace at path, creating the file if needed. A new workspace is written
// to a temporary file beside path (.NAME.ingest-PID.tmp) and renamed into place once saved, so a failed
// or killed first ingest leaves no workspace; the temporary files of an ingest whose process has died
// are removed when the next one starts.
func Ingest(ctx context.Context, path string, d *overlap.Dataset, ingestedAt time.Time) error {
	_, err := ingestWith(ctx, path, func(context.Context) (*overlap.Dataset, func() error, error) { return d, nil, nil }, func() time.Time { return ingestedAt })
	return err
}

// IngestPrepared is Ingest of the release prepare reads and joins, stamped with the time it returned
// it. For a new workspace the file is created meanwhile (its tables written) beside the reading, so
// that the save begins at once when the dataset is ready; an existing workspace is opened only then,
// so that a failed prepare leaves it untouched (opening may migrate it). When prepare fails, nothing
// is written and its error is returned.
func IngestPrepared(ctx context.Context, path string, prepare func(context.Context) (*overlap.Dataset, error)) (*overlap.Dataset, error) {
	return ingestWith(ctx, path, func(ctx context.Context) (*overlap.Dataset, func() error, error) {
		d, err := prepare(ctx)
		return d, nil, err
	}, time.Now)
}

// IngestStaged is IngestPrepared of a prepare that returns its dataset before the areas' geometry
// and the release's notes are final, with finish to complete them (ingest.PrepareStaged): the save
// writes the other tables first and calls finish only before the areas and the release's row, so
// that what finish waits for runs beside it. An error of finish is returned as it is, and nothing is
// saved.
func IngestStaged(ctx context.Context, path string, prepare func(context.Context) (*overlap.Dataset, func() error, error)) (*overlap.Dataset, error) {
	return ingestWith(ctx, path, prepare, time.Now)
}

// finishError carries the error of a save's finish through saveRelease unwrapped.
type finishError struct{ err error }

func (f finishError) Error() string { return f.err.Error() }

func ingestWith(ctx context.Context, path string, prepare func(context.Context) (*overlap.Dataset, func() error, error), stamp func() time.Time) (*overlap.Dataset, error) {
	removeStale(path)
	if _, err := os.Stat(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		d, finish, err := prepare(ctx)
		if err != nil {
			return nil, err
		}
		return d, save(ctx, path, d, stamp(), finish)
	}
	tmp := tempName(path, os.Getpid())
	type opened struct {
		w   *Workspace
		err error
	}
	ready := make(chan opened, 1)
	octx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		w, err := Open(octx, tmp, true)
		ready <- opened{w, err}
	}()
	d, finish, err := prepare(ctx)
	if err != nil {
		cancel()
	}
	o := <-ready
	if err == nil {
		err = o.err
	}
	if err == nil {
		err = o.w.save(ctx, d, stamp(), finish)
	}
	if o.w != nil {
		if cerr := o.w.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("store: %s: close: %w", tmp, cerr)
		}
	}
	if err == nil {
		// Link, not rename: a workspace created at path meanwhile is not replaced.
		if err = os.Link(tmp, path); err != nil {
			err = fmt.Errorf("store: %s: %w", path, err)
		}
	}
	removeFiles(tmp)
	if err != nil {
		return nil, err
	}
	return d, nil
}

func save(ctx context.Context, path string, d *overlap.Dataset, ingestedAt time.Time, finish func() error) error {
	w, err := Open(ctx, path, true)
	if err != nil {
		return err
	}
	err = w.save(ctx, d, ingestedAt, finish)
	if cerr := w.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("store: %s: close: %w", path, cerr)
	}
	return err
}

// tempName is the file a first ingest into path by process pid writes.
func tempName(path string, pid int) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".ingest-"+strconv.Itoa(pid)+".tmp")
}

func removeFiles(path string) {
	for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
}

// removeStale removes the temporary files of first ingests into path whose process is gone.
func removeStale(path string) {
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".ingest-*.tmp"))
	for _, m := range matches {
		rest := strings.TrimPrefix(filepath.Base(m), "."+filepath.Base(path)+".ingest-")
		pid, err := strconv.Atoi(strings.TrimSuffix(rest, ".tmp"))
		if err != nil || pid == os.Getpid() || scratch.Alive(pid) {
			continue
		}
		removeFiles(m)
	}
}

// saveRelease writes the rows of release d. The areas and the release's own row are written last, after
// finish (when not nil) has completed them.
func saveRelease(ctx context.Context, tx *sql.Tx, d *overlap.Dataset, ingestedAt time.Time, finish func() error) error {
	type unit struct {
		kind, code, name string
	}
	var units []unit
	for k := range overlap.KindCount {
		for code, name := range d.Units[k] {
			units = append(units, unit{nhs.Kind(k).String(), code, name})
		}
	}
	if err := insert(ctx, tx, "units", []string{"release", "kind", "code", "name"}, len(units), func(i int, v []any) error {
		v[0], v[1], v[2], v[3] = d.Release, units[i].kind, units[i].code, units[i].name
		return nil
	}); err != nil {
		return err
	}
	type alias struct {
		kind, alias, code string
	}
	var aliases []alias
	for k := range overlap.KindCount {
		for a, code := range d.Aliases[k] {
			aliases = append(aliases, alias{nhs.Kind(k).String(), a, code})
		}
	}
	if err := insert(ctx, tx, "unit_aliases", []string{"release", "kind", "alias", "code"}, len(aliases), func(i int, v []any) error {
		v[0], v[1], v[2], v[3] = d.Release, aliases[i].kind, aliases[i].alias, aliases[i].code
		return nil
	}); err != nil {
		return err
	}
	var geoms wkbArena
	if err := insert(ctx, tx, "pcns", []string{"release", "idx", "code", "name", "list_size", "resident"}, len(d.PCNs), func(i int, v []any) error {
		p := &d.PCNs[i]
		v[0], v[1], v[2], v[3], v[4], v[5] = d.Release, int64(i), p.Code, p.Name, p.ListSize, p.Resident
		return nil
	}); err != nil {
		return err
	}
	if err := insert(ctx, tx, "practices", []string{"release", "idx", "code", "name", "pcn", "list_size"}, len(d.Practices), func(i int, v []any) error {
		p := &d.Practices[i]
		v[0], v[1], v[2], v[3], v[4], v[5] = d.Release, int64(i), p.Code, p.Name, int64(p.PCN), p.ListSize
		return nil
	}); err != nil {
		return err
	}
	if err := insert(ctx, tx, "lsoas", []string{"release", "idx", "code", "area", "registered", "units", "lon", "lat"}, len(d.LSOAs), func(i int, v []any) error {
		l := &d.LSOAs[i]
		v[0], v[1], v[2], v[3], v[4], v[5] = d.Release, int64(i), l.Code, int64(l.Area), l.Registered, unitsJSON(&l.Units)
		v[6], v[7] = nil, nil
		if l.HasPoint {
			v[6], v[7] = l.Point[0], l.Point[1]
		}
		return nil
	}); err != nil {
		return err
	}
	if err := insert(ctx, tx, "area_pcn", []string{"release", "area", "pcn", "patients"}, len(d.Cells), func(i int, v []any) error {
		c := d.Cells[i]
		v[0], v[1], v[2], v[3] = d.Release, int64(c.Area), int64(c.PCN), int64(c.Patients)
		return nil
	}); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO registrations(release, rows) VALUES(?, ?)`, d.Release, packRows(d.Rows)); err != nil {
		return fmt.Errorf("registrations: %w", err)
	}
	if err := saveAreaCounts(ctx, tx, d); err != nil {
		return err
	}
	if err := insert(ctx, tx, "boundaries", []string{"release", "kind", "code", "name", "geom"}, len(d.Boundaries), func(i int, v []any) error {
		b := &d.Boundaries[i]
		g, err := geoms.marshal(i, b.Geom)
		if err != nil {
			return fmt.Errorf("boundary %s %s: %w", b.Kind, b.Code, err)
		}
		v[0], v[1], v[2], v[3], v[4] = d.Release, b.Kind, b.Code, b.Name, g
		return nil
	}); err != nil {
		return err
	}
	if err := saveLSOAPolygons(ctx, tx, d, &geoms); err != nil {
		return err
	}
	// The areas' geometry and the release's notes last: finish may still be completing them.
	if finish != nil {
		if err := finish(); err != nil {
			return finishError{err}
		}
	}
	// The areas' bounds, as their columns and the directory keep them (none without a vertex).
	bounds := make([]orb.Bound, len(d.Areas))
	bounded := make([]bool, len(d.Areas))
	for i := range d.Areas {
		if bounded[i] = hasPoint(d.Areas[i].Geom); bounded[i] {
			bounds[i] = featureBound(&d.Areas[i].Feature)
		}
	}
	if err := insert(ctx, tx, "areas", []string{"release", "idx", "code", "name", "registered", "in_pcn", "units", "geom", "minx", "miny", "maxx", "maxy"}, len(d.Areas), func(i int, v []any) error {
		a := &d.Areas[i]
		g, err := geoms.marshal(i, a.Geom)
		if err != nil {
			return fmt.Errorf("area %s: %w", a.Code, err)
		}
		v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7] = d.Release, int64(i), a.Code, a.Name, a.Registered, a.InPCN, unitsJSON(&a.Units), g
		v[8], v[9], v[10], v[11] = nil, nil, nil, nil
		if b := bounds[i]; bounded[i] {
			v[8], v[9], v[10], v[11] = b.Min[0], b.Min[1], b.Max[0], b.Max[1]
		}
		return nil
	}); err != nil {
		return err
	}
	if err := saveDirectory(ctx, tx, d, bounds, bounded); err != nil {
		return err
	}
	coverage, err := json.Marshal(d.Coverage)
	if err != nil {
		return err
	}
	sources, err := json.Marshal(d.Sources)
	if err != nil {
		return err
	}
	notes, err := json.Marshal(d.Notes)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO releases(name, extract_date, as_of, ingested_at, sources, coverage, notes) VALUES(?,?,?,?,?,?,?)`,
		d.Release, date(d.ExtractDate), date(d.AsOf), ingestedAt.UTC().Format(time.RFC3339), string(sources), string(coverage), string(notes)); err != nil {
		return fmt.Errorf("releases: %w", err)
	}
	return nil
}

// saveLSOAPolygons writes d.LSOAPolygons and their bounds.
func saveLSOAPolygons(ctx context.Context, tx *sql.Tx, d *overlap.Dataset, geoms *wkbArena) error {
	return insert(ctx, tx, "lsoa_polygons", []string{"release", "code", "minx", "miny", "maxx", "maxy", "geom"}, len(d.LSOAPolygons), func(i int, v []any) error {
		f := &d.LSOAPolygons[i]
		if len(f.Geom) == 0 {
			return fmt.Errorf("LSOA %s: empty polygon", f.Code)
		}
		g, err := geoms.marshal(i, f.Geom)
		if err != nil {
			return fmt.Errorf("LSOA %s: %w", f.Code, err)
		}
		b := featureBound(f)
		v[0], v[1], v[2], v[3], v[4], v[5], v[6] = d.Release, f.Code, b.Min[0], b.Min[1], b.Max[0], b.Max[1], g
		return nil
	})
}

// featureBound is f's bound: the one the cleaning computed when there is one, else computed here
// (a pass over every vertex: a sixth of the national areas' save, for a bound already known).
func featureBound(f *geo.Feature) orb.Bound {
	if f.Bound != (orb.Bound{}) {
		return f.Bound
	}
	return f.Geom.Bound()
}

// wkbArena encodes the geometries of a table's rows one after another into one buffer, reused for
// each batch of insert: the national LSOA polygons' 31 MB of WKB would otherwise be as much garbage.
type wkbArena struct {
	bufs [2][]byte // by batch, in turn, as insert's argument buffers
	cur  int
	enc  *wkb.Encoder
}

func (a *wkbArena) Write(p []byte) (int, error) {
	a.bufs[a.cur] = append(a.bufs[a.cur], p...)
	return len(p), nil
}

// marshal returns the WKB of g (the bytes wkb.Marshal writes) for row i of insert, valid until its
// batch has been executed: the buffer of a batch is reused two batches on, when insert has written it.
func (a *wkbArena) marshal(i int, g orb.Geometry) ([]byte, error) {
	a.cur = (i / insertBatch) % len(a.bufs)
	if i%insertBatch == 0 {
		a.bufs[a.cur] = a.bufs[a.cur][:0]
	}
	if a.enc == nil {
		a.enc = wkb.NewEncoder(a)
	}
	b := &a.bufs[a.cur]
	start := len(*b)
	if err := a.enc.Encode(g); err != nil {
		return nil, err
	}
	if len(*b) == start {
		return nil, nil
	}
	return (*b)[start:len(*b):len(*b)], nil
}

// insertBatch is how many rows one INSERT statement carries: multi-row statements are several
// times faster than one statement a row in SQLite.
const insertBatch = 256

// insert writes n rows into table; row fills the values of row i. It is called for each i in turn,
// insertBatch rows at a time, on another goroutine than the caller's but for row 0, while the
// previous batch is written; a batch is written before row is called for the batch two on (so a
// row's values may be reused from then: SQLite copies what is bound). When the first column is the
// release, the same in every row, it is written into the statement as a literal instead of being
// bound in every row: text binds are copied into SQLite's memory one by one. Rows give integers as
// int64, the type database/sql passes on as it is: any other goes through reflection and is boxed
// again (half the save's allocations, for the 140k area × PCN cells).
func insert(ctx context.Context, tx *sql.Tx, table string, cols []string, n int, row func(i int, v []any) error) error {
	if n == 0 {
		return nil
	}
	vals := make([]any, len(cols))
	skip := 0 // leading columns written as literals
	one := "(" + strings.Repeat("?,", len(cols)-1) + "?)"
	if err := row(0, vals); err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	release, ok := vals[0].(string)
	if ok && cols[0] == "release" && !strings.ContainsRune(release, 0) {
		skip = 1
		one = "(" + sqlQuote(release) + strings.Repeat(",?", len(cols)-1) + ")"
	}
	per := len(cols) - skip
	prefix := "INSERT INTO " + table + "(" + strings.Join(cols, ",") + ") VALUES "
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	// The rows of the next batch are made (geometry encoded, values boxed) on a goroutine of their
	// own while SQLite writes this one: two argument buffers take turns.
	type batch struct {
		k, m int // buffer, rows
		err  error
	}
	var bufs [2][]any
	for k := range bufs {
		bufs[k] = make([]any, insertBatch*per)
	}
	free := make(chan int, len(bufs))
	for k := range bufs {
		free <- k
	}
	filled := make(chan batch, 1)
	stop, done := make(chan struct{}), make(chan struct{})
	defer func() {
		close(stop)
		<-done // no row is made once insert has returned
	}()
	go func() {
		defer close(done)
		defer close(filled)
		for start := 0; start < n; start += insertBatch {
			var k int
			select {
			case k = <-free:
			case <-stop:
				return
			}
			b := batch{k: k, m: min(insertBatch, n-start)}
			args := bufs[k]
			for i := 0; i < b.m && b.err == nil; i++ {
				if start+i > 0 {
					if err := row(start+i, vals); err != nil {
						b.err = fmt.Errorf("%s: %w", table, err)
						break
					}
				}
				if skip > 0 && vals[0] != any(release) {
					b.err = fmt.Errorf("%s: row %d is of release %v, not %s", table, start+i, vals[0], release)
					break
				}
				copy(args[i*per:(i+1)*per], vals[skip:])
			}
			select {
			case filled <- b:
			case <-stop:
				return
			}
			if b.err != nil {
				return
			}
		}
	}()
	for b := range filled {
		if b.err != nil {
			return b.err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		args := bufs[b.k][:b.m*per]
		var err error
		if b.m == insertBatch {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, prefix+strings.TrimSuffix(strings.Repeat(one+",", b.m), ",")); err != nil {
					return fmt.Errorf("%s: %w", table, err)
				}
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, prefix+strings.TrimSuffix(strings.Repeat(one+",", b.m), ","), args...)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
		free <- b.k
	}
	return nil
}

// sqlQuote writes s as an SQL string literal.
func sqlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

// unitsJSON writes an area's or LSOA's units as a JSON object keyed by kind, omitting empty kinds,
// so SQL users can json_extract(units, '$.icb'). It writes the bytes json.Marshal writes for the
// map (keys sorted), directly when every code is plain ASCII: the map and its reflection were most of
// the time the LSOAs' save took.
func unitsJSON(u *[overlap.KindCount]string) string {
	if unitKinds == nil {
		return unitsJSONMap(u)
	}
	b := make([]byte, 0, 16+24*len(u))
	b = append(b, '{')
	for _, k := range unitKinds {
		code := u[k]
		if code == "" {
			continue
		}
		if !plainJSON(code) {
			return unitsJSONMap(u)
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, nhs.Kind(k).String()...)
		b = append(b, `":"`...)
		b = append(b, code...)
		b = append(b, '"')
	}
	return string(append(b, '}'))
}

// unitsJSONMap is unitsJSON through json.Marshal, for codes that need escaping.
func unitsJSONMap(u *[overlap.KindCount]string) string {
	m := make(map[string]string, len(u))
	for k, code := range u {
		if code != "" {
			m[nhs.Kind(k).String()] = code
		}
	}
	b, _ := json.Marshal(m) // a map of strings always marshals
	return string(b)
}

// unitKinds are the kinds in the order of their names, as json.Marshal sorts a map's keys; nil if
// two kinds share a name or a name needs escaping.
var unitKinds = func() []int {
	ks := make([]int, overlap.KindCount)
	for k := range ks {
		ks[k] = k
		if !plainJSON(nhs.Kind(k).String()) {
			return nil
		}
	}
	slices.SortFunc(ks, func(a, b int) int { return strings.Compare(nhs.Kind(a).String(), nhs.Kind(b).String()) })
	for i := 1; i < len(ks); i++ {
		if nhs.Kind(ks[i]).String() == nhs.Kind(ks[i-1]).String() {
			return nil
		}
	}
	return ks
}()

// plainJSON reports whether s is written as is inside a JSON string by json.Marshal: printable
// ASCII other than the quote, the backslash and the HTML characters it escapes.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// packRows encodes rows as packTriples does (practice, LSOA, patients): about 4 bytes a row.
func packRows(rows []overlap.Row) []byte {
	return packTriples(rows, func(r overlap.Row) (int64, uint64, uint64) {
		return int64(r.Practice), uint64(r.LSOA), uint64(r.Patients)
	})
}
