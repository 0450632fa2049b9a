package nhs

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// sheetRows is what a reader gives for one sheet: every row's cells, the row count and the
// recorded dimension.
type sheetRows struct {
	rows [][]string
	n    int
	dim  string
}

// excelizeRows reads every sheet of data through excelize, as eachRow does.
func excelizeRows(data []byte) (map[string]sheetRows, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]sheetRows{}
	for _, s := range f.GetSheetList() {
		rows, err := f.Rows(s)
		if err != nil {
			return nil, err
		}
		var sr sheetRows
		for rows.Next() {
			sr.n++
			cells, err := rows.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				return nil, err
			}
			sr.rows = append(sr.rows, cells)
		}
		if err := rows.Error(); err != nil {
			return nil, err
		}
		rows.Close()
		sr.dim, _ = f.GetSheetDimension(s)
		out[s] = sr
	}
	return out, nil
}

// streamRows reads every sheet of data through the streaming reader.
func streamRows(data []byte) (map[string]sheetRows, error) {
	x, err := openXLSXStream(data)
	if err != nil {
		return nil, err
	}
	out := map[string]sheetRows{}
	for _, s := range x.sheets {
		var sr sheetRows
		n, dim, err := x.eachRow(s, func(_ int, cells []string) error {
			sr.rows = append(sr.rows, cells)
			return nil
		})
		if err != nil {
			return nil, err
		}
		sr.n, sr.dim = n, dim
		out[s] = sr
	}
	return out, nil
}

// same normalises excelize's nil and empty rows, which eachRow's callers treat alike.
func same(a, b map[string]sheetRows) bool {
	if len(a) != len(b) {
		return false
	}
	for s, ra := range a {
		rb, ok := b[s]
		if !ok || ra.n != rb.n || ra.dim != rb.dim || len(ra.rows) != len(rb.rows) {
			return false
		}
		for i := range ra.rows {
			if len(ra.rows[i]) != len(rb.rows[i]) || len(ra.rows[i]) > 0 && !reflect.DeepEqual(ra.rows[i], rb.rows[i]) {
				return false
			}
		}
	}
	return true
}

func diff(a, b map[string]sheetRows) string {
	for s, ra := range a {
		rb := b[s]
		if ra.n != rb.n || ra.dim != rb.dim {
			return fmt.Sprintf("sheet %q: %d rows, dimension %q against %d, %q", s, ra.n, ra.dim, rb.n, rb.dim)
		}
		for i := range min(len(ra.rows), len(rb.rows)) {
			if fmt.Sprint(ra.rows[i]) != fmt.Sprint(rb.rows[i]) {
				return fmt.Sprintf("sheet %q row %d: %q against %q", s, i+1, ra.rows[i], rb.rows[i])
			}
		}
	}
	return fmt.Sprintf("%d sheets against %d", len(a), len(b))
}

