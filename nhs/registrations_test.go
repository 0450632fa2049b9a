package nhs

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// summary is what the registrations tests compare.
func summary(r *Registrations) string {
	var patients int64
	for _, row := range r.Rows {
		patients += int64(row.Patients)
	}
	date := "-"
	if !r.ExtractDate.IsZero() {
		date = r.ExtractDate.Format(time.DateOnly)
	}
	return fmt.Sprintf("rows=%d practices=%d lsoas=%d patients=%d sexrows=%d date=%s",
		len(r.Rows), len(r.Practices), len(r.LSOAs), patients, r.SexRows, date)
}

const published = "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,LSOA_CODE,SEX,Number of Patients\n"

func TestReadRegistrationsVariants(t *testing.T) {
	tests := map[string]struct {
		in        string
		want      string
		err       error
		fragments []string
	}{
		"published layout": {
			in: published +
				"GP_PRAC_PAT_LIST,04JAN2021,P91003,PARK MEDICAL PRACTICE,E01006187,ALL,1\n" +
				"GP_PRAC_PAT_LIST,04JAN2021,P91003,PARK MEDICAL PRACTICE,NO2011,ALL,7\n" +
				"GP_PRAC_PAT_LIST,04JAN2021,A89015,\"FULWELL MEDICAL CENTRE,\",E01006187,ALL,3\n",
			want: "rows=3 practices=2 lsoas=2 patients=11 sexrows=0 date=2021-01-04",
		},
		"2022 count column, mixed-case month": {
			in: "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,LSOA_CODE,SEX,NUMBER_OF_PATIENTS\n" +
				"GP_PRAC_PAT_LIST,01Jul2022,P91003,PARK MEDICAL PRACTICE,NO2011,ALL,2\n",
			want: "rows=1 practices=1 lsoas=1 patients=2 sexrows=0 date=2022-07-01",
		},
		"minimal columns, no PUBLICATION, EXTRACT_DATE or SEX": {
			in:   "PRACTICE_CODE,LSOA_CODE,NUMBER_OF_PATIENTS\nP1,E01000001,5\nP1,E01000002,6\nP2,E01000001,0\n",
			want: "rows=3 practices=2 lsoas=2 patients=11 sexrows=0 date=-",
		},
		"any order, any case, BOM, spaces, CRLF, blank lines, no final newline": {
			in:   "\ufeff number of patients ,lsoa_code,Practice_Code,extract_date\r\n 5 , E01000001 ,P1,2021-01-04\r\n\r\n7,E01000002,P1,2021-01-04",
			want: "rows=2 practices=1 lsoas=2 patients=12 sexrows=0 date=2021-01-04",
		},
		"header only": {
			in:   published,
			want: "rows=0 practices=0 lsoas=0 patients=0 sexrows=0 date=-",
		},
		"MALE and FEMALE summed when no ALL row": {
			in: "PRACTICE_CODE,LSOA_CODE,SEX,NUMBER_OF_PATIENTS\n" +
				"P1,E01000001,MALE,3\nP1,E01000001,FEMALE,4\n" + // summed: 7
				"P1,E01000002,ALL,10\nP1,E01000002,MALE,6\nP1,E01000002,FEMALE,4\n" + // ALL only
				"P2,E01000001,F,2\n", // one sex only: used as it is
			want: "rows=3 practices=2 lsoas=2 patients=19 sexrows=3 date=-",
		},
		"ALL row after its MALE and FEMALE rows": {
			in:   "PRACTICE_CODE,LSOA_CODE,SEX,NUMBER_OF_PATIENTS\nP1,E01000001,MALE,3\nP1,E01000001,FEMALE,4\nP1,E01000001,ALL,7\n",
			want: "rows=1 practices=1 lsoas=1 patients=7 sexrows=0 date=-",
		},
		"practice rows not contiguous": {
			in:   "PRACTICE_CODE,LSOA_CODE,NUMBER_OF_PATIENTS\nP1,E01000001,1\nP2,E01000001,2\nP1,E01000002,3\n",
			want: "rows=3 practices=2 lsoas=2 patients=6 sexrows=0 date=-",
		},

		"empty file": {in: "", err: ErrMalformed, fragments: []string{"empty file"}},
		"missing count column": {
			in:        "PRACTICE_CODE,LSOA_CODE,TOTAL\nP1,E01000001,1\n",
			err:       ErrMissingColumn,
			fragments: []string{"line 1", `"Number of Patients" or "NUMBER_OF_PATIENTS"`, `"TOTAL"`},
		},
		"missing practice column": {
			in:  "LSOA_CODE,NUMBER_OF_PATIENTS\nE01000001,1\n",
			err: ErrMissingColumn, fragments: []string{`"PRACTICE_CODE"`},
		},
		"column twice": {
			in:  "PRACTICE_CODE,LSOA_CODE,NUMBER_OF_PATIENTS,PRACTICE_CODE\nP1,E01000001,1,P1\n",
			err: ErrMalformed, fragments: []string{"appears twice"},
		},
		"non-numeric count": {
			in:  published + "GP_PRAC_PAT_LIST,04JAN2021,P1,X,E01000001,ALL,1\nGP_PRAC_PAT_LIST,04JAN2021,P1,X,E01000002,ALL,x7\n",
			err: ErrInvalidValue, fragments: []string{`: line 3: column "Number of Patients": "x7" is not a whole number`},
		},
		"negative count": {
			in:  "PRACTICE_CODE,LSOA_CODE,NUMBER_OF_PATIENTS\nP1,E01000001,-3\n",
			err: ErrInvalidValue, fragments: []string{"line 2", `"-3" is negative`},
		},
		"fractional count": {
			in:  "PRACTICE_CODE,LSOA_CODE,NUMBER_OF_PATIENTS\nP1,E01000001,2.5\n",
			err: ErrInvalidValue, fragments: []string{"line 2", "not a whole number"},
		},
		"empty count": {
			in:  "PRACTICE_CODE,LSOA_CODE,NUMBER_OF_PATIENTS\nP1,E01000001,\n",
			err: ErrInvalidValue, fragments: []string{"line 2"},
		},
		"count too large": {
			in:  "PRACTICE_CODE,LSOA_CODE,NUMBER_OF_PATIENTS\nP1,E01000001,99999999999\n",
			err: ErrInvalidValue, fragments: []string{"too large"},
		},
		"empty practice": {
			in:  "PRACTICE_CODE,LSOA_CODE,NUMBER_OF_PATIENTS\n ,E01000001,1\n",
			err: ErrInvalidValue, fragments: []string{"line 2", `"PRACTICE_CODE" is empty`},
		},
		"empty LSOA": {
			in:  "PRACTICE_CODE,LSOA_CODE,NUMBER_OF_PATIENTS\nP1,,1\n",
			err: ErrInvalidValue, fragments: []string{"line 2", `"LSOA_CODE" is empty`},
		},
		"too few fields": {
			in:  "PRACTICE_CODE,LSOA_CODE,NUMBER_OF_PATIENTS\nP1,E01000001,1\nP1,E01000002\n",
			err: ErrMalformed, fragments: []string{"line 3", "2 fields, want 3"},
		},
		"too many fields": {
			in:  "PRACTICE_CODE,LSOA_CODE,NUMBER_OF_PATIENTS\nP1,E01000001,1,9\n",
			err: ErrMalformed, fragments: []string{"line 2", "4 fields, want 3"},
		},
		"quoted field broken across lines": {
			in:  published + "GP_PRAC_PAT_LIST,04JAN2021,P1,\"PARK\nSURGERY\",E01000001,ALL,1\n",
			err: ErrMalformed, fragments: []string{"line 2", "broken across lines"},
		},
		"quote inside unquoted field": {
			in:  "PRACTICE_CODE,LSOA_CODE,NUMBER_OF_PATIENTS\nP1,E0100\"0001,1\n",
			err: ErrMalformed, fragments: []string{"line 2", "field 2"},
		},
		"text after closing quote": {
			in:  "PRACTICE_CODE,LSOA_CODE,NUMBER_OF_PATIENTS\n\"P1\"x,E01000001,1\n",
			err: ErrMalformed, fragments: []string{"line 2", "after a closing quote"},
		},
		"duplicate ALL rows": {
			in:  "PRACTICE_CODE,LSOA_CODE,SEX,NUMBER_OF_PATIENTS\nP1,E01000001,ALL,1\nP1,E01000002,ALL,1\nP1,E01000001,ALL,2\n",
			err: ErrDuplicate, fragments: []string{"line 4", "practice P1, LSOA E01000001, SEX ALL repeats line 2"},
		},
		"duplicate rows of a practice seen twice": {
			in:  "PRACTICE_CODE,LSOA_CODE,NUMBER_OF_PATIENTS\nP1,E01000001,1\nP2,E01000001,1\nP1,E01000001,2\n",
			err: ErrDuplicate, fragments: []string{"line 4", "repeats line 2"},
		},
		"duplicate MALE rows": {
			in:  "PRACTICE_CODE,LSOA_CODE,SEX,NUMBER_OF_PATIENTS\nP1,E01000001,MALE,1\nP1,E01000001,FEMALE,1\nP1,E01000001,M,2\n",
			err: ErrDuplicate, fragments: []string{"line 4", "SEX MALE repeats line 2"},
		},
		"unknown sex": {
			in:  "PRACTICE_CODE,LSOA_CODE,SEX,NUMBER_OF_PATIENTS\nP1,E01000001,X,1\n",
			err: ErrInvalidValue, fragments: []string{"line 2", `"X" is not ALL, MALE or FEMALE`},
		},
		"two extract dates": {
			in:  "PRACTICE_CODE,LSOA_CODE,EXTRACT_DATE,NUMBER_OF_PATIENTS\nP1,E01000001,04JAN2021,1\nP1,E01000002,2021-01-04,1\nP1,E01000003,01FEB2021,1\n",
			err: ErrConflict, fragments: []string{"line 4", "differs from 2021-01-04 on line 2"},
		},
		"bad extract date": {
			in:  "PRACTICE_CODE,LSOA_CODE,EXTRACT_DATE,NUMBER_OF_PATIENTS\nP1,E01000001,31FEB2021,1\n",
			err: ErrInvalidValue, fragments: []string{"line 2", "not a date"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := readRegistrations(strings.NewReader(tt.in), "gp-reg.csv")
			call := fmt.Sprintf("readRegistrations(%q)", name)
			if !checkErr(t, call, err, tt.err, tt.fragments...) {
				return
			}
			if s := summary(got); s != tt.want {
				t.Errorf("%s = %s, want %s", call, s, tt.want)
			}
		})
	}
}

