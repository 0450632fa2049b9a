package nhs

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

func date(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestReadEPCNExtracts reads the fixture workbooks, and the April 2022 one with the cell types it was
// published with (dates as text). The expected counts are nhs/testdata/count.py's (the sheets read as
// XML): partner rows, PCN Details rows, the first PCN by code, partner rows without an end date, and
// distinct partner codes.
func TestReadEPCNExtracts(t *testing.T) {
	tests := map[string]struct {
		file      string
		published bool
		partners  int
		pcns      int
		firstPCN  PCN
		open      int // rows without an end date
		practices int
	}{
		"2019-12":                {"epcn-2019-12.xlsx", false, 1424, 230, PCN{"U00147", "AEGIS HEALTHCARE PCN"}, 1424, 1424},
		"2022-04":                {"epcn-2022-04.xlsx", false, 1641, 249, PCN{"U00147", "AEGIS HEALTHCARE PCN"}, 1459, 1540},
		"2022-04, dates as text": {"epcn-2022-04.xlsx", true, 1641, 249, PCN{"U00147", "AEGIS HEALTHCARE PCN"}, 1459, 1540},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			path := fixture(tt.file)
			if tt.published {
				path = writeTemp(t, tt.file, publishedTypes(t, tt.file, 0))
			}
			m, err := ReadEPCN(path)
			if err != nil {
				t.Fatalf("ReadEPCN(%s): %v", path, err)
			}
			open := 0
			practices := map[string]bool{}
			for _, p := range m.Partners {
				if p.End.IsZero() {
					open++
				}
				practices[p.Practice] = true
				if p.Start.IsZero() || p.PCN == "" || p.PracticeName == "" {
					t.Errorf("ReadEPCN(%s) partner %+v lacks a field", path, p)
				}
			}
			got := fmt.Sprintf("partners=%d pcns=%d first=%v open=%d practices=%d", len(m.Partners), len(m.PCNs), m.PCNs[0], open, len(practices))
			want := fmt.Sprintf("partners=%d pcns=%d first=%v open=%d practices=%d", tt.partners, tt.pcns, tt.firstPCN, tt.open, tt.practices)
			if got != want {
				t.Errorf("ReadEPCN(%s) = %s, want %s", path, got, want)
			}
			if !sort.SliceIsSorted(m.PCNs, func(i, j int) bool { return m.PCNs[i].Code < m.PCNs[j].Code }) {
				t.Errorf("ReadEPCN(%s) PCNs not sorted by code", path)
			}
			if m.Source != tt.file {
				t.Errorf("ReadEPCN(%s) Source = %q", path, m.Source)
			}
		})
	}
}

// Membership on given dates, from the real 2022 history of the fixture's practices (the partner rows
// nhs/testdata/count.py prints, read from the sheet's XML): P81770 moved from U04914 to U92975 on 2021-04-01; M85108 left U46437
// on 2021-03-31 and joined no other; N82664 left U65582 on 2020-04-01 and joined U54911 on
// 2022-01-01; Trafford's P91003 is in U95344 from 2019-10-01. Both the workbook as the fixture has it
// and as published (dates as text) give the same answers.
func TestEPCNAsOf(t *testing.T) {
	for _, published := range []bool{false, true} {
		path := fixture("epcn-2022-04.xlsx")
		if published {
			path = writeTemp(t, "epcn-2022-04.xlsx", publishedTypes(t, "epcn-2022-04.xlsx", 0))
		}
		m, err := ReadEPCN(path)
		if err != nil {
			t.Fatal(err)
		}
		tests := map[string]struct {
			practice string
			day      string
			want     string // "" = no PCN
		}{
			"moved, before":             {"P81770", "2021-01-04", "U04914"},
			"moved, last day":           {"P81770", "2021-03-31", "U04914"},
			"moved, first day":          {"P81770", "2021-04-01", "U92975"},
			"moved, current":            {"P81770", "", "U92975"},
			"closed, before":            {"M85108", "2021-03-31", "U46437"},
			"closed, after":             {"M85108", "2022-07-01", ""},
			"closed, current":           {"M85108", "", ""},
			"left and joined, gap":      {"N82664", "2021-01-04", ""},
			"left and joined, back":     {"N82664", "2022-01-01", "U54911"},
			"before the first PCNs":     {"P91003", "2019-06-30", ""},
			"Trafford, on PCN start":    {"P91003", "2019-10-01", "U95344"},
			"time of day is ignored":    {"P81770", "2021-03-31T23:59:00+01:00", "U04914"},
			"Trafford, registrations 1": {"P91003", "2021-01-04", "U95344"},
		}
		for name, tt := range tests {
			t.Run(fmt.Sprintf("%s/published=%v", name, published), func(t *testing.T) {
				d := time.Time{}
				if tt.day != "" {
					var err error
					if d, err = time.Parse(time.RFC3339, tt.day); err != nil {
						d = date(tt.day)
					}
				}
				got, conflicts := m.AsOf(d)
				if got[tt.practice] != tt.want || len(conflicts) != 0 {
					t.Errorf("AsOf(%s)[%s] = %q (%d conflicts), want %q", tt.day, tt.practice, got[tt.practice], len(conflicts), tt.want)
				}
			})
		}
	}
}