// TestXLSXStreamMatchesExcelize reads the fixtures (and the 2022 one with the cell types it was
// published with) and, when present, the national workbooks with both readers: the streaming reader
// must take every one of them (no fallback) and give excelize's rows, cell for cell.
func TestXLSXStreamMatchesExcelize(t *testing.T) {
	files := []string{fixture("epcn-2019-12.xlsx"), fixture("epcn-2022-04.xlsx"),
		writeTemp(t, "epcn-2022-04-published.xlsx", publishedTypes(t, "epcn-2022-04.xlsx", 0))}
	if !testing.Short() && !raceEnabled {
		for _, n := range []string{"ePCN-2019-12.xlsx", "ePCN-2022-04.xlsx", "2021/ePCN-2023-01.xlsx", "2021/ePCN-2024-10.xlsx"} {
			if p := filepath.Join(nationalDir, n); fileExists(p) {
				files = append(files, p)
			}
		}
	}
	for _, p := range files {
		t.Run(filepath.Base(p), func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			want, err := excelizeRows(data)
			if err != nil {
				t.Fatal(err)
			}
			got, err := streamRows(data)
			if err != nil {
				t.Fatalf("streaming reader: %v, want it to read the workbook", err)
			}
			if !same(got, want) {
				t.Errorf("streaming reader differs from excelize: %s", diff(got, want))
			}
		})
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestXLSXStreamFallsBack: what the streaming reader does not handle exactly as excelize goes to
// excelize, and ReadEPCN's answer is excelize's.
func TestXLSXStreamFallsBack(t *testing.T) {
	base := rewriteWorkbook(t, "epcn-2019-12.xlsx", 30, nil) // the header and 30 rows of each sheet
	sheet := sheetPart(t, base, "PCN Core Partner Details")
	for name, edit := range map[string]func(string) string{
		"an escaped character": func(s string) string { return strings.Replace(s, "<v>", "<v>_x0041_", 1) },
		"CDATA":                func(s string) string { return strings.Replace(s, "</v>", "<![CDATA[x]]></v>", 1) },
		"an unknown entity":    func(s string) string { return strings.Replace(s, "</v>", "&nbsp;</v>", 1) },
		"a cell without r":     func(s string) string { return strings.Replace(s, `<c r="B2"`, `<c`, 1) },
		"rows out of order":    func(s string) string { return strings.Replace(s, `<row r="3"`, `<row r="1"`, 1) },
		"a prefixed row":       func(s string) string { return strings.Replace(s, `<row r="3"`, `<x:row r="3"`, 1) },
		"a doctype":            func(s string) string { return strings.Replace(s, "<worksheet", "<!DOCTYPE worksheet><worksheet", 1) },
	} {
		t.Run(name, func(t *testing.T) {
			edited := edit(sheet.text)
			if edited == sheet.text {
				t.Fatal("the edit changed nothing")
			}
			data := replacePart(t, base, sheet.path, edited)
			if _, err := streamRows(data); !errors.Is(err, errFallback) {
				t.Fatalf("streaming reader: %v, want errFallback", err)
			}
			m1, err1 := readEPCNExcelize(t, data)
			p := writeTemp(t, "e.xlsx", data)
			m2, err2 := ReadEPCN(p)
			if fmt.Sprint(err1) != strings.ReplaceAll(fmt.Sprint(err2), p, "e.xlsx") {
				t.Fatalf("ReadEPCN: %v, want excelize's %v", err2, err1)
			}
			if m2 == nil {
				m2 = &Membership{}
			}
			if !reflect.DeepEqual(m1.Partners, m2.Partners) {
				t.Errorf("ReadEPCN's partners differ from excelize's")
			}
		})
	}
}

// readEPCNExcelize reads a workbook through excelize only.
func readEPCNExcelize(t *testing.T, data []byte) (*Membership, error) {
	t.Helper()
	wb, err := openExcel(data)
	if err != nil {
		return nil, err
	}
	defer wb.Close()
	m, err := readEPCN(&workbook{x: wb}, "e.xlsx", "e.xlsx")
	if m == nil {
		m = &Membership{}
	}
	return m, err
}

type part struct{ path, text string }

// sheetPart returns the XML of the named sheet of an xlsx.
func sheetPart(t testing.TB, data []byte, name string) part {
	t.Helper()
	x, err := openXLSXStream(data)
	if err != nil {
		t.Fatal(err)
	}
	p := x.paths[strings.ToLower(name)]
	return part{p, string(x.data[p])}
}

// replacePart returns the xlsx data with one member's content replaced.
func replacePart(t testing.TB, data []byte, path, text string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == path {
			io.WriteString(w, text)
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(w, rc)
		rc.Close()
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// FuzzXLSXStream holds the streaming reader to excelize: for any partner sheet XML, either it
// falls back, or it reads what excelize reads and excelize opens the workbook too.
func FuzzXLSXStream(f *testing.F) {
	base := rewriteWorkbook(f, "epcn-2019-12.xlsx", 10, nil)
	sheet := sheetPart(f, base, "PCN Core Partner Details")
	// Small seeds: the header and two rows.
	seed := sheet.text
	if i := strings.Index(seed, `<row r="4"`); i > 0 {
		seed = seed[:i] + "</sheetData></worksheet>"
	}
	f.Add(seed)
	f.Add(strings.Replace(seed, `<row r="3"`, `<row r="7"`, 1))
	f.Add(strings.Replace(seed, `t="s"><v>`, `t="inlineStr"><is><r><t>a&amp;b</t></r><t>c</t></is><v>`, 1))
	f.Add(`<worksheet><dimension ref="A1:C9"/><sheetData><row r="2"><c r="C2" t="str"><f>1</f><v></v></c></row></sheetData></worksheet>`)
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 1<<16 {
			return
		}
		data := replacePart(t, base, sheet.path, text)
		got, err := streamRows(data)
		if errors.Is(err, errFallback) {
			return
		}
		if err != nil {
			t.Fatalf("streaming reader: %v", err)
		}
		want, err := excelizeRows(data)
		if err != nil {
			t.Fatalf("the streaming reader read a workbook excelize refuses (%v)", err)
		}
		if !same(got, want) {
			t.Fatalf("streaming reader differs from excelize: %s", diff(got, want))
		}
	})
}
