package nhs

import (
	"bytes"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Column names of the registrations file. NHS Digital renamed the count column in 2022; both are
// read. LSOA11CD/LSOA21CD are accepted too, for files re-exported by GIS tools.
var (
	colPractice     = []string{"PRACTICE_CODE", "PRAC_CODE", "practice"}
	colPracticeName = []string{"PRACTICE_NAME", "PRAC_NAME"}
	colLSOA         = []string{"LSOA_CODE", "LSOA21CD", "LSOA11CD", "lsoa21_code", "lsoa11_code", "LSOA"}
	colSex          = []string{"SEX"}
	colPatients     = []string{"Number of Patients", "NUMBER_OF_PATIENTS", "PATIENTS", "COUNT"}
	colExtractDate  = []string{"EXTRACT_DATE"}
	// An analyst's PCN × LSOA table has PCNs in place of practices, and may carry each LSOA's
	// patients at all practices (a true denominator).
	colPCN         = []string{"PCN_CODE"}
	colPCNName     = []string{"PCN_NAME"}
	colPCNPatients = []string{"PCN_Patients", "PCN_PATIENT_COUNT"}
	colICB         = []string{"ICB_CODE", "ICB24CDH", "ICB_CODE_NHS"}
	colDenominator = []string{"LSOA_Population", "LSOA_PATIENTS", "LSOA_TOTAL"}
)

// ReadRegistrations reads an NHS Digital gp-reg-pat-prac-lsoa-all file (plain, .gz or .zip).
// Columns are found by name in any order (PRACTICE_CODE, LSOA_CODE and "Number of Patients" or
// NUMBER_OF_PATIENTS are required). When the file has a SEX column, ALL rows are used; MALE and
// FEMALE rows are summed only for a (practice, LSOA) pair that has no ALL row, so no patient is
// counted twice. Rows are in file order, followed by the pairs summed from MALE/FEMALE rows.
// EXTRACT_DATE values must agree (empty ones are ignored). A repeated (practice, LSOA, sex) row is
// ErrDuplicate naming both lines: summing it could double a practice's list.
func ReadRegistrations(path string) (*Registrations, error) {
	return readFile(path, func(c *columns) error { _, err := registrationColumns(c); return err },
		func(in *input) (*Registrations, error) {
			ra := readAhead(in.r)
			defer ra.Close()
			return readRegistrations(ra, in.name)
		},
		func(r *Registrations) *string { return &r.Source })
}

type regColumns struct {
	practice, name, lsoa, sex, patients, date int
	pcn, pcnName, icb, denominator            int
	byPCN                                     bool // rows are PCNs, not practices
}

func registrationColumns(c *columns) (regColumns, error) {
	var rc regColumns
	var err error
	if rc.pcn, err = c.find(colPCN...); err != nil {
		return rc, err
	}
	if rc.pcnName, err = c.find(colPCNName...); err != nil {
		return rc, err
	}
	if rc.practice, err = c.find(colPractice...); err != nil {
		return rc, err
	}
	if rc.practice < 0 {
		// A PCN × LSOA table: each PCN stands in for a practice, and is its own member.
		pcnCount, err := c.find(colPCNPatients...)
		if err != nil {
			return rc, err
		}
		switch {
		case rc.pcn < 0 && rc.pcnName < 0, pcnCount < 0:
			_, err := c.need(colPractice...)
			return rc, err
		case rc.pcn >= 0:
			rc.practice = rc.pcn
		default:
			rc.practice = rc.pcnName
		}
		rc.byPCN, rc.patients = true, pcnCount
	}
	if rc.lsoa, err = c.need(colLSOA...); err != nil {
		return rc, err
	}
	if rc.icb, err = c.find(colICB...); err != nil {
		return rc, err
	}
	if rc.denominator, err = c.find(colDenominator...); err != nil {
		return rc, err
	}
	if !rc.byPCN {
		if rc.patients, err = c.need(colPatients...); err != nil {
			return rc, err
		}
	}
	if rc.name, err = c.find(colPracticeName...); err != nil {
		return rc, err
	}
	if rc.sex, err = c.find(colSex...); err != nil {
		return rc, err
	}
	if rc.date, err = c.find(colExtractDate...); err != nil {
		return rc, err
	}
	return rc, nil
}

// sex of a registrations row.
const (
	sexAll uint8 = iota
	sexMale
	sexFemale
)

// sexRow is a MALE or FEMALE row, kept aside until we know whether its pair has an ALL row.
type sexRow struct {
	practice, lsoa int32
	sex            uint8
	patients       int32
	line           int32
}

// readRegistrations is ReadRegistrations on an already opened stream; name is used in errors.
func readRegistrations(r io.Reader, name string) (*Registrations, error) {
	cr := newCSVReader(r, name)
	header, err := cr.header()
	if err != nil {
		return nil, err
	}
	cols := newColumns(name, header)
	rc, err := registrationColumns(cols)
	if err != nil {
		return nil, err
	}
	reg := &Registrations{Source: name, ByPCN: rc.byPCN, LSOAColumn: header[rc.lsoa]}
	if rc.pcn >= 0 || rc.pcnName >= 0 {
		reg.PCNOf = map[string]PCN{}
	}
	if rc.icb >= 0 {
		reg.ICBOf = map[string]string{}
	}
	if rc.denominator >= 0 {
		reg.Denominators = map[string]int64{}
	}
	var (
		pracIdx  = map[string]int32{}
		lsoaIdx  = map[string]int32{}
		onsIdx   = map[uint64]int32{} // LSOAs with ONS-style codes, by onsKey
		dense    []int32              // index + 1 of the E010… and W010… LSOAs, by denseLSOA
		rows     chunks[Row]
		lines    chunks[int32] // line of each ALL row, for duplicate messages
		sexRows  []sexRow
		lastCode []byte
		cur      int32 = -1
		// Duplicate (practice, LSOA) ALL rows are caught as they come while a practice's rows are
		// contiguous, as they are in the published files: stamp[lsoa] holds the current block number
		// and stampLine the line that set it. A practice seen again after another one sets revisited,
		// and a full sort catches duplicates across its blocks at the end.
		closed    []bool
		block     int32
		stamp     []int32
		stampLine []int32
		revisited bool
		dateRaw   []byte
		dateLine  int
	)
	for {
		f, err := cr.row(len(header))
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		line := cr.line
		if line > math.MaxInt32 {
			return nil, errorf(name, line, ErrMalformed, "too many lines")
		}

		code := bytes.TrimSpace(f[rc.practice])
		if len(code) == 0 {
			return nil, errorf(name, line, ErrInvalidValue, "column %q is empty", header[rc.practice])
		}
		if cur < 0 || !bytes.Equal(code, lastCode) {
			p, ok := pracIdx[string(code)]
			if !ok {
				p = int32(len(reg.Practices))
				pr := Practice{Code: string(code)}
				if rc.name >= 0 {
					pr.Name = field(f, rc.name)
				}
				if rc.byPCN && rc.pcnName >= 0 {
					pr.Name = field(f, rc.pcnName)
				}
				reg.Practices = append(reg.Practices, pr)
				if err := reg.notePractice(f, rc, header, name, line); err != nil {
					return nil, err
				}
				pracIdx[pr.Code] = p
				closed = append(closed, false)
			} else if closed[p] {
				revisited = true
			}
			if cur >= 0 {
				closed[cur] = true
			}
			cur = p
			lastCode = append(lastCode[:0], code...)
			block++
		}

		lsoa := bytes.TrimSpace(f[rc.lsoa])
		if len(lsoa) == 0 {
			return nil, errorf(name, line, ErrInvalidValue, "column %q is empty", header[rc.lsoa])
		}
		// Most codes are E01/W01 + digits: an integer key makes this lookup, once a third of the
		// time, much cheaper than hashing the string.
		var l int32
		var ok bool
		key, ons := onsKey(lsoa)
		di := denseLSOA(key, ons)
		switch {
		case di >= 0:
			if dense == nil {
				dense = make([]int32, 2*denseSpan)
			}
			l = dense[di] - 1
			ok = l >= 0
		case ons:
			l, ok = onsIdx[key]
		default:
			l, ok = lsoaIdx[string(lsoa)]
		}
		if !ok {
			l = int32(len(reg.LSOAs))
			s := string(lsoa)
			reg.LSOAs = append(reg.LSOAs, s)
			switch {
			case di >= 0:
				dense[di] = l + 1
			case ons:
				onsIdx[key] = l
			default:
				lsoaIdx[s] = l
			}
			stamp = append(stamp, 0)
			stampLine = append(stampLine, 0)
		}

		n, err := parseCount(f[rc.patients])
		if err != nil {
			return nil, errorf(name, line, ErrInvalidValue, "column %q: %q %s",
				header[rc.patients], bytes.TrimSpace(f[rc.patients]), err.Error())
		}
		if rc.denominator >= 0 {
			if err := reg.noteDenominator(f, rc, header, name, line, reg.LSOAs[l]); err != nil {
				return nil, err
			}
		}

		if rc.date >= 0 {
			raw := bytes.TrimSpace(f[rc.date])
			if len(raw) > 0 && !bytes.Equal(raw, dateRaw) {
				d, ok := parseDate(string(raw))
				if !ok {
					return nil, errorf(name, line, ErrInvalidValue, "column %q: %q is not a date",
						header[rc.date], raw)
				}
				if dateLine == 0 {
					reg.ExtractDate, dateLine = d, line
				} else if !d.Equal(reg.ExtractDate) {
					return nil, errorf(name, line, ErrConflict, "column %q: %q differs from %s on line %d",
						header[rc.date], raw, reg.ExtractDate.Format(time.DateOnly), dateLine)
				}
				dateRaw = append(dateRaw[:0], raw...)
			}
		}

		sex := sexAll
		if rc.sex >= 0 {
			s := bytes.TrimSpace(f[rc.sex])
			switch {
			case bytes.EqualFold(s, []byte("ALL")):
			case bytes.EqualFold(s, []byte("MALE")), bytes.EqualFold(s, []byte("M")):
				sex = sexMale
			case bytes.EqualFold(s, []byte("FEMALE")), bytes.EqualFold(s, []byte("F")):
				sex = sexFemale
			default:
				return nil, errorf(name, line, ErrInvalidValue, "column %q: %q is not ALL, MALE or FEMALE",
					header[rc.sex], s)
			}
		}
		if sex != sexAll {
			sexRows = append(sexRows, sexRow{practice: cur, lsoa: l, sex: sex, patients: n, line: int32(line)})
			continue
		}
		if stamp[l] == block {
			return nil, duplicateRow(name, int(stampLine[l]), line, reg.Practices[cur].Code, reg.LSOAs[l], "ALL")
		}
		stamp[l], stampLine[l] = block, int32(line)
		rows.add(Row{Practice: cur, LSOA: l, Patients: n})
		lines.add(int32(line))
	}
	reg.Rows = rows.slice(0)
	if revisited {
		if err := checkDuplicates(reg, lines.slice(0), name); err != nil {
			return nil, err
		}
	}
	if len(sexRows) > 0 {
		if err := addSexRows(reg, sexRows, name); err != nil {
			return nil, err
		}
	}
	return reg, nil
}

// denseSpan is how many codes of each of E01 and W01 denseLSOA numbers.
const denseSpan = 100_000

// denseLSOA numbers the LSOA codes of England and Wales, E01000000–E01099999 and W01000000–W01099999,
// from their onsKey, for a slice to find them in instead of a map (one lookup for nearly every row
// of a registrations file); -1 for any other code.
func denseLSOA(key uint64, ons bool) int {
	if !ons {
		return -1
	}
	digits := key % 100_000_000
	if digits < 1_000_000 || digits >= 1_000_000+denseSpan {
		return -1
	}
	switch key / 100_000_000 {
	case 'E':
		return int(digits - 1_000_000)
	case 'W':
		return denseSpan + int(digits-1_000_000)
	}
	return -1
}

// onsKey packs a code of one capital letter and eight digits (E01011959) into a number; ok is false
// for other codes (NO2011, CLOSED).
func onsKey(b []byte) (uint64, bool) {
	if len(b) != 9 || b[0] < 'A' || b[0] > 'Z' {
		return 0, false
	}
	k := uint64(b[0])
	for _, c := range b[1:] {
		if c < '0' || c > '9' {
			return 0, false
		}
		k = k*10 + uint64(c-'0')
	}
	return k, true
}

// chunks collects a long series without append's repeated copying of one ever larger slice.
type chunks[T any] struct {
	full [][]T
	cur  []T
	n    int
}

// Chunks grow from 256 to 32k elements, so that small files stay cheap.
const minChunk, maxChunk = 256, 32 << 10

func (c *chunks[T]) add(v T) {
	if len(c.cur) == cap(c.cur) {
		size := minChunk
		if c.cur != nil {
			c.full = append(c.full, c.cur)
			size = min(2*cap(c.cur), maxChunk)
		}
		c.cur = make([]T, 0, size)
	}
	c.cur = append(c.cur, v)
	c.n++
}

// slice returns everything added, in a slice with room for extra more.
func (c *chunks[T]) slice(extra int) []T {
	if c.n+extra == 0 {
		return nil
	}
	out := make([]T, 0, c.n+extra)
	for _, f := range c.full {
		out = append(out, f...)
	}
	return append(out, c.cur...)
}

func duplicateRow(name string, first, second int, practice, lsoa, sex string) error {
	return errorf(name, second, ErrDuplicate, "practice %s, LSOA %s, SEX %s repeats line %d",
		practice, lsoa, sex, first)
}

func pairKey(practice, lsoa int32) uint64 { return uint64(uint32(practice))<<32 | uint64(uint32(lsoa)) }

// checkDuplicates finds repeated (practice, LSOA) ALL rows anywhere in the file, for files whose
// practices are not contiguous.
func checkDuplicates(reg *Registrations, lines []int32, name string) error {
	idx := make([]int32, len(reg.Rows))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		ka, kb := pairKey(reg.Rows[a].Practice, reg.Rows[a].LSOA), pairKey(reg.Rows[b].Practice, reg.Rows[b].LSOA)
		switch {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return int(a - b)
	})
	for i := 1; i < len(idx); i++ {
		a, b := reg.Rows[idx[i-1]], reg.Rows[idx[i]]
		if a.Practice == b.Practice && a.LSOA == b.LSOA {
			return duplicateRow(name, int(lines[idx[i-1]]), int(lines[idx[i]]),
				reg.Practices[a.Practice].Code, reg.LSOAs[a.LSOA], "ALL")
		}
	}
	return nil
}

