package nhs

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// nationalDir holds the national files; tests over them skip when it is absent.
const nationalDir = "../../shared/data"

func national(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(nationalDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("national file %s not present", p)
	}
	return p
}

// writeTemp writes data to a file called name in a fresh temporary directory.
func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// fixturesDir is the project's one extract of the national files (see ../fixtures/README.md). Package
// nhs cannot import package fixtures (it imports nhs), so its tests name the files by path.
const fixturesDir = "../fixtures"

// fixture returns the path of a file of the shared extract.
func fixture(name string) string { return filepath.Join(fixturesDir, name) }

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixture(name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gunzipFixture is the plain CSV of a gzipped fixture file, as the publisher also ships it.
func gunzipFixture(t testing.TB, name string) []byte {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(readFixture(t, name)))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// member is one file of a test zip.
type member struct {
	name string
	data []byte
}

func zipBytes(t testing.TB, members ...member) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, m := range members {
		f, err := w.Create(m.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(m.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// rewriteWorkbook returns a fixture workbook with every sheet's cells passed through cell (which gets
// the sheet's header cell of the column and the raw value, and sets the cell or returns false to
// leave it) and, when rows > 0, only its header and first rows data rows kept, with their cell types.
func rewriteWorkbook(t testing.TB, name string, rows int, cell func(f *excelize.File, sheet, ref, header, v string) bool) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(readFixture(t, name)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if rows > 0 {
		f = firstRows(t, f, rows+1)
		defer f.Close()
	}
	for _, s := range f.GetSheetList() {
		all, err := f.GetRows(s, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range all {
			for c, v := range row {
				if r == 0 || cell == nil {
					continue
				}
				ref, err := excelize.CoordinatesToCellName(c+1, r+1)
				if err != nil {
					t.Fatal(err)
				}
				header := ""
				if c < len(all[0]) {
					header = all[0][c]
				}
				cell(f, s, ref, header, v)
			}
		}
	}
	b, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// firstRows copies the first n rows of every sheet of src into a new workbook, each cell with its
// type (number, boolean or text).
func firstRows(t testing.TB, src *excelize.File, n int) *excelize.File {
	t.Helper()
	dst := excelize.NewFile()
	for i, s := range src.GetSheetList() {
		var err error
		if i == 0 {
			err = dst.SetSheetName("Sheet1", s)
		} else {
			_, err = dst.NewSheet(s)
		}
		if err != nil {
			t.Fatal(err)
		}
		all, err := src.GetRows(s, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range all[:min(n, len(all))] {
			for c, v := range row {
				ref, err := excelize.CoordinatesToCellName(c+1, r+1)
				if err != nil {
					t.Fatal(err)
				}
				typ, err := src.GetCellType(s, ref)
				if err != nil {
					t.Fatal(err)
				}
				var f float64
				switch _, nerr := fmt.Sscan(v, &f); {
				case v == "":
				case typ == excelize.CellTypeBool:
					err = dst.SetCellBool(s, ref, v == "1" || strings.EqualFold(v, "true"))
				case (typ == excelize.CellTypeNumber || typ == excelize.CellTypeUnset) && nerr == nil:
					err = dst.SetCellFloat(s, ref, f, -1, 64)
				default:
					err = dst.SetCellStr(s, ref, v)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return dst
}

// publishedTypes gives the fixture's copy of the April 2022 ePCN workbook the cell types NHS Digital
// published it with, which fixtures/gen does not keep (it writes every number as a number): dates
// (yyyymmdd) as text and the CCG-match column as booleans. The 2019 workbook was published with
// numbers, as the fixture has it.
func publishedTypes(t testing.TB, name string, rows int) []byte {
	t.Helper()
	return rewriteWorkbook(t, name, rows, func(f *excelize.File, sheet, ref, header, v string) bool {
		var err error
		switch h := strings.ToLower(header); {
		case strings.Contains(h, "date") && len(v) == 8:
			err = f.SetCellStr(sheet, ref, v)
		case strings.Contains(h, "match") && (v == "0" || v == "1"):
			err = f.SetCellBool(sheet, ref, v == "1")
		default:
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		return true
	})
}

// sheet is one worksheet of a test workbook; cells are strings, or float64/int for numeric cells.
type sheet struct {
	name string
	rows [][]any
}

func xlsxBytes(t testing.TB, sheets ...sheet) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(s.name); err != nil {
			t.Fatal(err)
		}
		for r, row := range s.rows {
			for c, v := range row {
				if v == nil || v == "" {
					continue
				}
				ref, err := excelize.CoordinatesToCellName(c+1, r+1)
				if err != nil {
					t.Fatal(err)
				}
				if err := f.SetCellValue(s.name, ref, v); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	b, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// errAny, as a wanted error, accepts any *Error.
var errAny = errors.New("any error")

// checkErr compares an error with the wanted sentinel (nil: no error) and message fragments. It
// returns true when there is no error, so that the caller goes on to check the result.
func checkErr(t *testing.T, call string, err, want error, fragments ...string) bool {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Errorf("%s: unexpected error %v", call, err)
			return false
		}
		return true
	}
	if err == nil {
		t.Errorf("%s succeeded, want an error", call)
		return false
	}
	if want != errAny && !errors.Is(err, want) {
		t.Errorf("%s = %v, want an error matching %v", call, err, want)
		return false
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("%s = %v (%T), want an *Error", call, err, err)
	}
	if !strings.HasPrefix(err.Error(), "nhs: ") {
		t.Errorf("%s = %q, want the prefix \"nhs: \"", call, err)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("%s = %q, want it to mention %q", call, err, f)
		}
	}
	return false
}
