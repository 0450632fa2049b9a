package nhs

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// head returns the first n lines of b: small seeds keep the fuzzer's minimisation quick.
func head(b []byte, n int) []byte {
	i := 0
	for ; n > 0 && i < len(b); n-- {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return b
		}
		i += j + 1
	}
	return b[:i]
}

// checkFuzzError asserts that a reader's error is an *Error about the named input.
func checkFuzzError(t *testing.T, err error, name string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), "nhs: "+name) {
		t.Fatalf("error %q (%T) is not an *Error naming %s", err, err, name)
	}
}

func FuzzReadRegistrations(f *testing.F) {
	f.Add(head(gunzipFixture(f, "registrations-2021-01.csv.gz"), 12))
	f.Add([]byte(published + "GP_PRAC_PAT_LIST,04JAN2021,A89015,\"FULWELL MEDICAL CENTRE,\",E01008615,ALL,3\n"))
	f.Add([]byte("PRACTICE_CODE,LSOA_CODE,SEX,NUMBER_OF_PATIENTS\nP1,E01000001,MALE,3\nP1,E01000001,FEMALE,4\nP1,E01000002,ALL,1\nP1,E01000002,M,1\n"))
	f.Add([]byte("\ufeffnumber of patients,lsoa_code,practice_code,EXTRACT_DATE\r\n5,E01000001,P1,2021-01-04\r\n"))
	f.Add([]byte("PRACTICE_CODE,LSOA_CODE,NUMBER_OF_PATIENTS\nP1,E01000001,1\nP2,E01000001,2\nP1,E01000001,3\n"))
	f.Add([]byte("LSOA_CODE,PRACTICE_CODE,PRACTICE_NAME,NUMBER_OF_PATIENTS,PCN_CODE,PCN_NAME,SUB_ICB_LOCATION_NAME,ICB_CODE\nCLOSED,C81018,DOVE RIVER,3,U57641,EAST STAFFORDSHIRE PCN,x,QNC\n"))
	f.Add([]byte("LSOA_CODE,PCN_NAME,PCN_Patients,PCN_Total,LSOA_Population\nE01014360,About Better Care (ABC) PCN,1513,49608,2960\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := readRegistrations(bytes.NewReader(data), "fuzz.csv")
		if err != nil {
			checkFuzzError(t, err, "fuzz.csv")
			return
		}
		codes := map[string]bool{}
		for _, p := range r.Practices {
			if p.Code == "" || codes[p.Code] {
				t.Fatalf("practice code %q empty or repeated", p.Code)
			}
			codes[p.Code] = true
		}
		pairs := map[uint64]bool{}
		for _, row := range r.Rows {
			if row.Practice < 0 || int(row.Practice) >= len(r.Practices) || row.LSOA < 0 || int(row.LSOA) >= len(r.LSOAs) {
				t.Fatalf("row %+v indexes out of range", row)
			}
			if row.Patients < 0 {
				t.Fatalf("row %+v has a negative count", row)
			}
			k := pairKey(row.Practice, row.LSOA)
			if pairs[k] {
				t.Fatalf("pair %s/%s counted twice", r.Practices[row.Practice].Code, r.LSOAs[row.LSOA])
			}
			pairs[k] = true
		}
	})
}

