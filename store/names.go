package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"

	"pcnmap/nhs"
	"pcnmap/overlap"
)

// releaseNameSchema keeps, per release, the names of its PCNs, practices and areas and the areas'
// units in one blob, derived by the save beside the tables' rows as area_counts is: a load reads them
// in one statement and decodes them without a string allocation each. Read from the 15k rows of
// England, or from the rows joined into one string each by SQLite, they were 9 of the 40 ms of one
// local authority's report.
const releaseNameSchema = `
CREATE TABLE IF NOT EXISTS release_names(release TEXT PRIMARY KEY, names BLOB NOT NULL);
`

// The blob is four lists, each its length (a uvarint) and its entries, where a string is its
// length in bytes (a uvarint) and its bytes:
//
//	PCNs:      code, name
//	practices: code, name, PCN (a varint: NoPCN is -1), list size (a varint)
//	kinds:     name, then the codes of that kind the areas name (a list of strings)
//	areas:     code, name, then its units (a list of pairs of uvarints: the kind's place among the
//	           kinds, the code's place among that kind's codes)
//
// The membership comes first, so that a load that reads the areas' rows for their geometry decodes
// the membership and stops. The units name their kind, not its number, so that a newer pcnmap with
// more kinds reads the blobs an older one wrote.

// packNames writes d's PCNs, practices, areas and their units as the blob of release_names.
func packNames(d *overlap.Dataset) []byte {
	size := 16
	for i := range d.PCNs {
		size += len(d.PCNs[i].Code) + len(d.PCNs[i].Name) + 2
	}
	for i := range d.Practices {
		size += len(d.Practices[i].Code) + len(d.Practices[i].Name) + 8
	}
	for i := range d.Areas {
		size += len(d.Areas[i].Code) + len(d.Areas[i].Name) + 16
	}
	b := make([]byte, 0, size)
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(len(d.PCNs)))
	for i := range d.PCNs {
		str(d.PCNs[i].Code)
		str(d.PCNs[i].Name)
	}
	b = binary.AppendUvarint(b, uint64(len(d.Practices)))
	for i := range d.Practices {
		p := &d.Practices[i]
		str(p.Code)
		str(p.Name)
		b = binary.AppendVarint(b, int64(p.PCN))
		b = binary.AppendVarint(b, p.ListSize)
	}
	// The kinds the areas use, and each kind's codes, in order of first use.
	var kindAt [overlap.KindCount]int
	var kinds []nhs.Kind
	var codes [overlap.KindCount][]string
	var codeAt [overlap.KindCount]map[string]int
	for i := range d.Areas {
		for k, code := range d.Areas[i].Units {
			if code == "" {
				continue
			}
			if codeAt[k] == nil {
				kindAt[k] = len(kinds)
				kinds = append(kinds, nhs.Kind(k))
				codeAt[k] = map[string]int{}
			}
			if _, ok := codeAt[k][code]; !ok {
				codeAt[k][code] = len(codes[k])
				codes[k] = append(codes[k], code)
			}
		}
	}
	b = binary.AppendUvarint(b, uint64(len(kinds)))
	for _, k := range kinds {
		str(k.String())
		b = binary.AppendUvarint(b, uint64(len(codes[k])))
		for _, c := range codes[k] {
			str(c)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(d.Areas)))
	for i := range d.Areas {
		a := &d.Areas[i]
		str(a.Code)
		str(a.Name)
		n := 0
		for _, code := range a.Units {
			if code != "" {
				n++
			}
		}
		b = binary.AppendUvarint(b, uint64(n))
		for k, code := range a.Units {
			if code != "" {
				b = binary.AppendUvarint(b, uint64(kindAt[k]))
				b = binary.AppendUvarint(b, uint64(codeAt[k][code]))
			}
		}
	}
	return b
}