// addSexRows appends, for each pair with MALE/FEMALE rows but no ALL row, their sum.
func addSexRows(reg *Registrations, rows []sexRow, name string) error {
	type pair struct {
		line     [3]int32 // by sex
		patients int64
		n        int
		hasAll   bool
		done     bool
	}
	pairs := make(map[uint64]*pair, len(rows))
	for _, r := range rows {
		k := pairKey(r.practice, r.lsoa)
		p := pairs[k]
		if p == nil {
			p = &pair{}
			pairs[k] = p
		}
		if p.line[r.sex] != 0 {
			sex := "MALE"
			if r.sex == sexFemale {
				sex = "FEMALE"
			}
			return duplicateRow(name, int(p.line[r.sex]), int(r.line),
				reg.Practices[r.practice].Code, reg.LSOAs[r.lsoa], sex)
		}
		p.line[r.sex] = r.line
		p.patients += int64(r.patients)
		p.n++
	}
	for _, row := range reg.Rows {
		if p := pairs[pairKey(row.Practice, row.LSOA)]; p != nil {
			p.hasAll = true
		}
	}
	for _, r := range rows {
		p := pairs[pairKey(r.practice, r.lsoa)]
		if p.hasAll || p.done {
			continue
		}
		p.done = true
		if p.patients > math.MaxInt32 {
			return errorf(name, int(r.line), ErrInvalidValue, "practice %s, LSOA %s: MALE + FEMALE = %d is too large",
				reg.Practices[r.practice].Code, reg.LSOAs[r.lsoa], p.patients)
		}
		reg.Rows = append(reg.Rows, Row{Practice: r.practice, LSOA: r.lsoa, Patients: int32(p.patients)})
		reg.SexRows += p.n
	}
	return nil
}