func TestReadRegistrationsMessage(t *testing.T) {
	in := published + "GP_PRAC_PAT_LIST,04JAN2021,P1,X,E01000002,ALL,x7\n"
	p := writeTemp(t, "gp-reg.csv.gz", gzipBytes(t, []byte(in)))
	_, err := ReadRegistrations(p)
	want := "nhs: " + p + `: line 2: column "Number of Patients": "x7" is not a whole number`
	if err == nil || err.Error() != want {
		t.Errorf("ReadRegistrations(%s) = %v, want %s", p, err, want)
	}
	var e *Error
	if !errors.As(err, &e) || e.Line != 2 || e.File != p {
		t.Errorf("ReadRegistrations(%s) = %#v, want an *Error at line 2 of the file", p, err)
	}
}

func TestReadRegistrationsSexRows(t *testing.T) {
	in := "PRACTICE_CODE,LSOA_CODE,SEX,NUMBER_OF_PATIENTS\n" +
		"P1,E01000001,MALE,3\nP1,E01000001,FEMALE,4\nP1,E01000002,ALL,10\nP1,E01000002,MALE,6\n"
	r, err := readRegistrations(strings.NewReader(in), "sex.csv")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int32{}
	for _, row := range r.Rows {
		got[r.Practices[row.Practice].Code+"/"+r.LSOAs[row.LSOA]] = row.Patients
	}
	want := map[string]int32{"P1/E01000001": 7, "P1/E01000002": 10}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("readRegistrations(sex.csv) rows = %v, want %v", got, want)
	}
}

