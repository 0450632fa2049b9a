package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/paulmach/orb/encoding/wkb"

	"pcnmap/teams"
)

// Team-set errors.
var (
	// ErrNoTeamSet: no team set of that name in the release.
	ErrNoTeamSet = errors.New("store: no such team set")
	// ErrTeamSetExists: saving or renaming onto a name already taken in the release.
	ErrTeamSetExists = errors.New("store: team set already exists")
)

// teamSchema holds footprint sets, keyed by release and set name. They live beside the release
// tables and are created on first use, so workspaces written before them still open; re-ingesting a
// release keeps its sets, which refer to LSOAs and practices by code.
const teamSchema = `
CREATE TABLE IF NOT EXISTS team_sets(release TEXT NOT NULL, name TEXT NOT NULL, source TEXT NOT NULL,
	method TEXT NOT NULL, imported_at TEXT NOT NULL, PRIMARY KEY(release, name));
CREATE TABLE IF NOT EXISTS team_set_teams(release TEXT NOT NULL, set_name TEXT NOT NULL, idx INTEGER NOT NULL,
	name TEXT NOT NULL, PRIMARY KEY(release, set_name, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS team_members(release TEXT NOT NULL, set_name TEXT NOT NULL, team INTEGER NOT NULL,
	code TEXT NOT NULL, weight REAL NOT NULL, PRIMARY KEY(release, set_name, team, code)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS team_polygons(release TEXT NOT NULL, set_name TEXT NOT NULL, team INTEGER NOT NULL,
	geom BLOB NOT NULL, PRIMARY KEY(release, set_name, team));
`

var teamTables = []string{"team_members", "team_polygons", "team_set_teams", "team_sets"}

func (w *Workspace) initTeams(ctx context.Context) error {
	if _, err := w.db.ExecContext(ctx, teamSchema); err != nil {
		return fmt.Errorf("store: %s: create team tables: %w", w.path, err)
	}
	return nil
}

// TeamSet describes a stored footprint set.
type TeamSet struct {
	Release    string       `json:"release"`
	Name       string       `json:"name"`
	Source     string       `json:"source"`
	Method     teams.Method `json:"-"`
	ImportedAt time.Time    `json:"imported_at"`
	Teams      int          `json:"teams"`
}

// SaveTeams stores s under release (the newest when ""), in one transaction. It refuses a name the
// release already holds unless replace is set, in which case the old set is replaced atomically.
func (w *Workspace) SaveTeams(ctx context.Context, release string, s *teams.Set, replace bool) (err error) {
	if s.Name == "" {
		return fmt.Errorf("store: team set without a name")
	}
	return w.teamsTx(ctx, release, s.Name, func(tx *sql.Tx, release string, exists bool) error {
		if exists && !replace {
			return fmt.Errorf("%w: %q in release %s", ErrTeamSetExists, s.Name, release)
		}
		return w.saveTeams(ctx, tx, release, s)
	})
}

