// Package store keeps pcnmap's workspace: one SQLite file (modernc.org/sqlite, no cgo) holding any
// number of releases side by side. Saving a release happens in one transaction, so a failure or an
// interrupt leaves the file as it was. Tables are plain rows a SQL user can query (areas, pcns,
// practices, lsoas, area_pcn); the practice × LSOA registrations are kept as one packed blob per
// release, because 840k rows of SQL would cost more to write than the rest of the ingest.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite" // the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"

	"pcnmap/overlap"
)

// ErrNoRelease is returned when the workspace has no release of the requested name (or none at all).
var ErrNoRelease = errors.New("store: no such release")

// ErrBusy is returned when another connection or process holds the workspace's lock for longer than
// busyTimeout: a save that waits behind another, or a read behind a commit. It is worth retrying.
var ErrBusy = errors.New("store: the workspace is busy (another process is writing it); try again shortly")

// busyTimeout is how long a statement waits for a lock before failing with ErrBusy unless
// Options.LockWait says otherwise, and readers is
// the number of read-only connections reads share, so one slow read does not stall the others.
const (
	busyTimeout = 3 * time.Second
	readers     = 4
)

// markBusy wraps *err with ErrBusy when SQLite said the file was locked.
func markBusy(err *error) {
	if *err == nil || errors.Is(*err, ErrBusy) {
		return
	}
	var se *sqlite.Error
	if errors.As(*err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			*err = fmt.Errorf("%w: %w", ErrBusy, *err)
		}
	}
}

// schemaVersion is bumped when the tables change; migrations lists how to bring an older file up.
const schemaVersion = "7"

// A migration takes a workspace one schema version up, inside the transaction of the version bump.
type migration func(ctx context.Context, tx *sql.Tx) error

// sqlMigration is a migration made of SQL statements alone.
func sqlMigration(q string) migration {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, q)
		return err
	}
}

// migrations[v] takes a workspace of schema v to v+1, in the same transaction as the version bump.
var migrations = map[string]migration{
	// 1 → 2: each LSOA's point (population-weighted centroid or point on surface), NULL when the
	// ingest had neither; re-ingest a release to fill them.
	"1": sqlMigration(`ALTER TABLE lsoas ADD COLUMN lon REAL; ALTER TABLE lsoas ADD COLUMN lat REAL;`),
	// 2 → 3: the LSOA polygons, empty until a release is re-ingested with --lsoa-polygons.
	"2": sqlMigration(lsoaPolygonSchema),
	// 3 → 4: the units' other codes (NHS three-letter codes), empty until a release is re-ingested.
	"3": sqlMigration(unitAliasSchema),
	// 4 → 5: each area's bound, filled from its stored geometry (see fillAreaBounds).
	"4": addAreaBounds,
	// 5 → 6: each release's cells and no-PCN practice counts per area, derived from its rows (see
	// addAreaCounts).
	"5": addAreaCounts,
	// 6 → 7: each release's directory (the names, the areas' units and bounds) in one blob, derived
	// from its rows (see addDirectory), in place of the index that covered the areas' names.
	"6": addDirectory,
}

// areaBoundIndex lets a point lookup read the bounds of a release's areas, and the index of the
// areas whose bound holds the point, from index entries alone: the areas' rows hold their geometry
// (14 MB for England's MSOAs), which a scan of the table would read through.
const areaBoundIndex = `CREATE INDEX IF NOT EXISTS areas_bound ON areas(release, minx, maxx, miny, maxy, idx);`

// unitAliasSchema keeps, per release and kind, the other codes the context files gave its units
// (alias QNC → code E54000010), so that a command after the ingest takes a region by either.
const unitAliasSchema = `
CREATE TABLE IF NOT EXISTS unit_aliases(release TEXT NOT NULL, kind TEXT NOT NULL, alias TEXT NOT NULL,
	code TEXT NOT NULL, PRIMARY KEY(release, kind, alias)) WITHOUT ROWID;
`