func TestAsOfConflicts(t *testing.T) {
	m := &Membership{Partners: []Partner{
		{Practice: "A", PCN: "P1", Start: date("2019-07-01")},
		{Practice: "A", PCN: "P2", Start: date("2020-04-01")}, // overlaps P1 from 2020-04-01: wins
		{Practice: "B", PCN: "P1", Start: date("2019-07-01"), End: date("2020-03-31")},
		{Practice: "B", PCN: "P2", Start: date("2020-04-01")},
		{Practice: "C", PCN: "P3", Start: date("2020-01-01"), End: date("2020-12-31")},
		{Practice: "C", PCN: "P4", Start: date("2020-01-01")}, // same start: the open row wins
		{Practice: "D", PCN: "P5"},                            // no dates: always active
		{Practice: "E", PCN: "P6", Start: date("2020-01-01"), End: date("2020-06-30")},
		{Practice: "E", PCN: "P7", Start: date("2020-01-01"), End: date("2020-09-30")}, // later end wins
		{Practice: "E", PCN: "P8", Start: date("2020-01-01"), End: date("2020-09-30")}, // exact tie: later row wins
	}}
	tests := map[string]struct {
		day       string
		want      string
		conflicts string
	}{
		"before overlaps": {"2019-12-01", "A:P1 B:P1 D:P5", ""},
		"overlaps": {"2020-06-01", "A:P2 B:P2 C:P4 D:P5 E:P8",
			"A:P2-[P1] C:P4-[P3] E:P8-[P6 P7]"},
		"current": {"", "A:P2 B:P2 C:P4 D:P5", "A:P2-[P1]"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, conflicts := m.AsOf(date(tt.day))
			var keys []string
			for k := range got {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var gs []string
			for _, k := range keys {
				gs = append(gs, k+":"+got[k])
			}
			var cs []string
			for _, c := range conflicts {
				var d []string
				for _, p := range c.Dropped {
					d = append(d, p.PCN)
				}
				if c.Chosen.Practice != c.Practice {
					t.Errorf("AsOf(%s) conflict %+v: Chosen is another practice", tt.day, c)
				}
				cs = append(cs, fmt.Sprintf("%s:%s-%v", c.Practice, c.Chosen.PCN, d))
			}
			if g, c := strings.Join(gs, " "), strings.Join(cs, " "); g != tt.want || c != tt.conflicts {
				t.Errorf("AsOf(%s) = %s; conflicts %s, want %s; conflicts %s", tt.day, g, c, tt.want, tt.conflicts)
			}
		})
	}
	var empty Membership
	if got, c := empty.AsOf(time.Now()); len(got) != 0 || len(c) != 0 {
		t.Errorf("AsOf on an empty Membership = %v, %v", got, c)
	}
}