// FuzzCSVReader compares the line splitter with encoding/csv wherever both apply: it must return
// the same records, and reject what encoding/csv rejects.
func FuzzCSVReader(f *testing.F) {
	f.Add([]byte("a,b,c\n1,\"x,y\",3\n"))
	f.Add([]byte("a,\"b\"\"c\",\n\n,,\n"))
	f.Add([]byte("\"a\"b,c\n"))
	f.Add([]byte("a,b\"c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Where the two differ by design: CR handling, a byte-order mark, blank-looking lines, quoted
		// fields across lines (rejected here), invalid UTF-8 (encoding/csv rewrites it).
		if bytes.ContainsAny(data, "\r") || bytes.HasPrefix(data, bom) || !utf8Valid(data) {
			return
		}
		for _, l := range bytes.Split(data, []byte("\n")) {
			if len(l) > 0 && len(bytes.TrimSpace(l)) == 0 {
				return
			}
		}
		var mine [][]string
		cr := newCSVReader(bytes.NewReader(data), "fuzz.csv")
		var err error
		for {
			var f [][]byte
			f, err = cr.next()
			if err != nil {
				break
			}
			rec := make([]string, len(f))
			for i, b := range f {
				rec[i] = string(b)
			}
			mine = append(mine, rec)
		}
		std := csv.NewReader(bytes.NewReader(data))
		std.FieldsPerRecord = -1
		theirs, stdErr := std.ReadAll()
		if err != io.EOF {
			checkFuzzError(t, err, "fuzz.csv")
			if stdErr == nil && !multiline(theirs) {
				t.Fatalf("csvReader rejected what encoding/csv reads as %q: %v", theirs, err)
			}
			return
		}
		if stdErr != nil {
			t.Fatalf("csvReader read %q where encoding/csv fails: %v", mine, stdErr)
		}
		if len(mine) != len(theirs) {
			t.Fatalf("csvReader = %q, encoding/csv = %q", mine, theirs)
		}
		for i := range mine {
			if strings.Join(mine[i], "\x00") != strings.Join(theirs[i], "\x00") || len(mine[i]) != len(theirs[i]) {
				t.Fatalf("record %d: csvReader = %q, encoding/csv = %q", i, mine[i], theirs[i])
			}
		}
	})
}

func multiline(records [][]string) bool {
	for _, r := range records {
		for _, f := range r {
			if strings.Contains(f, "\n") {
				return true
			}
		}
	}
	return false
}

func utf8Valid(b []byte) bool { return strings.ToValidUTF8(string(b), "\uFFFD") == string(b) }

func FuzzReadLookup(f *testing.F) {
	f.Add(head(readFixture(f, "lsoa-msoa-lookup.csv"), 6), "", "")
	f.Add([]byte("LSOA11CD,MSOA11CD\nE01000001,E02000001\nE01000001,E02000002\n"), "", "")
	f.Add([]byte("lsoa_code,locality\nE01006185,North\n"), "lsoa_code", "locality")
	f.Fuzz(func(t *testing.T, data []byte, lsoaCol, areaCol string) {
		l, err := readLookup(bytes.NewReader(data), "fuzz.csv", lsoaCol, areaCol, 0)
		if err != nil {
			checkFuzzError(t, err, "fuzz.csv")
			return
		}
		for k, v := range l.Area {
			if k == "" || v == "" {
				t.Fatalf("empty code in %q → %q", k, v)
			}
		}
	})
}

func FuzzReadCentroids(f *testing.F) {
	f.Add(head(readFixture(f, "lsoa-centroids.csv"), 6))
	f.Add([]byte("lsoa11cd,X,Y\nE01000001,532400.6,181380.1\n"))
	f.Add([]byte("LSOA21CD,LAT,LONG\nE01000001,51.5181,-0.0974\nE01000001,NaN,0x1p-2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := readCentroids(bytes.NewReader(data), "fuzz.csv", 0)
		if err != nil {
			checkFuzzError(t, err, "fuzz.csv")
			return
		}
		for k, p := range c.Points {
			if k == "" || math.IsNaN(p.Lon) || math.IsNaN(p.Lat) || p.Lon < minLon || p.Lon > maxLon || p.Lat < minLat || p.Lat > maxLat {
				t.Fatalf("point %q = %v", k, p)
			}
		}
	})
}