// countError says why a count is not acceptable; its text follows the quoted value in messages.
type countError string

func (e countError) Error() string { return string(e) }

// parseCount parses a non-negative whole number that fits an int32.
func parseCount(b []byte) (int32, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, countError("is not a whole number")
	}
	neg := false
	digits := b
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		digits = b[1:]
	}
	if len(digits) == 0 {
		return 0, countError("is not a whole number")
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, countError("is not a whole number")
		}
		n = n*10 + int64(c-'0')
		if n > math.MaxInt32 {
			return 0, countError("is too large")
		}
	}
	if neg && n != 0 {
		return 0, countError("is negative")
	}
	return int32(n), nil
}

// parseDate reads the dates of NHS and ONS files: 04JAN2021 / 01Jul2022 / 04-Jan-2021, ISO
// 2021-01-04 (optionally followed by a time), 04/01/2021 (day first, as in the UK) and 20210104.
// Dates are returned at midnight UTC.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ':'); i > 0 { // drop a time of day
		if j := strings.LastIndexAny(s[:i], "T "); j > 0 {
			s = s[:j]
		}
	}
	var tok [4]string
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		j := i
		switch {
		case isDigit(c):
			for j < len(s) && isDigit(s[j]) {
				j++
			}
		case isLetter(c):
			for j < len(s) && isLetter(s[j]) {
				j++
			}
		case c == '-' || c == '/' || c == '.' || c == ' ':
			i++
			continue
		default:
			return time.Time{}, false
		}
		if n == len(tok) {
			return time.Time{}, false
		}
		tok[n] = s[i:j]
		n++
		i = j
	}
	var y, m, d int
	switch {
	case n == 1 && len(tok[0]) == 8 && isNumber(tok[0]): // 20210104
		y, m, d = atoi(tok[0][:4]), atoi(tok[0][4:6]), atoi(tok[0][6:])
	case n != 3:
		return time.Time{}, false
	case isNumber(tok[0]) && isNumber(tok[1]) && isNumber(tok[2]):
		switch {
		case len(tok[0]) == 4 && len(tok[1]) <= 2 && len(tok[2]) <= 2: // 2021-01-04
			y, m, d = atoi(tok[0]), atoi(tok[1]), atoi(tok[2])
		case len(tok[2]) == 4 && len(tok[0]) <= 2 && len(tok[1]) <= 2: // 04/01/2021
			y, m, d = atoi(tok[2]), atoi(tok[1]), atoi(tok[0])
		default:
			return time.Time{}, false
		}
	case isNumber(tok[0]) && len(tok[0]) <= 2 && isNumber(tok[2]) && len(tok[2]) == 4: // 04JAN2021
		y, d = atoi(tok[2]), atoi(tok[0])
		m = monthNumber(tok[1])
	default:
		return time.Time{}, false
	}
	return validDate(y, m, d)
}