// Header cells as published, and variants a release might bring.
func TestHeaderRole(t *testing.T) {
	tests := map[string]struct {
		in   string
		want role
	}{
		"2019 practice code":   {"Partner Organisation Code", rolePractice},
		"2022 practice code":   {"Partner\nOrganisation\nCode", rolePractice},
		"practice code":        {"Practice Code", rolePractice},
		"ODS code":             {"Practice ODS Code", rolePractice},
		"2022 practice name":   {"Partner\nName", rolePracticeName},
		"practice name":        {"Practice Name", rolePracticeName},
		"PCN code":             {"PCN Code", rolePCN},
		"PCN code, spaced":     {"  PCN  \r\n Code ", rolePCN},
		"PCN name":             {"PCN Name", rolePCNName},
		"2019 start":           {"Practice to PCN Relationship Start Date", roleStart},
		"2022 start":           {"Practice to PCN\nRelationship\nStart Date", roleStart},
		"2022 end":             {"Practice to PCN\nRelationship\nEnd Date", roleEnd},
		"end, underscored":     {"relationship_end_date", roleEnd},
		"practice parent CCG":  {"Practice\nParent\nCCG Code", roleNone},
		"PCN parent CCG":       {"PCN Parent\nCCG Name", roleNone},
		"CCG match 2019":       {"Practice CCG and PCN CCG match?", roleNone},
		"CCG match 2022":       {"Practice CCG and PCN\nCCG Match ", roleNone},
		"details CCG":          {"Current Clinical \nCommissioning \nGroup Code", roleNone},
		"open date":            {"Open Date (YYYYMMDD)", roleNone},
		"address":              {"Address Line 1", roleNone},
		"empty":                {"", roleNone},
		"partner in other ICB": {"Partner ICB Code", roleNone},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := headerRole(tt.in); got != tt.want {
				t.Errorf("headerRole(%q) = %s, want %s", tt.in, roleNames[got], roleNames[tt.want])
			}
		})
	}
}

func TestParseCellDate(t *testing.T) {
	tests := map[string]struct {
		in   string
		want string // "-" = rejected, "" = zero (open)
	}{
		"empty":           {"", ""},
		"blank":           {"  ", ""},
		"YYYYMMDD number": {"20191001", "2019-10-01"},
		"serial":          {"43647", "2019-07-01"},
		"serial fraction": {"43647.75", "2019-07-01"},
		"serial 60":       {"60", "-"},
		"serial 61":       {"61", "1900-03-01"},
		"ISO":             {"2019-07-01", "2019-07-01"},
		"UK":              {"01/07/2019", "2019-07-01"},
		"NHS":             {"01JUL2019", "2019-07-01"},
		"zero":            {"0", "-"},
		"negative":        {"-5", "-"},
		"too big serial":  {"2958465", "-"},
		"NaN":             {"NaN", "-"},
		"Inf":             {"+Inf", "-"},
		"text":            {"open", "-"},
		"bad YYYYMMDD":    {"20191301", "-"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := parseCellDate(tt.in)
			s := "-"
			if ok {
				s = ""
				if !got.IsZero() {
					s = got.Format(time.DateOnly)
				}
			}
			if s != tt.want {
				t.Errorf("parseCellDate(%q) = %q, want %q", tt.in, s, tt.want)
			}
		})
	}
}

// partnerHeader is the 2022 header, line breaks included.
var partnerHeader = []any{"Partner\nOrganisation\nCode", "Partner\nName", "Practice\nParent\nCCG Code",
	"PCN Code", "PCN Name", "Practice to PCN\nRelationship\nStart Date", "Practice to PCN\nRelationship\nEnd Date"}

