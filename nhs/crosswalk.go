package nhs

import (
	"io"
	"strings"
)

// Crosswalk is the ONS LSOA 2011 → LSOA 2021 lookup: for each 2011 LSOA, its 2021 LSOAs.
type Crosswalk struct {
	Source string
	// To lists each 2011 LSOA's 2021 LSOAs in file order; Change its change indicator (U
	// unchanged, S split, M merged, X complex), "" when the file has none.
	To     map[string][]string
	Change map[string]string
}

// ReadCrosswalk reads the LSOA 2011 → 2021 lookup (plain, .gz or .zip): the 2011 and 2021 LSOA code
// columns by family (LSOA11CD/LSOA21CD, lsoa11_code/lsoa21_code) and the change indicator
// (CHGIND, change_code) when present. A repeated pair is ignored.
func ReadCrosswalk(path string) (*Crosswalk, error) {
	in, err := openCSV(path, func(h []string) bool {
		_, _, _, err := crosswalkColumns(newColumns("", h))
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	defer in.Close()
	c, err := readCrosswalk(in.r, in.name, in.rows)
	if err != nil {
		return nil, err
	}
	c.Source = in.source
	return c, nil
}

func crosswalkColumns(c *columns) (from, to, change int, err error) {
	from, to = -1, -1
	for _, i := range sortColumns(c).lsoa[roleCode] {
		switch {
		case strings.Contains(c.norm[i], "11"):
			from = i
		case strings.Contains(c.norm[i], "21"):
			to = i
		}
	}
	if from < 0 || to < 0 {
		return -1, -1, -1, errorf(c.name, 1, ErrMissingColumn, "no LSOA 2011 and LSOA 2021 code columns (looked for LSOA11CD and LSOA21CD, lsoa11_code and lsoa21_code; columns found: %s)",
			strings.Join(quoteAll(c.header), ", "))
	}
	change, err = c.find("CHGIND", "change_code", "change", "chgind21")
	return from, to, change, err
}

func readCrosswalk(r io.Reader, name string, hint int) (*Crosswalk, error) {
	cr := newCSVReader(r, name)
	header, err := cr.header()
	if err != nil {
		return nil, err
	}
	from, to, change, err := crosswalkColumns(newColumns(name, header))
	if err != nil {
		return nil, err
	}
	c := &Crosswalk{Source: name, To: make(map[string][]string, hint), Change: make(map[string]string, hint)}
	for {
		f, err := cr.row(len(header))
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		a, b := field(f, from), field(f, to)
		if a == "" || b == "" {
			return nil, errorf(name, cr.line, ErrInvalidValue, "an empty LSOA code (2011 %q, 2021 %q)", a, b)
		}
		dup := false
		for _, t := range c.To[a] {
			dup = dup || t == b
		}
		if !dup {
			c.To[a] = append(c.To[a], b)
		}
		if change >= 0 {
			c.Change[a] = strings.ToUpper(field(f, change))
		}
	}
	return c, nil
}

// First2021 is the first LSOA code that exists in 2021 only: English 2011 codes run to E01033768,
// and the codes of the LSOAs 2021 made new start at E01033769.
const First2021 = "E01033769"

// Geography21 reports whether codes look like 2021 LSOAs: one of them is an English code of 2021
// only. It cannot tell 2011 from a 2021 file that happens to hold no new LSOA; callers use other
// signs for that (NO2011 rows, the column name).
func Geography21(code string) bool {
	return len(code) == 9 && strings.HasPrefix(code, "E01") && code >= First2021
}

// LSOACounts is a number per LSOA: patients at all practices (a denominator), or weights.
type LSOACounts struct {
	Source string
	Column string
	Count  map[string]int64
}

// Count columns of ReadLSOACounts, in order of preference. The first three are per-LSOA totals
// repeated on each row of the LSOA (they must agree); the others are summed over the LSOA's rows.
var (
	colTotals = []string{"LSOA_Population", "LSOA_PATIENTS", "LSOA_TOTAL", "population", "weight", "total"}
	colSummed = []string{"NUMBER_OF_PATIENTS", "Number of Patients", "PCN_Patients", "patients", "count"}
)

// ReadLSOACounts reads a number per LSOA (plain, .gz or .zip): the LSOA code column by family and a
// total column (LSOA_Population, population, weight: equal on every row of an LSOA) or a count
// column summed over the LSOA's rows (NUMBER_OF_PATIENTS of a registrations file, patients, count).
func ReadLSOACounts(path string) (*LSOACounts, error) {
	in, err := openCSV(path, func(h []string) bool {
		_, _, _, err := countColumns(newColumns("", h))
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	defer in.Close()
	c, err := readLSOACounts(in.r, in.name, in.rows)
	if err != nil {
		return nil, err
	}
	c.Source = in.source
	return c, nil
}

// readLSOACounts is ReadLSOACounts on an opened stream; hint estimates the number of rows.
func readLSOACounts(r io.Reader, name string, hint int) (*LSOACounts, error) {
	cr := newCSVReader(r, name)
	header, err := cr.header()
	if err != nil {
		return nil, err
	}
	li, ci, summed, err := countColumns(newColumns(name, header))
	if err != nil {
		return nil, err
	}
	out := &LSOACounts{Source: name, Column: header[ci], Count: make(map[string]int64, hint)}
	lines := map[string]int{}
	for {
		f, err := cr.row(len(header))
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		lsoa := field(f, li)
		if lsoa == "" {
			return nil, errorf(name, cr.line, ErrInvalidValue, "column %q is empty", header[li])
		}
		n, err := parseCount(f[ci])
		if err != nil {
			return nil, errorf(name, cr.line, ErrInvalidValue, "column %q: %q %s", header[ci], field(f, ci), err.Error())
		}
		prev, seen := out.Count[lsoa]
		switch {
		case summed:
			out.Count[lsoa] = prev + int64(n)
		case seen && prev != int64(n):
			return nil, errorf(name, cr.line, ErrConflict, "LSOA %s: column %q is %d here and %d on line %d", lsoa, header[ci], n, prev, lines[lsoa])
		default:
			out.Count[lsoa] = int64(n)
			if !seen {
				lines[lsoa] = cr.line
			}
		}
	}
	return out, nil
}

func countColumns(c *columns) (lsoa, count int, summed bool, err error) {
	fc := sortColumns(c)
	if len(fc.lsoa[roleCode]) == 0 {
		return -1, -1, false, errorf(c.name, 1, ErrMissingColumn, "no LSOA code column (columns found: %s)", strings.Join(quoteAll(c.header), ", "))
	}
	lsoa = latestCensus(c, fc.lsoa[roleCode])
	if count, err = c.find(colTotals...); err != nil || count >= 0 {
		return lsoa, count, false, err
	}
	if count, err = c.find(colSummed...); err != nil || count >= 0 {
		return lsoa, count, true, err
	}
	return -1, -1, false, errorf(c.name, 1, ErrMissingColumn, "no count column: looked for %s, or %s summed over an LSOA's rows (columns found: %s)",
		strings.Join(colTotals, ", "), strings.Join(colSummed, ", "), strings.Join(quoteAll(c.header), ", "))
}