func FuzzReadContext(f *testing.F) {
	for _, name := range []string{"lsoa-msoa-lookup.csv", "lsoa-sub-icb.csv", "sub-icb-icb.csv", "ccg-stp.csv", "lsoa-ruc.csv"} {
		f.Add(head(readFixture(f, name), 6))
	}
	// As published: the rural-urban file with CRLF line ends, the Sub-ICB lookup with Welsh health boards.
	f.Add(bytes.ReplaceAll(head(readFixture(f, "lsoa-ruc.csv"), 6), []byte("\n"), []byte("\r\n")))
	f.Add(append(head(readFixture(f, "lsoa-sub-icb.csv"), 3), welshHealthBoards...))
	f.Add([]byte("LSOA11CD,CCG20CD,CCG20NM,LAD20CD,LAD20NM\nE01000001,E38000255,NHS NEL,E09000001,City\n"))
	// IMD deciles: MHCLG's header, and the lookup's Welsh row.
	f.Add([]byte("LSOA code (2011),Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)\nE01006187,4\n"))
	f.Add([]byte("LSOA_CODE,MSOA_CODE,LAD_CODE,LAD_NAME,REGION,IMD_INCOME,IMD_OVERALL\nW01000456,W02000109,W06000023,Powys,Wales,Wales,Wales\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := readContext(bytes.NewReader(data), "fuzz.csv", 0)
		if err != nil {
			checkFuzzError(t, err, "fuzz.csv")
			return
		}
		if len(c.Classifications)+len(c.Hierarchies) == 0 {
			t.Fatalf("a recognised layout yields nothing")
		}
		for _, cl := range c.Classifications {
			for k, u := range cl.LSOA {
				if k == "" || u.Code == "" {
					t.Fatalf("%s: empty code in %q → %v", cl.Kind, k, u)
				}
				if cl.Kind == KindRurality && u.Code != "Urban" && u.Code != "Rural" {
					t.Fatalf("rurality %q", u.Code)
				}
				if n, err := strconv.Atoi(u.Code); cl.Kind.Decile() && (err != nil || n < 1 || n > 10 || strconv.Itoa(n) != u.Code) {
					t.Fatalf("%s decile %q", cl.Kind, u.Code)
				}
				if r := rucUrban(u.Code); cl.Kind == KindRUC && r != "Urban" && r != "Rural" {
					t.Fatalf("rural-urban class %q", u.Code)
				}
			}
		}
		for _, h := range c.Hierarchies {
			for k, u := range h.Parent {
				if k == "" || u.Code == "" {
					t.Fatalf("%s→%s: empty code in %q → %v", h.From, h.To, k, u)
				}
			}
		}
	})
}

// FuzzParseCellDate covers the ePCN date cells: whatever is accepted is a plausible calendar day
// that reads back from its ISO form.
func FuzzParseCellDate(f *testing.F) {
	for _, s := range []string{"20191001", "43647", "43647.5", "2019-07-01", "01/07/2019", "01JUL2019",
		"2021-01-04T00:00:00Z", "1 September 2021", "", "1e5", "-0", "0x1p16"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseCellDate(s)
		if !ok || d.IsZero() {
			if ok && strings.TrimSpace(s) != "" {
				t.Fatalf("parseCellDate(%q) = zero for a non-empty cell", s)
			}
			return
		}
		if d.Year() < 1900 || d.Year() >= 2200 || d.Hour() != 0 || d.Location() != time.UTC {
			t.Fatalf("parseCellDate(%q) = %v", s, d)
		}
		if back, ok := parseCellDate(d.Format(time.DateOnly)); !ok || !back.Equal(d) {
			t.Fatalf("parseCellDate(%q) = %v, which reads back as %v, %v", s, d, back, ok)
		}
	})
}