// lsoaPolygonSchema keeps the LSOA polygons of each release ingested with them (WKB, WGS84) and
// their bounds. The index covers the bounds, so a bound query reads index entries, not polygons,
// until it has found the ones it wants. (An R*Tree would answer faster, but writing the national
// LSOAs into one cost 0.3 s of the ingest; this index costs little, and a query over England ~10 ms.)
const lsoaPolygonSchema = `
CREATE TABLE IF NOT EXISTS lsoa_polygons(release TEXT NOT NULL, code TEXT NOT NULL,
	minx REAL NOT NULL, miny REAL NOT NULL, maxx REAL NOT NULL, maxy REAL NOT NULL, geom BLOB NOT NULL,
	PRIMARY KEY(release, code));
CREATE INDEX IF NOT EXISTS lsoa_polygons_bound ON lsoa_polygons(release, minx, maxx, miny, maxy);
`

const schema = `
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS releases(
	name TEXT PRIMARY KEY, extract_date TEXT, as_of TEXT, ingested_at TEXT NOT NULL,
	sources TEXT NOT NULL, coverage TEXT NOT NULL, notes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS units(release TEXT NOT NULL, kind TEXT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,
	PRIMARY KEY(release, kind, code)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS areas(release TEXT NOT NULL, idx INTEGER NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,
	registered INTEGER NOT NULL, in_pcn INTEGER NOT NULL, units TEXT NOT NULL, geom BLOB NOT NULL,
	minx REAL, miny REAL, maxx REAL, maxy REAL, PRIMARY KEY(release, idx));
` + areaBoundIndex + `
CREATE TABLE IF NOT EXISTS pcns(release TEXT NOT NULL, idx INTEGER NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,
	list_size INTEGER NOT NULL, resident INTEGER NOT NULL, PRIMARY KEY(release, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS practices(release TEXT NOT NULL, idx INTEGER NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,
	pcn INTEGER NOT NULL, list_size INTEGER NOT NULL, PRIMARY KEY(release, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lsoas(release TEXT NOT NULL, idx INTEGER NOT NULL, code TEXT NOT NULL, area INTEGER NOT NULL,
	registered INTEGER NOT NULL, units TEXT NOT NULL, lon REAL, lat REAL, PRIMARY KEY(release, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS area_pcn(release TEXT NOT NULL, area INTEGER NOT NULL, pcn INTEGER NOT NULL,
	patients INTEGER NOT NULL, PRIMARY KEY(release, area, pcn)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS registrations(release TEXT PRIMARY KEY, rows BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS boundaries(release TEXT NOT NULL, kind TEXT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,
	geom BLOB NOT NULL, PRIMARY KEY(release, kind, code));
` + lsoaPolygonSchema + unitAliasSchema + areaCountSchema + directorySchema

// releaseTables are the tables holding one release's rows, cleared when it is re-ingested.
var releaseTables = []string{"units", "unit_aliases", "areas", "pcns", "practices", "lsoas", "area_pcn", "registrations", "area_counts", "release_directory", "boundaries", "lsoa_polygons", "releases"}

// Workspace is an open workspace file.
type Workspace struct {
	db   *sql.DB // the one read-write connection, for saves
	ro   *sql.DB // a pool of read-only connections, for reads
	path string
}

// Open opens the workspace at path, creating it when create is set; without it a missing file is
// an error, so a mistyped --db doesn't silently give an empty workspace. The read-write connection
// reads the file first, so a hot journal left by a crash or a full disk is rolled back before any
// reader sees the file.
func Open(ctx context.Context, path string, create bool) (*Workspace, error) {
	return OpenWith(ctx, path, Options{Create: create})
}

