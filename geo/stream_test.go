package geo

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// bigGeoJSON is the fixture's LSOA polygons written k times over (codes suffixed by copy), so that
// the text is several times the stream's chunk and a streamed read drops what it has read.
func bigGeoJSON(t *testing.T, k int) []byte {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "fixtures", "lsoa.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	head, rest, ok := bytes.Cut(src, []byte(`"features": [`))
	if !ok {
		t.Fatal("the fixture has no features member")
	}
	body := bytes.TrimSpace(rest)
	body = bytes.TrimSuffix(body, []byte("}"))
	body = bytes.TrimSpace(body)
	body = bytes.TrimSuffix(body, []byte("]"))
	var out bytes.Buffer
	out.Write(head)
	out.WriteString(`"features": [`)
	for i := range k {
		if i > 0 {
			out.WriteString(",\n")
		}
		out.Write(bytes.ReplaceAll(body, []byte(`"LSOA11CD": "E0`), []byte(`"LSOA11CD": "`+string(rune('A'+i))+`0`)))
	}
	out.WriteString("]}\n")
	if out.Len() < 3*streamChunk {
		t.Fatalf("%d bytes: not several chunks", out.Len())
	}
	return out.Bytes()
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return z.Bytes()
}

// TestReadFileStreams: a GeoJSON file, plain or gzipped, read from its path (streamed, holding a
// window of its text) gives the layer reading all its bytes gives, and the same error at the same
// byte for a syntax error far into it; a crs member after the features (which a stream cannot
// read again) is read as well.
func TestReadFileStreams(t *testing.T) {
	big := bigGeoJSON(t, 4)
	broken := bytes.Clone(big)
	at := bytes.LastIndex(broken, []byte(`"coordinates"`))
	broken[at+len(`"coordinates"`)] = '!'
	lake, err := os.ReadFile(filepath.Join("testdata", "lake-bng.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	// The crs member moved after the features.
	crs := `"crs":{"type":"name","properties":{"name":"EPSG:27700"}},`
	if !bytes.Contains(lake, []byte(crs)) {
		t.Fatal("testdata/lake-bng.geojson has no crs member to move")
	}
	late := bytes.Replace(lake, []byte(crs), nil, 1)
	late = append(bytes.TrimRight(bytes.TrimSpace(late), "}"), []byte(`,`+strings.TrimSuffix(crs, ",")+`}`)...)
	dir := t.TempDir()
	for name, text := range map[string][]byte{"big": big, "broken": broken, "late-crs": late} {
		for _, z := range []bool{false, true} {
			file, data := name+".geojson", text
			if z {
				file, data = file+".gz", gzipped(t, text)
			}
			t.Run(file, func(t *testing.T) {
				path := filepath.Join(dir, file)
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
				got, gotErr := ReadFile(path, ReadOptions{})
				want, wantErr := Read(bytes.NewReader(data), file, ReadOptions{})
				if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
					t.Fatalf("ReadFile error %v, reading the bytes %v", gotErr, wantErr)
				}
				if name == "broken" {
					var re *ReadError
					if !errors.As(gotErr, &re) || !errors.Is(gotErr, ErrMalformed) || !strings.Contains(gotErr.Error(), "byte") {
						t.Fatalf("ReadFile of a broken file = %v, want a malformed feature at a byte", gotErr)
					}
					return
				}
				if gotErr != nil {
					t.Fatal(gotErr)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("ReadFile = %d features (%s), reading the bytes %d (%s): different", len(got.Features), got.CRS, len(want.Features), want.CRS)
				}
				if name == "late-crs" && got.CRS != CRSBNG {
					t.Errorf("late crs: read as %v, want EPSG:27700", got.CRS)
				}
			})
		}
	}
}