func TestReadEPCNHandMade(t *testing.T) {
	details := sheet{"PCN Details", [][]any{{"PCN Code", "PCN Name"}, {"U1", "ONE PCN"}, {"U2", "TWO PCN"}, {"U9", "NO PARTNERS PCN"}}}
	good := sheet{"PCN Core Partner Details", [][]any{
		partnerHeader,
		{"A1", "SURGERY A", "00A", "U1", "ONE (OLD NAME)", 43647, nil},   // serial date
		{"A2", "SURGERY B", "00A", "U1", "", "01/07/2019", "31/03/2021"}, // text dates
		{"A2", "SURGERY B", "00A", "U2", "TWO PCN", "2021-04-01", ""},
		{},
		{"A3", "SURGERY C", "00A", "U2", "TWO PCN", 20191001, 20200101.0}, // numbers as published in 2019
	}}
	goodWant := "A1/U1 2019-07-01..open; A2/U1 2019-07-01..2021-03-31; A2/U2 2021-04-01..open; A3/U2 2019-10-01..2020-01-01 | U1=ONE PCN U2=TWO PCN U9=NO PARTNERS PCN"
	withTitle := sheet{good.name, append([][]any{{"ePCN as at April 2022"}, {}}, good.rows...)}
	gzipped := gzipBytes(t, xlsxBytes(t, details, good))
	zipped := zipBytes(t, member{"epcn/ePCN.xlsx", xlsxBytes(t, details, good)}, member{"README.txt", []byte("x")})
	valid := xlsxBytes(t, details, good)

	row := func(cells ...any) sheet {
		return sheet{good.name, [][]any{partnerHeader, cells}}
	}
	tests := map[string]struct {
		file      string
		data      []byte
		want      string
		err       error
		fragments []string
	}{
		"dates of every kind":   {"e.xlsx", valid, goodWant, nil, nil},
		"title rows above":      {"e.xlsx", xlsxBytes(t, details, withTitle), goodWant, nil, nil},
		"gzipped":               {"e.xlsx.gz", gzipped, goodWant, nil, nil},
		"inside a zip":          {"e.zip", zipped, goodWant, nil, nil},
		"no details sheet":      {"e.xlsx", xlsxBytes(t, sheet{good.name, good.rows[:2]}), "A1/U1 2019-07-01..open | U1=ONE (OLD NAME)", nil, nil},
		"sheet names respelled": {"e.xlsx", xlsxBytes(t, sheet{"PCNDetails", details.rows}, sheet{"PCN core partner details", good.rows[:2]}), "A1/U1 2019-07-01..open | U1=ONE PCN U2=TWO PCN U9=NO PARTNERS PCN", nil, nil},

		"no partner sheet": {"e.xlsx", xlsxBytes(t, details, sheet{"Sheet2", nil}), "", ErrMissingSheet,
			[]string{`no sheet "PCN Core Partner Details" (sheets: "PCN Details", "Sheet2")`}},
		"no PCN code column": {"e.xlsx", xlsxBytes(t, sheet{good.name, [][]any{{"Partner Organisation Code", "PCN Name", "Start Date", "End Date"}, {"A1", "X", 43647}}}),
			"", ErrMissingColumn, []string{`sheet "PCN Core Partner Details": row 1: no PCN code column`, `"Partner Organisation Code"`}},
		"no end date column": {"e.xlsx", xlsxBytes(t, sheet{good.name, [][]any{{"Practice Code", "PCN Code", "Start Date"}, {"A1", "U1", 43647}}}),
			"", ErrMissingColumn, []string{"no relationship end date column"}},
		"two PCN code columns": {"e.xlsx", xlsxBytes(t, sheet{good.name, [][]any{{"Practice Code", "PCN Code", "PCN\nCode", "Start", "End"}}}),
			"", ErrMalformed, []string{`"PCN Code" and "PCN Code" both look like the PCN code`}},
		"empty partner sheet":    {"e.xlsx", xlsxBytes(t, sheet{good.name, nil}), "", ErrMalformed, []string{"sheet is empty"}},
		"bad start date":         {"e.xlsx", xlsxBytes(t, row("A1", "X", "00A", "U1", "ONE", "soon", "")), "", ErrInvalidValue, []string{"row 2", `start date "soon" is not a date`}},
		"bad end date":           {"e.xlsx", xlsxBytes(t, row("A1", "X", "00A", "U1", "ONE", 43647, "31/02/2021")), "", ErrInvalidValue, []string{"row 2", "end date"}},
		"end before start":       {"e.xlsx", xlsxBytes(t, row("A1", "X", "00A", "U1", "ONE", "2021-04-01", "2021-03-31")), "", ErrInvalidValue, []string{"row 2", "end date 2021-03-31 is before start date 2021-04-01"}},
		"no practice code":       {"e.xlsx", xlsxBytes(t, row(nil, "X", "00A", "U1", "ONE", 43647)), "", ErrInvalidValue, []string{"row 2", "empty practice code"}},
		"no PCN code":            {"e.xlsx", xlsxBytes(t, row("A1", "X", "00A", nil, "ONE", 43647)), "", ErrInvalidValue, []string{"row 2", "practice A1: empty PCN code"}},
		"details without a code": {"e.xlsx", xlsxBytes(t, sheet{"PCN Details", [][]any{{"PCN Code", "PCN Name"}, {nil, "X"}}}, good), "", ErrInvalidValue, []string{`sheet "PCN Details": row 2: empty PCN code`}},
		"a CSV, not a workbook":  {"e.xlsx", []byte("PCN Code,PCN Name\n"), "", ErrMalformed, []string{"not an xlsx workbook"}},
		"truncated workbook":     {"e.xlsx", valid[:len(valid)/2], "", errAny, []string{"zip"}},
		"zip without a workbook": {"e.zip", zipBytes(t, member{"a.txt", nil}, member{"b.txt", nil}), "", ErrArchive, []string{`"a.txt", "b.txt"`}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			p := writeTemp(t, tt.file, tt.data)
			m, err := ReadEPCN(p)
			if !checkErr(t, "ReadEPCN("+name+")", err, tt.err, tt.fragments...) {
				return
			}
			if got := describe(m); got != tt.want {
				t.Errorf("ReadEPCN(%s) = %s, want %s", name, got, tt.want)
			}
		})
	}
}