// The real extracts, in every container the readers accept: the fixture files as published (gzipped;
// 2021 with the count column "Number of Patients", 2022 with NUMBER_OF_PATIENTS, quoted practice
// names with commas, NO2011 rows) and, built here, the plain CSV the publisher also ships.
// The expected counts are nhs/testdata/count.py's (python's csv module over the fixture files): rows,
// distinct PRACTICE_CODE and LSOA_CODE values (NO2011 included), and the sum of the count column.
func TestReadRegistrationsExtracts(t *testing.T) {
	plain2021 := gunzipFixture(t, "registrations-2021-01.csv.gz")
	plain2022 := gunzipFixture(t, "registrations-2022-07.csv.gz")
	const (
		want2021 = "rows=21465 practices=486 lsoas=1577 patients=981487 sexrows=0 date=2021-01-04"
		want2022 = "rows=21747 practices=515 lsoas=1639 patients=1016026 sexrows=0 date=2022-07-01"
	)
	practiceMap := readFixture(t, "practice-map-2022-01.csv")
	tests := map[string]struct {
		name string
		data []byte
		want string
	}{
		"2021 gzip":               {"gp.csv.gz", readFixture(t, "registrations-2021-01.csv.gz"), want2021},
		"2021 plain":              {"gp.csv", plain2021, want2021},
		"2022 gzip":               {"gp.csv.gz", readFixture(t, "registrations-2022-07.csv.gz"), want2022},
		"2022 plain":              {"gp.csv", plain2022, want2022},
		"2022 gzip without .gz":   {"gp.csv", readFixture(t, "registrations-2022-07.csv.gz"), want2022},
		"2022 zip":                {"gp.zip", zipBytes(t, member{"gp-reg-pat-prac-lsoa-all.csv", plain2022}), want2022},
		"zip with a readme":       {"gp.zip", zipBytes(t, member{"README.txt", []byte("hello")}, member{"data/gp.csv", plain2022}), want2022},
		"zip with two CSVs":       {"gp.zip", zipBytes(t, member{"map.csv", practiceMap}, member{"gp.csv", plain2021}), want2021},
		"zip with macOS metadata": {"gp.zip", zipBytes(t, member{"__MACOSX/._gp.csv", []byte{0, 5, 22}}, member{"gp.csv", plain2021}), want2021},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			p := writeTemp(t, tt.name, tt.data)
			got, err := ReadRegistrations(p)
			if err != nil {
				t.Fatalf("ReadRegistrations(%s): %v", name, err)
			}
			if s := summary(got); s != tt.want {
				t.Errorf("ReadRegistrations(%s) = %s, want %s", name, s, tt.want)
			}
		})
	}
	r, err := ReadRegistrations(fixture("registrations-2021-01.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != "registrations-2021-01.csv.gz" || r.Practices[0] != (Practice{"A82025", "CAPTAIN FRENCH SURGERY"}) {
		t.Errorf("ReadRegistrations(2021 extract) Source, Practices[0] = %q, %v", r.Source, r.Practices[0])
	}
}