// Options are how OpenWith opens a workspace.
type Options struct {
	Create bool // create the file when it is missing
	// LockWait is how long a statement waits behind another process's lock before failing with
	// ErrBusy; zero means 3 s. A server answering requests wants it shorter than its clients' patience.
	LockWait time.Duration
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, opt Options) (w *Workspace, err error) {
	defer markBusy(&err)
	create := opt.Create
	wait := opt.LockWait
	if wait <= 0 {
		wait = busyTimeout
	}
	if !create {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
	}
	// A rollback journal, not WAL: a save writes each page once (WAL writes it twice, once to the
	// log and once at the checkpoint), and readers only read at start-up, so WAL's concurrency buys
	// nothing. Large pages keep area geometries (a few KB each) on few overflow pages.
	busy := fmt.Sprintf("_pragma=busy_timeout(%d)", wait.Milliseconds())
	dsn := "file:" + path + "?" + busy + "&_pragma=page_size(32768)&_pragma=journal_mode(DELETE)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	w = &Workspace{db: db, path: path}
	if err := w.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := w.initTeams(ctx); err != nil {
		db.Close()
		return nil, err
	}
	ro, err := sql.Open("sqlite", "file:"+path+"?mode=ro&"+busy)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	ro.SetMaxOpenConns(readers)
	ro.SetMaxIdleConns(readers)
	w.ro = ro
	return w, nil
}

func (w *Workspace) init(ctx context.Context) error {
	var version string
	err := w.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key='schema'`).Scan(&version)
	switch {
	case err == nil && version == schemaVersion:
		return nil
	case err == nil && migrations[version] != nil:
		return w.migrate(ctx, version)
	case err == nil:
		return fmt.Errorf("store: %s: workspace schema %s, this pcnmap reads %s; re-ingest into a new file", w.path, version, schemaVersion)
	case !errors.Is(err, sql.ErrNoRows) && !strings.Contains(err.Error(), "no such table"):
		return fmt.Errorf("store: %s: %w", w.path, err)
	}
	// One transaction for every table: each statement on its own would be a transaction of its own,
	// with its own journal and syncs (a new workspace took 0.1 s to open under load).
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %s: create tables: %w", w.path, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, schema+teamSchema); err != nil {
		return fmt.Errorf("store: %s: create tables: %w", w.path, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO meta(key, value) VALUES('schema', ?)`, schemaVersion); err != nil {
		return fmt.Errorf("store: %s: %w", w.path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: %s: create tables: %w", w.path, err)
	}
	return nil
}

// migrate brings a workspace of schema version from up to schemaVersion, one transaction per step.
func (w *Workspace) migrate(ctx context.Context, from string) error {
	for v := from; v != schemaVersion; {
		step, ok := migrations[v]
		if !ok {
			return fmt.Errorf("store: %s: workspace schema %s, this pcnmap reads %s; re-ingest into a new file", w.path, v, schemaVersion)
		}
		n, _ := strconv.Atoi(v)
		next := strconv.Itoa(n + 1)
		tx, err := w.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: %s: migrate: %w", w.path, err)
		}
		if err := step(ctx, tx); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: %s: migrate schema %s to %s: %w", w.path, v, next, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE meta SET value = ? WHERE key = 'schema'`, next); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: %s: migrate: %w", w.path, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: %s: migrate: %w", w.path, err)
		}
		v = next
	}
	return nil
}