// saveNames writes d's blob of release_names.
func saveNames(ctx context.Context, tx *sql.Tx, d *overlap.Dataset) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO release_names(release, names) VALUES(?, ?)`, d.Release, packNames(d)); err != nil {
		return fmt.Errorf("release_names: %w", err)
	}
	return nil
}

// readNames reads release name's blob of release_names; a release without one is corrupt (the save
// writes it, and the migration to schema 7 derives it for the releases saved before).
func readNames(ctx context.Context, db querier, name string) (string, error) {
	var s string
	err := db.QueryRowContext(ctx, `SELECT names FROM release_names WHERE release = ?`, name).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("%w: release_names: the release has no names", ErrCorrupt)
	}
	if err != nil {
		return "", fmt.Errorf("release_names: %w", err)
	}
	return s, nil
}

// unpackNames decodes a blob of release_names into d's PCNs, practices and areas (which it makes);
// kinds maps the kinds' names to them.
func unpackNames(s string, d *overlap.Dataset, kinds map[string]nhs.Kind) error {
	r := &nameReader{s: s}
	if err := r.membership(d); err != nil {
		return err
	}
	return r.areas(d, kinds)
}

// nameReader decodes a blob of release_names, kept as one string: every code and name it gives is
// a part of that string, not a copy.
type nameReader struct {
	s   string
	err error
}

// errNames says a blob of release_names does not decode.
var errNames = fmt.Errorf("%w: release_names: the blob is truncated or malformed", ErrCorrupt)

func (r *nameReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	var v uint64
	for i := 0; i < len(r.s) && i < binary.MaxVarintLen64; i++ {
		c := r.s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break
			}
			r.s = r.s[i+1:]
			return v | uint64(c)<<(7*i)
		}
		v |= uint64(c&0x7f) << (7 * i)
	}
	r.err = errNames
	return 0
}

func (r *nameReader) varint() int64 {
	u := r.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

// count reads the length of a list whose entries take at least min bytes each: a length beyond what
// is left is corrupt (and allocates nothing), so what a blob decodes to is bounded by its size.
func (r *nameReader) count(min int) int {
	n := r.uvarint()
	if n > uint64(len(r.s)/min) {
		r.err = errNames
		return 0
	}
	return int(n)
}

func (r *nameReader) str() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.s)) {
		r.err = errNames
		return ""
	}
	v := r.s[:n]
	r.s = r.s[n:]
	return v
}

// membership decodes the PCNs and the practices into d.
func (r *nameReader) membership(d *overlap.Dataset) error {
	d.PCNs = make([]overlap.PCN, r.count(2))
	for i := range d.PCNs {
		d.PCNs[i].Code, d.PCNs[i].Name = r.str(), r.str()
	}
	d.Practices = make([]overlap.Practice, r.count(4))
	for i := range d.Practices {
		p := &d.Practices[i]
		p.Code, p.Name = r.str(), r.str()
		pcn, size := r.varint(), r.varint()
		if r.err == nil && (pcn < overlap.NoPCN || pcn >= int64(len(d.PCNs)) || size < 0) {
			return fmt.Errorf("%w: release_names: practice %s: PCN %d of %d, list size %d", ErrCorrupt, p.Code, pcn, len(d.PCNs), size)
		}
		p.PCN, p.ListSize = int32(pcn), size
	}
	return r.err
}

// areas decodes the areas' codes, names and units into d.Areas, which it makes; it follows membership.
// kinds maps the kinds' names to them.
func (r *nameReader) areas(d *overlap.Dataset, kinds map[string]nhs.Kind) error {
	type kind struct {
		k     nhs.Kind
		codes []string
	}
	ks := make([]kind, r.count(2))
	for i := range ks {
		name := r.str()
		k, ok := kinds[name]
		if r.err == nil && (!ok || k == nhs.KindUnset) {
			return fmt.Errorf("%w: release_names: unknown unit kind %q", ErrCorrupt, name)
		}
		ks[i].k = k
		ks[i].codes = make([]string, r.count(1))
		for j := range ks[i].codes {
			ks[i].codes[j] = r.str()
		}
	}
	d.Areas = make([]overlap.Area, r.count(3))
	for i := range d.Areas {
		a := &d.Areas[i]
		a.Code, a.Name = r.str(), r.str()
		for range r.count(2) {
			k, c := r.uvarint(), r.uvarint()
			if r.err != nil {
				break
			}
			if k >= uint64(len(ks)) || c >= uint64(len(ks[k].codes)) {
				return fmt.Errorf("%w: release_names: area %s: unit %d of kind %d is not in the lists", ErrCorrupt, a.Code, c, k)
			}
			a.Units[ks[k].k] = ks[k].codes[c]
		}
	}
	if r.err == nil && r.s != "" {
		return fmt.Errorf("%w: release_names: %d bytes after the areas", ErrCorrupt, len(r.s))
	}
	return r.err
}

// areaBoundByIndex lets a document about one unit read the bounds of that unit's areas from index
// entries, not from the rows, whose pages are mostly geometry.
const areaBoundByIndex = `CREATE INDEX IF NOT EXISTS areas_bound_idx ON areas(release, idx, minx, miny, maxx, maxy);`

// addNames is the migration to schema 7: the table, and the blob of each release saved before it,
// derived from the release's rows of areas, PCNs and practices; and the index of the areas' bounds
// by index, in place of areas_units (which covered their names and units as well, for the reads
// the names replace).
func addNames(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, releaseNameSchema+areaBoundByIndex+`DROP INDEX IF EXISTS areas_units;`); err != nil {
		return err
	}
	names, err := releasesWithout(ctx, tx, "areas", "release_names")
	if err != nil {
		return err
	}
	for _, name := range names {
		_, kinds, err := loadRelease(ctx, tx, name)
		if err != nil {
			return fmt.Errorf("release %s: %w", name, err)
		}
		d := &overlap.Dataset{Release: name}
		if err := query(ctx, tx, `SELECT code, name, units FROM areas WHERE release = ? ORDER BY idx`, name, func(s scanner) error {
			var a overlap.Area
			var units string
			if err := s.Scan(&a.Code, &a.Name, &units); err != nil {
				return err
			}
			if err := parseUnits(units, kinds, &a.Units); err != nil {
				return fmt.Errorf("area %s: %w", a.Code, err)
			}
			d.Areas = append(d.Areas, a)
			return nil
		}); err != nil {
			return fmt.Errorf("release %s: areas: %w", name, err)
		}
		if err := membershipFromRows(ctx, tx, name, d); err != nil {
			return fmt.Errorf("release %s: %w", name, err)
		}
		if err := saveNames(ctx, tx, d); err != nil {
			return fmt.Errorf("release %s: %w", name, err)
		}
	}
	return nil
}