// saveTeams writes s inside SaveTeams' transaction, over any set of its name.
func (w *Workspace) saveTeams(ctx context.Context, tx *sql.Tx, release string, s *teams.Set) error {
	if err := deleteTeamSet(ctx, tx, release, s.Name); err != nil {
		return fmt.Errorf("store: %s: %w", w.path, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO team_sets(release, name, source, method, imported_at) VALUES(?, ?, ?, ?, ?)`,
		release, s.Name, s.Source, s.Method.String(), s.ImportedAt.UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("store: %s: team set %q: %w", w.path, s.Name, err)
	}
	team, err := tx.PrepareContext(ctx, `INSERT INTO team_set_teams(release, set_name, idx, name) VALUES(?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("store: %s: %w", w.path, err)
	}
	defer team.Close()
	member, err := tx.PrepareContext(ctx, `INSERT INTO team_members(release, set_name, team, code, weight) VALUES(?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("store: %s: %w", w.path, err)
	}
	defer member.Close()
	polygon, err := tx.PrepareContext(ctx, `INSERT INTO team_polygons(release, set_name, team, geom) VALUES(?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("store: %s: %w", w.path, err)
	}
	defer polygon.Close()
	for i, t := range s.Teams {
		if t.Geom != nil {
			g, err := wkb.Marshal(t.Geom)
			if err != nil {
				return fmt.Errorf("store: team set %q: team %q: polygon: %w", s.Name, t.Name, err)
			}
			if _, err := polygon.ExecContext(ctx, release, s.Name, i, g); err != nil {
				return fmt.Errorf("store: %s: team set %q: team %q: %w", w.path, s.Name, t.Name, err)
			}
		}
		if _, err := team.ExecContext(ctx, release, s.Name, i, t.Name); err != nil {
			return fmt.Errorf("store: %s: team set %q: team %q: %w", w.path, s.Name, t.Name, err)
		}
		for _, l := range t.LSOAs {
			if _, err := member.ExecContext(ctx, release, s.Name, i, l.LSOA, l.Weight); err != nil {
				return fmt.Errorf("store: %s: team set %q: team %q: %w", w.path, s.Name, t.Name, err)
			}
		}
		for _, p := range t.Practices {
			if _, err := member.ExecContext(ctx, release, s.Name, i, p, 1.0); err != nil {
				return fmt.Errorf("store: %s: team set %q: team %q: %w", w.path, s.Name, t.Name, err)
			}
		}
	}
	return nil
}

// TeamsVersion counts the writes to the workspace's footprint sets (save, delete, rename), by this
// process or any other: a server compares it to what it read last, so sets changed with the CLI
// while it runs are seen at once. A workspace never written to has version 0.
func (w *Workspace) TeamsVersion(ctx context.Context) (_ uint64, err error) {
	defer markBusy(&err)
	var v uint64
	err = w.ro.QueryRowContext(ctx, `SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'teams_version'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: %s: teams version: %w", w.path, err)
	}
	return v, nil
}

// bumpTeamsVersion adds one to TeamsVersion inside a write's transaction.
func bumpTeamsVersion(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES('teams_version', '1')
		ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`)
	if err != nil {
		return fmt.Errorf("teams version: %w", err)
	}
	return nil
}

func teamSetExists(ctx context.Context, tx *sql.Tx, release, name string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM team_sets WHERE release = ? AND name = ?`, release, name).Scan(&n)
	return n > 0, err
}

func deleteTeamSet(ctx context.Context, tx *sql.Tx, release, name string) error {
	for _, t := range teamTables {
		col := "set_name"
		if t == "team_sets" {
			col = "name"
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+t+" WHERE release = ? AND "+col+" = ?", release, name); err != nil {
			return fmt.Errorf("delete team set %q from %s: %w", name, t, err)
		}
	}
	return nil
}

// TeamSets lists the sets of release (the newest when ""), by name.
func (w *Workspace) TeamSets(ctx context.Context, release string) (_ []TeamSet, err error) {
	defer markBusy(&err)
	release, err = w.resolve(ctx, release)
	if err != nil {
		return nil, err
	}
	rows, err := w.ro.QueryContext(ctx, `SELECT s.name, s.source, s.method, s.imported_at,
		(SELECT count(*) FROM team_set_teams t WHERE t.release = s.release AND t.set_name = s.name)
		FROM team_sets s WHERE s.release = ? ORDER BY s.name`, release)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", w.path, err)
	}
	defer rows.Close()
	var out []TeamSet
	for rows.Next() {
		s := TeamSet{Release: release}
		var method, at string
		if err := rows.Scan(&s.Name, &s.Source, &method, &at, &s.Teams); err != nil {
			return nil, fmt.Errorf("store: %s: %w", w.path, err)
		}
		if s.Method, err = teams.ParseMethod(method); err != nil {
			return nil, fmt.Errorf("%w: %s: team set %q: %v", ErrCorrupt, w.path, s.Name, err)
		}
		if s.ImportedAt, err = time.Parse(time.RFC3339, at); err != nil {
			return nil, fmt.Errorf("%w: %s: team set %q: imported_at: %v", ErrCorrupt, w.path, s.Name, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", w.path, err)
	}
	return out, nil
}

// LoadTeams reads set name of release (the newest when "").
func (w *Workspace) LoadTeams(ctx context.Context, release, name string) (_ *teams.Set, err error) {
	defer markBusy(&err)
	sets, err := w.TeamSets(ctx, release)
	if err != nil {
		return nil, err
	}
	var info *TeamSet
	for i := range sets {
		if sets[i].Name == name {
			info = &sets[i]
		}
	}
	if info == nil {
		return nil, fmt.Errorf("%w: %q (release %s has %d sets; see pcnmap teams list)", ErrNoTeamSet, name, w.releaseName(ctx, release), len(sets))
	}
	s := &teams.Set{Name: name, Source: info.Source, Method: info.Method, ImportedAt: info.ImportedAt, Teams: make([]teams.Team, info.Teams)}
	rows, err := w.ro.QueryContext(ctx, `SELECT idx, name FROM team_set_teams WHERE release = ? AND set_name = ? ORDER BY idx`, info.Release, name)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", w.path, err)
	}
	for rows.Next() {
		var i int
		var n string
		if err := rows.Scan(&i, &n); err != nil || i < 0 || i >= len(s.Teams) {
			rows.Close()
			return nil, fmt.Errorf("%w: %s: team set %q: team %d: %v", ErrCorrupt, w.path, name, i, err)
		}
		s.Teams[i].Name = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", w.path, err)
	}
	rows, err = w.ro.QueryContext(ctx, `SELECT team, code, weight FROM team_members WHERE release = ? AND set_name = ? ORDER BY team, code`, info.Release, name)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", w.path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		var code string
		var weight float64
		if err := rows.Scan(&i, &code, &weight); err != nil || i < 0 || i >= len(s.Teams) {
			return nil, fmt.Errorf("%w: %s: team set %q: member of team %d: %v", ErrCorrupt, w.path, name, i, err)
		}
		if s.Method == teams.MethodPractice {
			s.Teams[i].Practices = append(s.Teams[i].Practices, code)
		} else {
			s.Teams[i].LSOAs = append(s.Teams[i].LSOAs, teams.Weight{LSOA: code, Weight: weight})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", w.path, err)
	}
	rows.Close()
	if err := query(ctx, w.ro, `SELECT team, geom FROM team_polygons WHERE release = ? AND set_name = ? ORDER BY team`, info.Release, func(r scanner) error {
		var i int
		var g []byte
		if err := r.Scan(&i, &g); err != nil {
			return err
		}
		if i < 0 || i >= len(s.Teams) {
			return fmt.Errorf("%w: polygon of team %d", ErrCorrupt, i)
		}
		geom, err := multiPolygon(g)
		if err != nil {
			return fmt.Errorf("team %q: %w", s.Teams[i].Name, err)
		}
		s.Teams[i].Geom = geom
		return nil
	}, name); err != nil {
		return nil, fmt.Errorf("store: %s: team set %q: %w", w.path, name, err)
	}
	return s, nil
}

func (w *Workspace) releaseName(ctx context.Context, release string) string {
	if r, err := w.resolve(ctx, release); err == nil {
		return r
	}
	return release
}

// DeleteTeams removes set name of release (the newest when "") in one transaction.
func (w *Workspace) DeleteTeams(ctx context.Context, release, name string) (err error) {
	return w.editTeams(ctx, release, name, func(tx *sql.Tx, release string) error {
		return deleteTeamSet(ctx, tx, release, name)
	})
}

// RenameTeams renames set name of release to newName, refusing a name already taken.
func (w *Workspace) RenameTeams(ctx context.Context, release, name, newName string) error {
	if newName == "" {
		return fmt.Errorf("store: rename team set %q: empty new name", name)
	}
	return w.editTeams(ctx, release, name, func(tx *sql.Tx, release string) error {
		taken, err := teamSetExists(ctx, tx, release, newName)
		if err != nil {
			return err
		}
		if taken {
			return fmt.Errorf("%w: %q in release %s", ErrTeamSetExists, newName, release)
		}
		for _, t := range teamTables {
			col := "set_name"
			if t == "team_sets" {
				col = "name"
			}
			if _, err := tx.ExecContext(ctx, "UPDATE "+t+" SET "+col+" = ? WHERE release = ? AND "+col+" = ?", newName, release, name); err != nil {
				return fmt.Errorf("rename team set %q in %s: %w", name, t, err)
			}
		}
		return nil
	})
}

// editTeams runs fn in a transaction after checking that the set exists.
func (w *Workspace) editTeams(ctx context.Context, release, name string, fn func(tx *sql.Tx, release string) error) error {
	return w.teamsTx(ctx, release, name, func(tx *sql.Tx, release string, exists bool) error {
		if !exists {
			return fmt.Errorf("%w: %q in release %s", ErrNoTeamSet, name, release)
		}
		if err := fn(tx, release); err != nil {
			if errors.Is(err, ErrTeamSetExists) {
				return err
			}
			return fmt.Errorf("store: %s: %w", w.path, err)
		}
		return nil
	})
}

// teamsTx is every write to the footprint sets: it resolves release ("" for the newest), begins a
// transaction, tells fn whether set name exists, and when fn succeeds bumps TeamsVersion and commits;
// otherwise it rolls back, leaving the workspace as it was. fn's error is returned as it is.
func (w *Workspace) teamsTx(ctx context.Context, release, name string, fn func(tx *sql.Tx, release string, exists bool) error) (err error) {
	defer markBusy(&err)
	if release, err = w.resolve(ctx, release); err != nil {
		return err
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %s: begin: %w", w.path, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	exists, err := teamSetExists(ctx, tx, release, name)
	if err != nil {
		return fmt.Errorf("store: %s: %w", w.path, err)
	}
	if err := fn(tx, release, exists); err != nil {
		return err
	}
	if err := bumpTeamsVersion(ctx, tx); err != nil {
		return fmt.Errorf("store: %s: %w", w.path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: %s: commit: %w", w.path, err)
	}
	return nil
}
