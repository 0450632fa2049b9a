package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"pcnmap/nhs"
	"pcnmap/overlap"
)

// directorySchema keeps, per release, its directory: the codes and names of its PCNs, practices and
// areas, and the areas' units and bounds, in one blob derived by the save beside the tables' rows as
// area_counts is. A load reads it in one statement and decodes it without a string allocation each.
// Read from the 15k rows of England, or from the rows joined into one string each by SQLite, the
// names were 9 of the 40 ms of one local authority's report, and the bounds near the unit, found by
// queries of their index ring by ring, another 1.5 (4 for an ICB).
const directorySchema = `
CREATE TABLE IF NOT EXISTS release_directory(release TEXT PRIMARY KEY, directory BLOB NOT NULL);
`

// The blob is four lists, each its length (a uvarint) and its entries, where a string is its
// length in bytes (a uvarint) and its bytes:
//
//	PCNs:      code, name
//	practices: code, name, PCN (a varint: NoPCN is -1), list size (a varint)
//	kinds:     name, then the codes of that kind the areas name (a list of strings)
//	areas:     code, name, then its units (a list of pairs of uvarints: the kind's place among the
//	           kinds, the code's place among that kind's codes), then its bound: a byte 0 when it has
//	           none (a geometry without vertices), else 1 and the four float64s min x, min y, max x,
//	           max y, little-endian (exactly the stored columns minx … maxy)
//
// The membership comes first, so that a load that reads the areas' rows for their geometry decodes
// the membership and stops. The units name their kind, not its number, so that a newer pcnmap with
// more kinds reads the blobs an older one wrote.