// describe summarises a Membership for comparisons.
func describe(m *Membership) string {
	var ps []string
	for _, p := range m.Partners {
		end := "open"
		if !p.End.IsZero() {
			end = p.End.Format(time.DateOnly)
		}
		ps = append(ps, fmt.Sprintf("%s/%s %s..%s", p.Practice, p.PCN, p.Start.Format(time.DateOnly), end))
	}
	var ns []string
	for _, p := range m.PCNs {
		ns = append(ns, p.Code+"="+p.Name)
	}
	return strings.Join(ps, "; ") + " | " + strings.Join(ns, " ")
}

// TestEPCNClosedPCN: the 2023–24 workbooks' PCNDetails sheet gives Open and Close dates; a PCN closed
// before the as-of date has no members though its partner rows never ended, and one closed later does.
func TestEPCNClosedPCN(t *testing.T) {
	details := sheet{"PCNDetails", [][]any{
		{"PCN Code", "PCN Name", "Current Sub ICB Loc Code", "Sub ICB Location", "Open Date", "Close Date"},
		{"U1", "ONE PCN", "05D", "X", "20190701", ""},
		{"U2", "CLOSED PCN", "05D", "X", "20190701", "20230331"},
	}}
	partners := sheet{"PCN Core Partner Details", [][]any{
		partnerHeader,
		{"A1", "SURGERY A", "05D", "U1", "ONE PCN", "20190701", nil},
		{"A2", "SURGERY B", "05D", "U2", "CLOSED PCN", "20190701", nil},
	}}
	p := writeTemp(t, "epcn.xlsx", xlsxBytes(t, details, partners))
	m, err := ReadEPCN(p)
	if err != nil {
		t.Fatal(err)
	}
	if c := m.Closed["U2"].Format(time.DateOnly); len(m.Closed) != 1 || c != "2023-03-31" {
		t.Fatalf("Closed = %v, want U2 on 2023-03-31", m.Closed)
	}
	for _, tt := range []struct{ asOf, want string }{
		{"2023-03-31", "A1→U1 A2→U2"}, {"2023-04-01", "A1→U1"}, {"", "A1→U1"},
	} {
		var d time.Time
		if tt.asOf != "" {
			d, _ = time.Parse(time.DateOnly, tt.asOf)
		}
		members, _ := m.AsOf(d)
		var got []string
		for _, pr := range []string{"A1", "A2"} {
			if pcn, ok := members[pr]; ok {
				got = append(got, pr+"→"+pcn)
			}
		}
		if g := strings.Join(got, " "); g != tt.want {
			t.Errorf("AsOf(%q) = %s, want %s", tt.asOf, g, tt.want)
		}
	}
}

