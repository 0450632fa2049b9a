package nhs

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
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

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
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

func gunzipTestdata(t testing.TB, name string) []byte {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(readTestdata(t, name)))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(r); err != nil {
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