// Broken containers are errors, never a short read.
func TestReadRegistrationsBrokenFiles(t *testing.T) {
	gz := readFixture(t, "registrations-2021-01.csv.gz")
	plain := gunzipFixture(t, "registrations-2022-07.csv.gz")
	zipped := zipBytes(t, member{"gp.csv", plain})
	badCRC := append([]byte(nil), gz...)
	badCRC[len(badCRC)-8] ^= 0xff // the CRC-32 in the gzip trailer
	corruptZip := append([]byte(nil), zipped...)
	for i := 40; i < 400; i++ { // the deflated data of the member
		corruptZip[i] ^= 0x5a
	}
	practiceMap := readFixture(t, "practice-map-2022-01.csv")
	tests := map[string]struct {
		name      string
		data      []byte
		err       error
		fragments []string
	}{
		"truncated gzip":      {"gp.csv.gz", gz[:len(gz)/2], io.ErrUnexpectedEOF, []string{"line ", "unexpected EOF"}},
		"gzip without footer": {"gp.csv.gz", gz[:len(gz)-4], io.ErrUnexpectedEOF, nil},
		"gzip bad checksum":   {"gp.csv.gz", badCRC, nil, []string{"checksum"}},
		"gzip header only":    {"gp.csv.gz", gz[:5], nil, []string{"gzip"}},
		"truncated zip":       {"gp.zip", zipped[:len(zipped)/2], nil, []string{"zip"}},
		"corrupt zip":         {"gp.zip", corruptZip, nil, []string{"gp.zip"}},
		"empty zip":           {"gp.zip", zipBytes(t), ErrArchive, []string{"no files"}},
		"zip of two registrations": {"gp.zip",
			zipBytes(t, member{"a.csv", plain}, member{"b.csv", plain}),
			ErrArchive, []string{`"a.csv", "b.csv"`, "cannot choose"}},
		"zip without registrations": {"gp.zip",
			zipBytes(t, member{"map.csv", practiceMap}, member{"other.csv", []byte("a,b\n1,2\n")}),
			ErrArchive, []string{`"map.csv", "other.csv"`}},
		"missing file": {"", nil, nil, []string{"no such file"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			p := "testdata/does-not-exist.csv"
			if tt.data != nil {
				p = writeTemp(t, tt.name, tt.data)
			}
			got, err := ReadRegistrations(p)
			if err == nil {
				t.Fatalf("ReadRegistrations(%s) = %s, want an error", name, summary(got))
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("ReadRegistrations(%s) = %v, want an error matching %v", name, err, tt.err)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("ReadRegistrations(%s) = %v (%T), want an *Error", name, err, err)
			}
			if !strings.HasPrefix(err.Error(), "nhs: "+p) {
				t.Errorf("ReadRegistrations(%s) = %q, want it to start with the file", name, err)
			}
			for _, f := range tt.fragments {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("ReadRegistrations(%s) = %q, want it to mention %q", name, err, f)
				}
			}
		})
	}
}

