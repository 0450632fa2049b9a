package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"

	"pcnmap/overlap"
)

// areaCountSchema keeps, per release, what the registration rows add up to per area, packed like
// the rows: the cells (patients(a,p), the rows of area_pcn) and the residents of each area registered
// with practices in no PCN, by practice. They are derived data, written by the save beside the rows,
// so that a document about one unit (LoadAround) reads two small blobs instead of unpacking and
// adding up the 840k rows of England.
const areaCountSchema = `
CREATE TABLE IF NOT EXISTS area_counts(release TEXT PRIMARY KEY, cells BLOB NOT NULL, no_pcn BLOB NOT NULL);
`

// addAreaCounts is the migration to schema 6: the table and the index of the areas' units, and each release's counts derived from its
// stored registration rows, LSOAs and practices (as Aggregate derives them on a load), for every
// release that has none.
func addAreaCounts(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, areaCountSchema+areaUnitIndex); err != nil {
		return err
	}
	names, err := releasesWithout(ctx, tx, "registrations", "area_counts")
	if err != nil {
		return err
	}
	for _, name := range names {
		d, err := countsFromRows(ctx, tx, name)
		if err != nil {
			return fmt.Errorf("release %s: %w", name, err)
		}
		if err := saveAreaCounts(ctx, tx, d); err != nil {
			return fmt.Errorf("release %s: %w", name, err)
		}
	}
	return nil
}

// countsFromRows reads what Aggregate needs of release name (the number of areas, the PCNs, the
// practices with their PCN, the LSOAs' areas, the rows) and aggregates it.
func countsFromRows(ctx context.Context, db querier, name string) (*overlap.Dataset, error) {
	d := &overlap.Dataset{Release: name}
	var nAreas int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM areas WHERE release = ?`, name).Scan(&nAreas); err != nil {
		return nil, fmt.Errorf("areas: %w", err)
	}
	d.Areas = make([]overlap.Area, nAreas)
	if err := membershipFromRows(ctx, db, name, d); err != nil {
		return nil, err
	}
	if err := query(ctx, db, `SELECT area FROM lsoas WHERE release = ? ORDER BY idx`, name, func(s scanner) error {
		var l overlap.LSOA
		if err := s.Scan(&l.Area); err != nil {
			return err
		}
		d.LSOAs = append(d.LSOAs, l)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("lsoas: %w", err)
	}
	var err error
	if d.Rows, err = readRows(ctx, db, name); err != nil {
		return nil, err
	}
	if err := d.Aggregate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return d, nil
}

// saveAreaCounts writes d's cells and no-PCN practice cells into area_counts.
func saveAreaCounts(ctx context.Context, tx *sql.Tx, d *overlap.Dataset) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO area_counts(release, cells, no_pcn) VALUES(?, ?, ?)`,
		d.Release, packCells(d.Cells), packPracticeCells(d.NoPCNCells)); err != nil {
		return fmt.Errorf("area_counts: %w", err)
	}
	return nil
}

// errNoCounts is readAreaCounts' answer for a release without a row of area_counts.
var errNoCounts = errors.New("store: no area counts")

// readAreaCounts reads release name's cells and no-PCN practice cells into d (errNoCounts when the
// release has none stored).
func readAreaCounts(ctx context.Context, db querier, name string, d *overlap.Dataset) error {
	cells, noPCN, err := readCountBlobs(ctx, db, name)
	if err != nil {
		return err
	}
	d.Cells, d.NoPCNCells, err = unpackCounts(cells, noPCN)
	return err
}

// readCountBlobs reads release name's two blobs of area_counts as stored (errNoCounts when the
// release has no row there); unpackCounts decodes them.
func readCountBlobs(ctx context.Context, db querier, name string) (cells, noPCN []byte, err error) {
	err = db.QueryRowContext(ctx, `SELECT cells, no_pcn FROM area_counts WHERE release = ?`, name).Scan(&cells, &noPCN)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, errNoCounts
	}
	if err != nil {
		return nil, nil, fmt.Errorf("area_counts: %w", err)
	}
	return cells, noPCN, nil
}

// unpackCounts decodes the blobs readCountBlobs reads into the cells and the no-PCN practice cells.
func unpackCounts(cells, noPCN []byte) ([]overlap.Cell, []overlap.PracticeCell, error) {
	c, err := unpackCells(cells)
	if err != nil {
		return nil, nil, err
	}
	p, err := unpackPracticeCells(noPCN)
	if err != nil {
		return nil, nil, err
	}
	return c, p, nil
}