// validDate returns the date if y-m-d is a real calendar day in a plausible range.
func validDate(y, m, d int) (time.Time, bool) {
	if y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, false // 31 April
	}
	return t, true
}

var months = [...]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

func monthNumber(s string) int {
	s = strings.ToLower(s)
	if len(s) > 3 && s != "sept" {
		for i, m := range fullMonths {
			if s == m {
				return i + 1
			}
		}
		return 0
	}
	if s == "sept" {
		return 9
	}
	for i, m := range months {
		if s == m {
			return i + 1
		}
	}
	return 0
}

var fullMonths = [...]string{"january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december"}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// atoi converts a short run of digits (callers check isNumber and the length).
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// notePractice keeps what a practice's first row says beyond its code: its PCN and its ICB.
func (reg *Registrations) notePractice(f [][]byte, rc regColumns, header []string, name string, line int) error {
	code := field(f, rc.practice)
	if reg.PCNOf != nil {
		p := PCN{}
		if rc.pcn >= 0 {
			p.Code = field(f, rc.pcn)
		}
		if rc.pcnName >= 0 {
			p.Name = field(f, rc.pcnName)
		}
		if p.Code == "" {
			p.Code = p.Name
		}
		if p.Code != "" && !unallocatedPCN(p.Code, p.Name) || rc.byPCN {
			if p.Code == "" {
				return errorf(name, line, ErrInvalidValue, "no PCN code or name")
			}
			reg.PCNOf[code] = p
		}
	}
	if reg.ICBOf != nil {
		if icb := field(f, rc.icb); icb != "" {
			reg.ICBOf[code] = icb
		}
	}
	return nil
}

