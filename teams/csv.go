package teams

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Table is a parsed team → code CSV: which kind of code it holds and its rows in file order.
type Table struct {
	Source string
	Kind   Method // MethodLSOA, MethodMSOA or MethodPractice
	Rows   []Row
}

// Row is one line of a Table; Line counts from 1 with the header as line 1.
type Row struct {
	Line int
	Team string
	Code string
}

// teamColumns and codeColumns are the header names recognised, compared case-insensitively with
// spaces and hyphens read as underscores.
var (
	teamColumns = []string{"team", "team_name", "teamname", "team_code", "locality", "patch", "neighbourhood", "name"}
	codeColumns = map[string]Method{
		"lsoa": MethodLSOA, "lsoa11cd": MethodLSOA, "lsoa21cd": MethodLSOA, "lsoa_code": MethodLSOA, "lsoa11": MethodLSOA,
		"msoa": MethodMSOA, "msoa11cd": MethodMSOA, "msoa21cd": MethodMSOA, "msoa_code": MethodMSOA, "msoa11": MethodMSOA,
		"practice": MethodPractice, "practice_code": MethodPractice, "org_code": MethodPractice, "ods_code": MethodPractice,
	}
)

// maxRows bounds a table so a hostile upload cannot exhaust memory; England has ~33k LSOAs and ~7k practices.
const maxRows = 1 << 20

// ParseCSV reads a CSV whose header names one team column (team, team_name, locality, patch, name…)
// and exactly one code column (lsoa/LSOA11CD, msoa/MSOA11CD, or practice/practice_code/ods_code);
// other columns are ignored. It checks the shape of the file only; Model resolves the codes.
func ParseCSV(r io.Reader, name string) (*Table, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: %s: empty file", ErrInput, name)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrInput, name, err)
	}
	teamCol, codeCol := -1, -1
	kind := MethodUnset
	var codeNames []string
	for i, h := range header {
		k := normalise(h, i == 0)
		if _, ok := codeColumns[k]; ok {
			codeNames = append(codeNames, h)
			codeCol, kind = i, codeColumns[k]
		}
	}
	for _, want := range teamColumns {
		for i, h := range header {
			if teamCol < 0 && normalise(h, i == 0) == want {
				teamCol = i
			}
		}
	}
	switch {
	case len(codeNames) == 0:
		return nil, fmt.Errorf("%w: %s: line 1: no code column (want one of lsoa, LSOA11CD, msoa, MSOA11CD, practice, practice_code); header is %q", ErrInput, name, strings.Join(header, ","))
	case len(codeNames) > 1:
		return nil, fmt.Errorf("%w: %s: line 1: several code columns (%s); keep one", ErrInput, name, strings.Join(codeNames, ", "))
	case teamCol < 0:
		return nil, fmt.Errorf("%w: %s: line 1: no team column (want team, team_name, locality, patch or name); header is %q", ErrInput, name, strings.Join(header, ","))
	}
	t := &Table{Source: name, Kind: kind}
	seen := make(map[[2]string]int)
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInput, name, err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if teamCol >= len(rec) || codeCol >= len(rec) {
			return nil, fmt.Errorf("%w: %s: line %d: %d fields, the header has %d", ErrInput, name, line, len(rec), len(header))
		}
		team, code := strings.TrimSpace(rec[teamCol]), strings.ToUpper(strings.TrimSpace(rec[codeCol]))
		if team == "" || code == "" {
			return nil, fmt.Errorf("%w: %s: line %d: empty team or code", ErrInput, name, line)
		}
		if err := CheckName(team); err != nil {
			return nil, fmt.Errorf("%w: %s: line %d: %v", ErrInput, name, line, err)
		}
		key := [2]string{team, code}
		if prev, ok := seen[key]; ok {
			return nil, fmt.Errorf("%w: %s: line %d: team %q lists %s again (first on line %d)", ErrInput, name, line, team, code, prev)
		}
		if len(t.Rows) >= maxRows {
			return nil, fmt.Errorf("%w: %s: more than %d rows", ErrInput, name, maxRows)
		}
		seen[key] = line
		t.Rows = append(t.Rows, Row{Line: line, Team: team, Code: code})
	}
	if len(t.Rows) == 0 {
		return nil, fmt.Errorf("%w: %s: no rows after the header", ErrInput, name)
	}
	return t, nil
}

func normalise(h string, first bool) string {
	if first {
		h = strings.TrimPrefix(h, "\uFEFF")
	}
	h = strings.ToLower(strings.TrimSpace(h))
	return strings.NewReplacer(" ", "_", "-", "_").Replace(h)
}
