package nhs

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The expected counts are nhs/testdata/count.py's over the fixture file: the rows whose PCN_CODE is
// not "U", their distinct PCNs, the "U" (Unallocated) rows, and P91003's PCN_CODE.
func TestReadPracticeMapExtract(t *testing.T) {
	m, err := ReadPracticeMap(fixture("practice-map-2022-01.csv"))
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("partners=%d pcns=%d unallocated=%v date=%s first=%v", len(m.Partners), len(m.PCNs),
		m.Unallocated, m.ExtractDate.Format(time.DateOnly), m.PCNs[0])
	want := "partners=594 pcns=235 unallocated=[{Y03584 C/O THE LIMES MEDICAL CENTRE} {Y06487 BABYLON GP AT HAND BIRMINGHAM}] " +
		"date=2022-01-01 first={U00147 AEGIS HEALTHCARE PCN}"
	if got != want {
		t.Errorf("ReadPracticeMap(extract) = %s, want %s", got, want)
	}
	asOf, conflicts := m.AsOf(time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC))
	if asOf["P91003"] != "U95344" || len(asOf) != 594 || len(conflicts) != 0 {
		t.Errorf("ReadPracticeMap(extract).AsOf = %d practices, P91003 in %q, %d conflicts; want 594, U95344, 0",
			len(asOf), asOf["P91003"], len(conflicts))
	}
	for _, p := range m.Partners {
		if !p.Start.IsZero() || !p.End.IsZero() {
			t.Errorf("ReadPracticeMap(extract) partner %+v has dates", p)
		}
	}
}

func TestReadPracticeMapVariants(t *testing.T) {
	const header = "PRACTICE_CODE,PRACTICE_NAME,PCN_CODE,PCN_NAME,EXTRACT_DATE\n"
	tests := map[string]struct {
		in        string
		want      string
		err       error
		fragments []string
	}{
		"unallocated spellings": {
			in:   header + "A1,ONE,U,Unallocated,01Jan2022\nA2,TWO,,,01Jan2022\nA3,THREE,U00000,UNALLOCATED,01Jan2022\nA4,FOUR,U12345,REAL PCN,01Jan2022\nA5,FIVE,U00000,WEST NORWICH PCN,01Jan2022\n",
			want: "A4/U12345; A5/U00000 | U00000=WEST NORWICH PCN U12345=REAL PCN | unallocated A1 A2 A3",
		},
		"the 2025-26 layout (17 columns, SUPPLIER_NAME last), real rows": {
			in: "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,PRACTICE_POSTCODE,PCN_CODE,PCN_NAME,ONS_SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,ONS_ICB_CODE,ICB_CODE,ICB_NAME,ONS_COMM_REGION_CODE,COMM_REGION_CODE,COMM_REGION_NAME,SUPPLIER_NAME\n" +
				"GP_PRAC_PAT_LIST,01Oct2025,C81018,DOVE RIVER,DE13 9NA,U57641,EAST STAFFORDSHIRE PCN,E38000053,05D,NHS Staffordshire and Stoke-on-Trent ICB - 05D,E54000010,QNC,NHS Staffordshire and Stoke-on-Trent Integrated Care Board,E40000011,Y60,Midlands,EMIS\n" +
				"GP_PRAC_PAT_LIST,01Oct2025,A84035,RIVERSDALE SURGERY,NE42 5DQ,U,Unallocated,E38000130,00L,NHS North East and North Cumbria ICB - 00L,E54000050,QHM,NHS North East and North Cumbria Integrated Care Board,E40000012,Y63,North East and Yorkshire,TPP\n" +
				"GP_PRAC_PAT_LIST,01Oct2025,D82017,TRINITY & BOWTHORPE MEDICAL PRACTICE,NR2 2BQ,U00000,WEST NORWICH PCN,E38000239,26A,NHS Norfolk and Waveney ICB - 26A,E54000022,QMM,NHS Norfolk and Waveney Integrated Care Board,E40000013,Y61,East of England,TPP\n",
			want: "C81018/U57641; D82017/U00000 | U00000=WEST NORWICH PCN U57641=EAST STAFFORDSHIRE PCN | unallocated A84035",
		},
		"PCN name from a later row": {
			in:   header + "A1,ONE,U1,,\nA2,TWO,U1,NAMED PCN,\n",
			want: "A1/U1; A2/U1 | U1=NAMED PCN | unallocated",
		},
		"no name columns": {
			in:   "PCN_CODE,PRACTICE_CODE\nU1,A1\n",
			want: "A1/U1 | U1= | unallocated",
		},
		"missing PCN column": {
			in: "PRACTICE_CODE,PRACTICE_NAME\nA1,ONE\n", err: ErrMissingColumn, fragments: []string{`"PCN_CODE"`},
		},
		"duplicate practice": {
			in: header + "A1,ONE,U1,X,\nA2,TWO,U1,X,\nA1,ONE,U2,Y,\n", err: ErrDuplicate, fragments: []string{"line 4", "practice A1 repeats line 2"},
		},
		"two extract dates": {
			in: header + "A1,ONE,U1,X,01Jan2022\nA2,TWO,U1,X,01Feb2022\n", err: ErrConflict, fragments: []string{"line 3"},
		},
		"bad extract date": {
			in: header + "A1,ONE,U1,X,Jan 2022\n", err: ErrInvalidValue, fragments: []string{"line 2", "not a date"},
		},
		"empty practice": {
			in: header + ",ONE,U1,X,\n", err: ErrInvalidValue, fragments: []string{"line 2"},
		},
		"short line": {
			in: header + "A1,ONE,U1\n", err: ErrMalformed, fragments: []string{"line 2", "3 fields, want 5"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			m, err := readPracticeMap(strings.NewReader(tt.in), "map.csv")
			if !checkErr(t, "readPracticeMap("+name+")", err, tt.err, tt.fragments...) {
				return
			}
			var ps, ns, us []string
			for _, p := range m.Partners {
				ps = append(ps, p.Practice+"/"+p.PCN)
			}
			for _, p := range m.PCNs {
				ns = append(ns, p.Code+"="+p.Name)
			}
			for _, p := range m.Unallocated {
				us = append(us, p.Code)
			}
			got := strings.Join(ps, "; ") + " | " + strings.Join(ns, " ") + " | unallocated " + strings.Join(us, " ")
			if strings.TrimSpace(got) != tt.want {
				t.Errorf("readPracticeMap(%s) = %s, want %s", name, got, tt.want)
			}
		})
	}
}