// noteDenominator keeps an LSOA's patients at all practices; the rows of one LSOA must agree.
func (reg *Registrations) noteDenominator(f [][]byte, rc regColumns, header []string, name string, line int, lsoa string) error {
	raw := bytes.TrimSpace(f[rc.denominator])
	if len(raw) == 0 {
		return nil
	}
	n, err := parseCount(raw)
	if err != nil {
		return errorf(name, line, ErrInvalidValue, "column %q: %q %s", header[rc.denominator], raw, err.Error())
	}
	if prev, ok := reg.Denominators[lsoa]; ok && prev != int64(n) {
		return errorf(name, line, ErrConflict, "column %q: LSOA %s has %d here and %d on an earlier line",
			header[rc.denominator], lsoa, n, prev)
	}
	reg.Denominators[lsoa] = int64(n)
	return nil
}

// nameDate finds a year and month in a file name: 2025-10, 2025_10, 202510, 01Oct2025, Oct2025.
var nameDate = regexp.MustCompile(`(?i)(?:^|[^0-9])((?:19|20)[0-9]{2})[-_]?(0[1-9]|1[0-2])(?:[-_]?(0[1-9]|[12][0-9]|3[01]))?(?:[^0-9]|$)|(?:^|[^0-9a-z])([0-3]?[0-9])?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[-_]?((?:19|20)[0-9]{2})(?:[^0-9]|$)`)

// DateInName returns the date a file name gives (the first of the month when it gives no day), for
// registrations files without EXTRACT_DATE: gp-reg-pat-prac-lsoa21-2025-10-icb-QNC.csv.gz gives
// 2025-10-01. ok is false when the name holds no date.
func DateInName(path string) (t time.Time, ok bool) {
	base := filepath.Base(path)
	m := nameDate.FindStringSubmatch(base)
	if m == nil {
		return time.Time{}, false
	}
	if m[1] != "" {
		d := 1
		if m[3] != "" {
			d = atoi(m[3])
		}
		return validDate(atoi(m[1]), atoi(m[2]), d)
	}
	d := 1
	if m[4] != "" {
		d = atoi(m[4])
	}
	return validDate(atoi(m[6]), monthNumber(m[5][:3]), d)
}