// An error early in a big file stops the read-ahead goroutine.
func TestReadRegistrationsNoLeak(t *testing.T) {
	var b strings.Builder
	b.WriteString("PRACTICE_CODE,LSOA_CODE,NUMBER_OF_PATIENTS\nP1,E01000001,x\n")
	for i := 0; i < 100000; i++ { // 1.7 MB: more than the read-ahead buffers hold
		fmt.Fprintf(&b, "P2,E01%06d,1\n", i)
	}
	p := writeTemp(t, "big.csv.gz", gzipBytes(t, []byte(b.String())))
	before := runtime.NumGoroutine()
	for i := 0; i < 5; i++ {
		if _, err := ReadRegistrations(p); !errors.Is(err, ErrInvalidValue) {
			t.Fatalf("ReadRegistrations(big.csv.gz) = %v, want ErrInvalidValue", err)
		}
	}
	if after := runtime.NumGoroutine(); after > before+2 {
		t.Errorf("goroutines after 5 failed reads = %d, want about %d", after, before)
	}
}

func TestParseCount(t *testing.T) {
	tests := map[string]struct {
		in   string
		want int32
		err  string
	}{
		"zero":     {"0", 0, ""},
		"padded":   {" 42 ", 42, ""},
		"plus":     {"+7", 7, ""},
		"minus 0":  {"-0", 0, ""},
		"max":      {"2147483647", 2147483647, ""},
		"overflow": {"2147483648", 0, "is too large"},
		"negative": {"-1", 0, "is negative"},
		"empty":    {"", 0, "is not a whole number"},
		"sign":     {"-", 0, "is not a whole number"},
		"decimal":  {"1.0", 0, "is not a whole number"},
		"letters":  {"x7", 0, "is not a whole number"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseCount([]byte(tt.in))
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if got != tt.want || gotErr != tt.err {
				t.Errorf("parseCount(%q) = %d, %q, want %d, %q", tt.in, got, gotErr, tt.want, tt.err)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	tests := map[string]struct {
		in   string
		want string // "" = rejected
	}{
		"NHS upper":         {"04JAN2021", "2021-01-04"},
		"NHS mixed":         {"01Jul2022", "2022-07-01"},
		"NHS hyphens":       {"4-Jan-2021", "2021-01-04"},
		"full month":        {"1 September 2021", "2021-09-01"},
		"sept":              {"01-Sept-2021", "2021-09-01"},
		"ISO":               {"2021-01-04", "2021-01-04"},
		"ISO with time":     {"2021-01-04T00:00:00Z", "2021-01-04"},
		"ISO space time":    {"2021-01-04 10:30", "2021-01-04"},
		"UK":                {"01/07/2019", "2019-07-01"},
		"UK short":          {"1/7/2019", "2019-07-01"},
		"UK with time":      {"01/07/2019 00:00:00", "2019-07-01"},
		"compact":           {"20191001", "2019-10-01"},
		"leap day":          {"29/02/2020", "2020-02-29"},
		"not a leap day":    {"29/02/2021", ""},
		"31 April":          {"2021-04-31", ""},
		"month 13":          {"2021-13-01", ""},
		"two-digit year":    {"01/07/19", ""},
		"US order":          {"07/31/2019", ""},
		"unknown month":     {"04JUX2021", ""},
		"empty":             {"", ""},
		"serial":            {"43647", ""},
		"too many parts":    {"2021-01-04-05", ""},
		"year out of range": {"01/01/1066", ""},
		"junk":              {"soon", ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := parseDate(tt.in)
			s := ""
			if ok {
				s = got.Format(time.DateOnly)
			}
			if s != tt.want {
				t.Errorf("parseDate(%q) = %q, want %q", tt.in, s, tt.want)
			}
		})
	}
}

// TestReadRegistrations2021Layouts reads the layouts of the 2021 era on their real headers: the ICB
// analyst's extract (no EXTRACT_DATE, PCN and ICB columns on every row) and the PCN × LSOA table
// (PCNs in place of practices, LSOA_Population as the denominator).
func TestReadRegistrations2021Layouts(t *testing.T) {
	icb := "LSOA_CODE,PRACTICE_CODE,PRACTICE_NAME,NUMBER_OF_PATIENTS,PCN_CODE,PCN_NAME,SUB_ICB_LOCATION_NAME,ICB_CODE\n" +
		"CLOSED,C81018,DOVE RIVER,3,U57641,EAST STAFFORDSHIRE PCN,NHS Staffordshire and Stoke-on-Trent ICB - 05D,QNC\n" +
		"E01008064,C81018,DOVE RIVER,1,U57641,EAST STAFFORDSHIRE PCN,NHS Staffordshire and Stoke-on-Trent ICB - 05D,QNC\n" +
		"EMPTY,M83001,X,5,U00000,Unallocated,y,QNC\n"
	r, err := readRegistrations(strings.NewReader(icb), "icb.csv")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := summary(r), "rows=3 practices=2 lsoas=3 patients=9 sexrows=0 date=-"; got != want {
		t.Errorf("ICB extract = %s, want %s", got, want)
	}
	if got := fmt.Sprint(r.PCNOf, r.ICBOf, r.ByPCN); got != "map[C81018:{U57641 EAST STAFFORDSHIRE PCN}] map[C81018:QNC M83001:QNC] false" {
		t.Errorf("ICB extract PCNs, ICBs = %s", got)
	}

	pcn := "LSOA_CODE,PCN_NAME,PCN_Patients,PCN_Total,Proportion_PCN,LSOA_Population,Proportion_LSOA,CumulativePatients,CumulativePercent,SUB_ICB_LOCATION_NAME\n" +
		"E01014360,About Better Care (ABC) PCN,1513,49608,0.030499113046282857,2960,0.5111486486486486,1513,3.0499113046282855,Stoke-on-Trent\n" +
		"E01014360,Another PCN,1000,49608,0.02,2960,0.33,1513,3.04,Stoke-on-Trent\n"
	r, err = readRegistrations(strings.NewReader(pcn), "pcn.csv")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := summary(r), "rows=2 practices=2 lsoas=1 patients=2513 sexrows=0 date=-"; got != want {
		t.Errorf("PCN table = %s, want %s", got, want)
	}
	if got := fmt.Sprint(r.ByPCN, r.Practices[0], r.PCNOf[r.Practices[0].Code], r.Denominators); got != "true {About Better Care (ABC) PCN About Better Care (ABC) PCN} {About Better Care (ABC) PCN About Better Care (ABC) PCN} map[E01014360:2960]" {
		t.Errorf("PCN table = %s", got)
	}
	_, err = readRegistrations(strings.NewReader(strings.Replace(pcn, ",2960,0.33", ",2961,0.33", 1)), "pcn.csv")
	checkErr(t, "two denominators", err, ErrConflict, "line 3", "LSOA E01014360 has 2961 here and 2960")
}

func TestDateInName(t *testing.T) {
	tests := map[string]string{
		"gp-reg-pat-prac-lsoa21-2025-10-icb-QNC.csv.gz": "2025-10-01",
		"pcn-lsoa21-2026-01-icbs-QNC-QOC.csv.gz":        "2026-01-01",
		"dir/gp-reg-pat-prac-lsoa-all-2021-01.csv.gz":   "2021-01-01",
		"registrations_20220701.csv":                    "2022-07-01",
		"gp_reg_04JAN2021.csv":                          "2021-01-04",
		"Patients-Oct2025-QNC.csv":                      "2025-10-01",
		"lsoa21-icb-QNC.csv":                            "-",
		"practices-2025-13.csv":                         "-",
		"export-12345678.csv":                           "-",
	}
	for name, want := range tests {
		got := "-"
		if d, ok := DateInName(name); ok {
			got = d.Format(time.DateOnly)
		}
		if got != want {
			t.Errorf("DateInName(%q) = %s, want %s", name, got, want)
		}
	}
}

// TestFixtureKeepsPublishedForms: the publishers' quirks the readers are tested on are in the fixture
// files themselves, so a re-cut that lost one fails here rather than leaving a reader untested.
func TestFixtureKeepsPublishedForms(t *testing.T) {
	reg2021 := gunzipFixture(t, "registrations-2021-01.csv.gz")
	reg2022 := gunzipFixture(t, "registrations-2022-07.csv.gz")
	header := func(b []byte) string { h, _, _ := strings.Cut(string(b), "\n"); return h }
	tests := map[string]bool{
		"2021 count column \"Number of Patients\"": strings.HasSuffix(header(reg2021), ",Number of Patients"),
		"2022 count column NUMBER_OF_PATIENTS":     strings.HasSuffix(header(reg2022), ",NUMBER_OF_PATIENTS"),
		"NO2011 rows":                              strings.Contains(string(reg2021), ",NO2011,ALL,"),
		"a quoted practice name with a comma":      strings.Contains(string(reg2021), `,P84611,"DR CHIU, KOH AND GAN",`),
		"the centroids' byte-order mark":           strings.HasPrefix(string(readFixture(t, "lsoa-centroids.csv")), "\ufeff"),
	}
	for name, ok := range tests {
		if !ok {
			t.Errorf("the fixture has lost %s", name)
		}
	}
}

// TestDenseLSOA: the codes of English and Welsh LSOAs get distinct slots, any other code none.
func TestDenseLSOA(t *testing.T) {
	for code, want := range map[string]int{
		"E01000000": 0, "E01000001": 1, "E01099999": denseSpan - 1, "W01000000": denseSpan, "W01001958": denseSpan + 1958,
		"E01100000": -1, "E02000001": -1, "S01000001": -1, "W02000001": -1, "NO2011": -1, "E0100000X": -1,
	} {
		key, ons := onsKey([]byte(code))
		if got := denseLSOA(key, ons); got != want {
			t.Errorf("denseLSOA(%s) = %d, want %d", code, got, want)
		}
	}
}