// packCells writes cells (sorted by area) as packTriples does: the area, the PCN, the patients.
func packCells(cells []overlap.Cell) []byte {
	return packTriples(cells, func(c overlap.Cell) (int64, uint64, uint64) {
		return int64(c.Area), uint64(c.PCN), uint64(c.Patients)
	})
}

// packPracticeCells is packCells for the no-PCN practice cells: the area, the practice, the patients.
func packPracticeCells(cells []overlap.PracticeCell) []byte {
	return packTriples(cells, func(c overlap.PracticeCell) (int64, uint64, uint64) {
		return int64(c.Area), uint64(c.Practice), uint64(c.Patients)
	})
}

// packTriples writes items as their count, then per item the step of its first field from the
// previous item's (items sorted by it: the steps stay small), its second field and its third, each a
// varint: about 4 bytes an item. The registration rows, the cells and the no-PCN practice cells are
// all stored so.
func packTriples[T any](items []T, fields func(T) (first int64, second, third uint64)) []byte {
	b := make([]byte, 0, len(items)*5+binary.MaxVarintLen64)
	b = binary.AppendUvarint(b, uint64(len(items)))
	var prev int64
	for _, it := range items {
		first, second, third := fields(it)
		b = binary.AppendVarint(b, first-prev)
		prev = first
		b = binary.AppendUvarint(b, second)
		b = binary.AppendUvarint(b, third)
	}
	return b
}

// unpackTriples decodes what packCells and packPracticeCells write, calling add with each entry
// (its area, second field and patients, each checked to fit its type: the first two an int32, the
// patients below max).
func unpackTriples(b []byte, what string, max uint64, alloc func(n int), add func(i int, area, second int32, patients uint64)) error {
	bad := fmt.Errorf("%w: area_counts: the %s blob is truncated", ErrCorrupt, what)
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return bad
	}
	b = b[k:]
	alloc(int(n))
	var prev int64
	for i := range int(n) {
		delta, k1 := binary.Varint(b)
		if k1 <= 0 {
			return bad
		}
		second, k2 := binary.Uvarint(b[k1:])
		if k2 <= 0 {
			return bad
		}
		patients, k3 := binary.Uvarint(b[k1+k2:])
		if k3 <= 0 || second > 1<<31-1 || patients > max {
			return bad
		}
		b = b[k1+k2+k3:]
		prev += delta
		if prev < 0 || prev > 1<<31-1 {
			return bad
		}
		add(i, int32(prev), int32(second), patients)
	}
	if len(b) != 0 {
		return fmt.Errorf("%w: area_counts: the %s blob has %d trailing bytes", ErrCorrupt, what, len(b))
	}
	return nil
}

func unpackCells(b []byte) (cells []overlap.Cell, err error) {
	err = unpackTriples(b, "cells", 1<<31-1, func(n int) { cells = make([]overlap.Cell, n) }, func(i int, a, p int32, v uint64) {
		cells[i] = overlap.Cell{Area: a, PCN: p, Patients: int32(v)}
	})
	return cells, err
}

func unpackPracticeCells(b []byte) (cells []overlap.PracticeCell, err error) {
	err = unpackTriples(b, "no_pcn", 1<<62, func(n int) { cells = make([]overlap.PracticeCell, n) }, func(i int, a, p int32, v uint64) {
		cells[i] = overlap.PracticeCell{Area: a, Practice: p, Patients: int64(v)}
	})
	return cells, err
}

// areaUnitIndex covered what a document about one unit read of every area (code, name, units) and
// of the unit's own (their bounds); the migration to schema 7 replaces it with areaBoundByIndex.
const areaUnitIndex = `CREATE INDEX IF NOT EXISTS areas_units ON areas(release, idx, code, name, units, minx, miny, maxx, maxy);`

// releasesWithout lists the releases with rows in table from and none in table to, for a migration
// that derives to's rows.
func releasesWithout(ctx context.Context, tx *sql.Tx, from, to string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT release FROM `+from+` WHERE release NOT IN (SELECT release FROM `+to+`)`)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("%s: %w", from, err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	return names, nil
}
