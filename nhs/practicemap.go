package nhs

import (
	"io"
	"slices"
	"strings"
	"time"
)

// ReadPracticeMap reads NHS Digital's gp-reg-pat-prac-map file (plain, .gz or .zip): one row per
// practice with its PCN on the extract date. The result has no relationship dates, so AsOf gives
// the same membership for every date; ExtractDate says which day it describes.
//
// The January 2022 file lists 68 practices with PCN_CODE "U" and PCN_NAME "Unallocated": they
// belong to no PCN, so they go to Unallocated, not Partners, and "U" is not a PCN. The same holds
// for an empty code and for a code whose digits are all zero (U00000) named "Unallocated" or not named,
// which other releases use; since 2024 U00000 is also the real code of West Norwich PCN, so a named
// U00000 is a PCN.
func ReadPracticeMap(path string) (*Membership, error) {
	return readFile(path, func(c *columns) error { _, err := practiceMapColumns(c); return err },
		func(in *input) (*Membership, error) { return readPracticeMap(in.r, in.name) },
		func(m *Membership) *string { return &m.Source })
}

type pmColumns struct{ practice, practiceName, pcn, pcnName, date int }

func practiceMapColumns(c *columns) (pmColumns, error) {
	var pc pmColumns
	var err error
	if pc.practice, err = c.need(colPractice...); err != nil {
		return pc, err
	}
	if pc.pcn, err = c.need("PCN_CODE"); err != nil {
		return pc, err
	}
	if pc.practiceName, err = c.find(colPracticeName...); err != nil {
		return pc, err
	}
	if pc.pcnName, err = c.find("PCN_NAME"); err != nil {
		return pc, err
	}
	if pc.date, err = c.find(colExtractDate...); err != nil {
		return pc, err
	}
	return pc, nil
}

// unallocatedPCN reports whether a practice map PCN code and name mean "no PCN": an empty code, "U",
// a name "Unallocated", or an all-zero code (U00000) without a name.
func unallocatedPCN(code, name string) bool {
	switch {
	case strings.EqualFold(strings.TrimSpace(name), "unallocated"), code == "", strings.EqualFold(code, "U"):
		return true
	case name != "":
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] >= '1' && code[i] <= '9' {
			return false
		}
	}
	return true
}

func readPracticeMap(r io.Reader, name string) (*Membership, error) {
	cr := newCSVReader(r, name)
	header, err := cr.header()
	if err != nil {
		return nil, err
	}
	pc, err := practiceMapColumns(newColumns(name, header))
	if err != nil {
		return nil, err
	}
	m := &Membership{Source: name}
	seen := map[string]int{}    // practice → line
	pcns := map[string]string{} // code → name
	dateLine := 0
	for {
		f, err := cr.row(len(header))
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		line := cr.line
		p := Partner{Practice: field(f, pc.practice), PCN: field(f, pc.pcn)}
		if pc.practiceName >= 0 {
			p.PracticeName = field(f, pc.practiceName)
		}
		if p.Practice == "" {
			return nil, errorf(name, line, ErrInvalidValue, "column %q is empty", header[pc.practice])
		}
		if prev, dup := seen[p.Practice]; dup {
			return nil, errorf(name, line, ErrDuplicate, "practice %s repeats line %d", p.Practice, prev)
		}
		seen[p.Practice] = line
		if pc.date >= 0 {
			if raw := field(f, pc.date); raw != "" {
				d, ok := parseDate(raw)
				switch {
				case !ok:
					return nil, errorf(name, line, ErrInvalidValue, "column %q: %q is not a date", header[pc.date], raw)
				case dateLine == 0:
					m.ExtractDate, dateLine = d, line
				case !d.Equal(m.ExtractDate):
					return nil, errorf(name, line, ErrConflict, "column %q: %q differs from %s on line %d",
						header[pc.date], raw, m.ExtractDate.Format(time.DateOnly), dateLine)
				}
			}
		}
		pcnName := ""
		if pc.pcnName >= 0 {
			pcnName = field(f, pc.pcnName)
		}
		if unallocatedPCN(p.PCN, pcnName) {
			m.Unallocated = append(m.Unallocated, Practice{Code: p.Practice, Name: p.PracticeName})
			continue
		}
		m.Partners = append(m.Partners, p)
		n := ""
		if pc.pcnName >= 0 {
			n = field(f, pc.pcnName)
		}
		if cur, ok := pcns[p.PCN]; !ok || cur == "" {
			pcns[p.PCN] = n
		}
	}
	for code, n := range pcns {
		m.PCNs = append(m.PCNs, PCN{Code: code, Name: n})
	}
	slices.SortFunc(m.PCNs, func(a, b PCN) int { return strings.Compare(a.Code, b.Code) })
	slices.SortFunc(m.Unallocated, func(a, b Practice) int { return strings.Compare(a.Code, b.Code) })
	return m, nil
}