// FuzzHeaderRoles covers the matching of ePCN header cells (cells separated by '|').
func FuzzHeaderRoles(f *testing.F) {
	f.Add("Partner\nOrganisation\nCode|Partner\nName|Practice\nParent\nCCG Code|PCN Code|PCN Name|Practice to PCN\nRelationship\nStart Date|Practice to PCN\nRelationship\nEnd Date")
	f.Add("Partner Organisation Code|PCN Code|PCN\nCode|Start|End")
	f.Add("Number of Patients|NUMBER_OF_PATIENTS|\ufeffX")
	f.Fuzz(func(t *testing.T, s string) {
		cells := strings.Split(s, "|")
		idx, err := headerRoles(cells, rolePractice, rolePCN)
		if err == nil {
			seen := map[int]bool{}
			for r := rolePractice; r < nRoles; r++ {
				i := idx[r]
				if i < -1 || i >= len(cells) || i >= 0 && seen[i] {
					t.Fatalf("headerRoles(%q) = %v", cells, idx)
				}
				seen[i] = true
			}
			if idx[rolePractice] < 0 || idx[rolePCN] < 0 {
				t.Fatalf("headerRoles(%q) = %v without a required role", cells, idx)
			}
		}
		for _, c := range cells {
			if headerRole(c) != headerRole(cleanHeader(c)) {
				t.Fatalf("headerRole(%q) depends on spacing", c)
			}
			if n := normColumn(c); normColumn(n) != n {
				t.Fatalf("normColumn(%q) = %q is not stable", c, n)
			}
		}
	})
}

func FuzzReadCrosswalk(f *testing.F) {
	f.Add([]byte("lsoa11_name,lsoa11_code,change_code,lsoa21_name,lsoa21_code,ltla22_name,ltla22_code\nBirmingham 050F,E01033620,S,Birmingham 050I,E01035011,Birmingham,E08000025\nBirmingham 050F,E01033620,S,Birmingham 050J,E01035012,Birmingham,E08000025\n"))
	f.Add([]byte("LSOA11CD,LSOA21CD,CHGIND\nE01000001,E01000001,U\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := readCrosswalk(bytes.NewReader(data), "fuzz.csv", 0)
		if err != nil {
			checkFuzzError(t, err, "fuzz.csv")
			return
		}
		for k, to := range c.To {
			if k == "" || len(to) == 0 {
				t.Fatalf("%q → %v", k, to)
			}
		}
	})
}

func FuzzReadLSOACounts(f *testing.F) {
	f.Add([]byte("LSOA_CODE,PCN_NAME,PCN_Patients,LSOA_Population\nE01014360,A,1513,2960\nE01014360,B,10,2960\n"))
	f.Add([]byte("LSOA_CODE,PRACTICE_CODE,NUMBER_OF_PATIENTS\nE01000001,P1,5\nE01000001,P2,6\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := readLSOACounts(bytes.NewReader(data), "fuzz.csv", 0)
		if err != nil {
			checkFuzzError(t, err, "fuzz.csv")
			return
		}
		for k, n := range c.Count {
			if k == "" || n < 0 {
				t.Fatalf("%q = %d", k, n)
			}
		}
	})
}

func FuzzDateInName(f *testing.F) {
	for _, s := range []string{"gp-reg-pat-prac-lsoa21-2025-10-icb-QNC.csv.gz", "gp_04JAN2021.csv", "Oct2025", "2025-13"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, ok := DateInName(s); ok && (d.Year() < 1900 || d.Year() > 2099) {
			t.Fatalf("DateInName(%q) = %v", s, d)
		}
	})
}

// FuzzReadEPCN fuzzes whole ePCN workbooks (the xlsx zip, its XML parts and the sheets' cells), read
// from a file as the ingest reads them.
func FuzzReadEPCN(f *testing.F) {
	// Small seeds: the fixture workbooks cut to their header and ten rows per sheet, 2022 with the
	// cell types it was published with.
	f.Add(rewriteWorkbook(f, "epcn-2019-12.xlsx", 10, nil))
	f.Add(publishedTypes(f, "epcn-2022-04.xlsx", 10))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "fuzz.xlsx")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := ReadEPCN(p)
		if err != nil {
			checkFuzzError(t, err, p)
			return
		}
		if m == nil {
			t.Fatal("ReadEPCN returned neither a membership nor an error")
		}
	})
}