// Close closes the file.
func (w *Workspace) Close() error {
	err := w.db.Close()
	if w.ro != nil {
		if rerr := w.ro.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

// Release describes one ingested release.
type Release struct {
	Name        string           `json:"name"`
	ExtractDate string           `json:"extract_date,omitempty"`
	AsOf        string           `json:"as_of,omitempty"`
	IngestedAt  time.Time        `json:"ingested_at"`
	Sources     []overlap.Source `json:"sources"`
	// Notes are what the ingest reported: repaired polygons, spatial-assignment differences, ….
	Notes []string `json:"notes,omitempty"`
	// Geography ("2011", "2021") and Region (the study region, "" for all areas) are the release's,
	// from its coverage.
	Geography string `json:"geography,omitempty"`
	Region    string `json:"region,omitempty"`
	// Default marks the release commands use when none is named (see Default).
	Default bool `json:"default,omitempty"`
}

// Releases lists the ingested releases, newest extract first.
func (w *Workspace) Releases(ctx context.Context) (_ []Release, err error) {
	defer markBusy(&err)
	def, _, err := w.Default(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := w.ro.QueryContext(ctx, `SELECT name, extract_date, as_of, ingested_at, sources, notes, coverage FROM releases ORDER BY extract_date DESC, name DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", w.path, err)
	}
	defer rows.Close()
	var out []Release
	for rows.Next() {
		var r Release
		var at, sources, notes, coverage string
		if err := rows.Scan(&r.Name, &r.ExtractDate, &r.AsOf, &at, &sources, &notes, &coverage); err != nil {
			return nil, fmt.Errorf("store: %s: %w", w.path, err)
		}
		if r.IngestedAt, err = time.Parse(time.RFC3339, at); err != nil {
			return nil, fmt.Errorf("store: %s: release %s: ingested_at: %w", w.path, r.Name, err)
		}
		if err := unmarshal(sources, &r.Sources); err != nil {
			return nil, fmt.Errorf("store: %s: release %s: sources: %w", w.path, r.Name, err)
		}
		if err := unmarshal(notes, &r.Notes); err != nil {
			return nil, fmt.Errorf("store: %s: release %s: notes: %w", w.path, r.Name, err)
		}
		var c overlap.Coverage
		if err := unmarshal(coverage, &c); err != nil {
			return nil, fmt.Errorf("store: %s: release %s: coverage: %w", w.path, r.Name, err)
		}
		r.Geography, r.Region = c.Geography, c.Region
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Default = out[i].Name == def
	}
	if def == "" && len(out) > 0 {
		out[0].Default = true
	}
	return out, nil
}

// Default returns the release commands use when none is named: the one set with SetDefault
// (explicit is true) while it exists, else "" (the newest extract is then used).
func (w *Workspace) Default(ctx context.Context) (name string, explicit bool, err error) {
	err = w.ro.QueryRowContext(ctx, `SELECT m.value FROM meta m JOIN releases r ON r.name = m.value WHERE m.key = 'default_release'`).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: %s: %w", w.path, err)
	}
	return name, true, nil
}

// SetDefault makes name the release commands use when none is named, kept in the workspace; ""
// goes back to the newest extract.
func (w *Workspace) SetDefault(ctx context.Context, name string) error {
	if name == "" {
		_, err := w.db.ExecContext(ctx, `DELETE FROM meta WHERE key = 'default_release'`)
		return err
	}
	if _, err := w.resolve(ctx, name); err != nil {
		return err
	}
	if _, err := w.db.ExecContext(ctx, `INSERT OR REPLACE INTO meta(key, value) VALUES('default_release', ?)`, name); err != nil {
		return fmt.Errorf("store: %s: %w", w.path, err)
	}
	return nil
}

// resolve returns the release name to load: name itself when it exists, or the newest when name is "".
func (w *Workspace) resolve(ctx context.Context, name string) (string, error) {
	releases, err := w.Releases(ctx)
	if err != nil {
		return "", err
	}
	if len(releases) == 0 {
		return "", fmt.Errorf("%w: %s holds no release; run pcnmap ingest first", ErrNoRelease, w.path)
	}
	if name == "" {
		for _, r := range releases {
			if r.Default {
				return r.Name, nil
			}
		}
		return releases[0].Name, nil
	}
	names := make([]string, len(releases))
	for i, r := range releases {
		if r.Name == name {
			return name, nil
		}
		names[i] = r.Name
	}
	return "", fmt.Errorf("%w: %q (the workspace has %s)", ErrNoRelease, name, strings.Join(names, ", "))
}

// ReleasesWithUnits lists the releases holding units of kind ("icb", "ward"), newest first.
func (w *Workspace) ReleasesWithUnits(ctx context.Context, kind string) ([]string, error) {
	return w.releasesWhere(ctx, `SELECT DISTINCT release FROM units WHERE kind = ?`, kind)
}

// ReleasesWithPoints lists the releases whose LSOAs have points (ingested with centroids or LSOA
// polygons), newest first.
func (w *Workspace) ReleasesWithPoints(ctx context.Context) ([]string, error) {
	return w.releasesWhere(ctx, `SELECT DISTINCT release FROM lsoas WHERE lon IS NOT NULL`)
}

func (w *Workspace) releasesWhere(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := w.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", w.path, err)
	}
	defer rows.Close()
	has := map[string]bool{}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, fmt.Errorf("store: %s: %w", w.path, err)
		}
		has[r] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rs, err := w.Releases(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rs {
		if has[r.Name] {
			out = append(out, r.Name)
		}
	}
	return out, nil
}