// packDirectory writes d's PCNs, practices, areas and their units, and the areas' bounds (bounds[a]
// where bounded[a]), as the blob of release_directory.
func packDirectory(d *overlap.Dataset, bounds []orb.Bound, bounded []bool) []byte {
	size := 16
	for i := range d.PCNs {
		size += len(d.PCNs[i].Code) + len(d.PCNs[i].Name) + 2
	}
	for i := range d.Practices {
		size += len(d.Practices[i].Code) + len(d.Practices[i].Name) + 8
	}
	for i := range d.Areas {
		size += len(d.Areas[i].Code) + len(d.Areas[i].Name) + 16 + 33
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
		if !bounded[i] {
			b = append(b, 0)
			continue
		}
		bd := bounds[i]
		b = append(b, 1)
		for _, v := range [4]float64{bd.Min[0], bd.Min[1], bd.Max[0], bd.Max[1]} {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	return b
}

// saveDirectory writes d's blob of release_directory, with the areas' bounds (bounds[a] where
// bounded[a]).
func saveDirectory(ctx context.Context, tx *sql.Tx, d *overlap.Dataset, bounds []orb.Bound, bounded []bool) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO release_directory(release, directory) VALUES(?, ?)`, d.Release, packDirectory(d, bounds, bounded)); err != nil {
		return fmt.Errorf("release_directory: %w", err)
	}
	return nil
}

// readDirectory reads release name's blob of release_directory; a release without one is corrupt
// (the save writes it, and the migration to schema 7 derives it for the releases saved before).
func readDirectory(ctx context.Context, db querier, name string) (string, error) {
	var s string
	err := db.QueryRowContext(ctx, `SELECT directory FROM release_directory WHERE release = ?`, name).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("%w: release_directory: the release has no directory", ErrCorrupt)
	}
	if err != nil {
		return "", fmt.Errorf("release_directory: %w", err)
	}
	return s, nil
}

// unpackDirectory decodes a blob of release_directory into d's PCNs, practices and areas (which it
// makes) and returns the areas' stored bounds, bounded[a] saying whether area a has one; kinds maps
// the kinds' names to them.
func unpackDirectory(s string, d *overlap.Dataset, kinds map[string]nhs.Kind) (bounds []orb.Bound, bounded []bool, err error) {
	r := &directoryReader{s: s}
	if err := r.membership(d); err != nil {
		return nil, nil, err
	}
	return r.areas(d, kinds)
}

// directoryReader decodes a blob of release_directory, kept as one string: every code and name it
// gives is a part of that string, not a copy.
type directoryReader struct {
	s   string
	err error
}

// errDirectory says a blob of release_directory does not decode.
var errDirectory = fmt.Errorf("%w: release_directory: the blob is truncated or malformed", ErrCorrupt)

func (r *directoryReader) uvarint() uint64 {
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
	r.err = errDirectory
	return 0
}

func (r *directoryReader) varint() int64 {
	u := r.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

// count reads the length of a list whose entries take at least min bytes each: a length beyond what
// is left is corrupt (and allocates nothing), so what a blob decodes to is bounded by its size.
func (r *directoryReader) count(min int) int {
	n := r.uvarint()
	if n > uint64(len(r.s)/min) {
		r.err = errDirectory
		return 0
	}
	return int(n)
}

func (r *directoryReader) str() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.s)) {
		r.err = errDirectory
		return ""
	}
	v := r.s[:n]
	r.s = r.s[n:]
	return v
}

// membership decodes the PCNs and the practices into d.
func (r *directoryReader) membership(d *overlap.Dataset) error {
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
			return fmt.Errorf("%w: release_directory: practice %s: PCN %d of %d, list size %d", ErrCorrupt, p.Code, pcn, len(d.PCNs), size)
		}
		p.PCN, p.ListSize = int32(pcn), size
	}
	return r.err
}

// areas decodes the areas' codes, names and units into d.Areas, which it makes, and returns their
// bounds; it follows membership. kinds maps the kinds' names to them.
func (r *directoryReader) areas(d *overlap.Dataset, kinds map[string]nhs.Kind) (bounds []orb.Bound, bounded []bool, err error) {
	type kind struct {
		k     nhs.Kind
		codes []string
	}
	ks := make([]kind, r.count(2))
	for i := range ks {
		name := r.str()
		k, ok := kinds[name]
		if r.err == nil && !ok {
			return nil, nil, fmt.Errorf("%w: release_directory: unknown unit kind %q", ErrCorrupt, name)
		}
		ks[i].k = k
		ks[i].codes = make([]string, r.count(1))
		for j := range ks[i].codes {
			ks[i].codes[j] = r.str()
		}
	}
	d.Areas = make([]overlap.Area, r.count(4))
	bounds = make([]orb.Bound, len(d.Areas))
	bounded = make([]bool, len(d.Areas))
	for i := range d.Areas {
		a := &d.Areas[i]
		a.Code, a.Name = r.str(), r.str()
		for range r.count(2) {
			k, c := r.uvarint(), r.uvarint()
			if r.err != nil {
				break
			}
			if k >= uint64(len(ks)) || c >= uint64(len(ks[k].codes)) {
				return nil, nil, fmt.Errorf("%w: release_directory: area %s: unit %d of kind %d is not in the lists", ErrCorrupt, a.Code, c, k)
			}
			a.Units[ks[k].k] = ks[k].codes[c]
		}
		bounds[i], bounded[i] = r.bound()
	}
	if r.err == nil && r.s != "" {
		return nil, nil, fmt.Errorf("%w: release_directory: %d bytes after the areas", ErrCorrupt, len(r.s))
	}
	return bounds, bounded, r.err
}

// bound reads an area's bound: a flag byte, then, when it is 1, the four coordinates.
func (r *directoryReader) bound() (orb.Bound, bool) {
	if r.err != nil || r.s == "" || r.s[0] > 1 || (r.s[0] == 1 && len(r.s) < 33) {
		r.err = errDirectory
		return orb.Bound{}, false
	}
	if r.s[0] == 0 {
		r.s = r.s[1:]
		return orb.Bound{}, false
	}
	var v [4]float64
	for j := range v {
		var u uint64
		for k := 7; k >= 0; k-- {
			u = u<<8 | uint64(r.s[1+8*j+k])
		}
		v[j] = math.Float64frombits(u)
	}
	r.s = r.s[33:]
	return orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}, true
}

// addDirectory is the migration to schema 7: the table, and the blob of each release saved before
// it, derived from the release's rows of areas (their bounds from the stored columns), PCNs and
// practices; and areas_units, which covered the areas' names and units for the reads the directory
// replaces, dropped.
func addDirectory(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, directorySchema+`DROP INDEX IF EXISTS areas_units;`); err != nil {
		return err
	}
	names, err := releasesWithout(ctx, tx, "areas", "release_directory")
	if err != nil {
		return err
	}
	for _, name := range names {
		_, kinds, err := loadRelease(ctx, tx, name)
		if err != nil {
			return fmt.Errorf("release %s: %w", name, err)
		}
		d := &overlap.Dataset{Release: name}
		var bounds []orb.Bound
		var bounded []bool
		if err := query(ctx, tx, `SELECT code, name, units, minx, miny, maxx, maxy FROM areas WHERE release = ? ORDER BY idx`, name, func(s scanner) error {
			var a overlap.Area
			var units string
			var c [4]sql.NullFloat64
			if err := s.Scan(&a.Code, &a.Name, &units, &c[0], &c[1], &c[2], &c[3]); err != nil {
				return err
			}
			if err := parseUnits(units, kinds, &a.Units); err != nil {
				return fmt.Errorf("area %s: %w", a.Code, err)
			}
			d.Areas = append(d.Areas, a)
			ok := c[0].Valid && c[1].Valid && c[2].Valid && c[3].Valid
			bounds = append(bounds, orb.Bound{Min: orb.Point{c[0].Float64, c[1].Float64}, Max: orb.Point{c[2].Float64, c[3].Float64}})
			bounded = append(bounded, ok)
			return nil
		}); err != nil {
			return fmt.Errorf("release %s: areas: %w", name, err)
		}
		if err := membershipFromRows(ctx, tx, name, d); err != nil {
			return fmt.Errorf("release %s: %w", name, err)
		}
		if err := saveDirectory(ctx, tx, d, bounds, bounded); err != nil {
			return fmt.Errorf("release %s: %w", name, err)
		}
	}
	return nil
}