// TestWorkbookCaps: a workbook over 64 MiB, gzipped or not, and one whose parts honestly inflate past
// 256 MiB in all are refused naming the file and the cap, before their XML is held in memory.
func TestWorkbookCaps(t *testing.T) {
	zeros := make([]byte, 16<<20)
	bomb := func() []byte { // a workbook's [Content_Types].xml and 17 parts of 16 MiB of zeros, deflated
		var deflated bytes.Buffer // once: each part is the same honest stream, written raw
		fw, _ := flate.NewWriter(&deflated, flate.BestSpeed)
		fw.Write(zeros)
		fw.Close()
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		if _, err := zw.Create("[Content_Types].xml"); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < 18; i++ {
			w, err := zw.CreateRaw(&zip.FileHeader{Name: fmt.Sprintf("xl/media/pad%d.xml", i), Method: zip.Deflate,
				CRC32: crc32.ChecksumIEEE(zeros), CompressedSize64: uint64(deflated.Len()), UncompressedSize64: uint64(len(zeros))})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(deflated.Bytes())
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	big := func() []byte { // a workbook padded past 64 MiB with a stored member, its checksum computed once
		const n = 5
		pad := zeros[:13<<20]
		var crc uint32
		for range n {
			crc = crc32.Update(crc, crc32.IEEETable, pad)
		}
		var b bytes.Buffer
		b.Grow(n*len(pad) + 1<<10)
		zw := zip.NewWriter(&b)
		if _, err := zw.Create("[Content_Types].xml"); err != nil {
			t.Fatal(err)
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/media/pad.bin", Method: zip.Store, CRC32: crc,
			CompressedSize64: n * uint64(len(pad)), UncompressedSize64: n * uint64(len(pad))})
		if err != nil {
			t.Fatal(err)
		}
		for range n {
			w.Write(pad)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	gzipped := func() []byte { // 65 MiB once gunzipped: 65 gzip members of 1 MiB (one stream, as gunzip reads it)
		member := func(b []byte) []byte {
			var z bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
			zw.Write(b)
			zw.Close()
			return z.Bytes()
		}
		first := member(append([]byte("PK\x03\x04"), zeros[:1<<20]...))
		rest := member(zeros[:1<<20])
		out := slices.Clone(first)
		for range 64 {
			out = append(out, rest...)
		}
		return out
	}
	for name, tc := range map[string]struct {
		file string
		data func() []byte
		msg  string
	}{
		"over 64 MiB":            {"big.xlsx", big, "big.xlsx: the workbook is over 64 MiB"},
		"over 64 MiB gunzipped":  {"big.xlsx.gz", gzipped, "big.xlsx.gz: the workbook is over 64 MiB"},
		"inflating past 256 MiB": {"bomb.xlsx", bomb, "bomb.xlsx: the workbook inflates to over 256 MiB"},
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), tc.file)
			if err := os.WriteFile(p, tc.data(), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := ReadEPCN(p)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("ReadEPCN: %v, want ErrMalformed saying %q", err, tc.msg)
			}
		})
	}
}
