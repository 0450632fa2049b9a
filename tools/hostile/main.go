// Command hostile sends generated hostile inputs to a running `pcnmap serve` and checks that each is
// answered within -within (2 s) with a 4xx, a 2xx for valid-but-heavy inputs, or 503 under
// overload, never another 5xx or a dropped connection; that the server is still up afterwards; and
// that its peak RSS (VmHWM of -pid) stays under -mem-limit MB. The inputs are made here, never
// committed: a comb polygon, twenty thousand holes, a ring tangled a hundred thousand times, a
// GeoPackage whose features table is an endless view, an honest zip bomb, bad thresholds and bodies,
// control characters in names, a forged Host; then 8 of the heavy uploads at once. bench/hostile.sh
// starts the server and runs it.
package main

import (
	"archive/zip"
	"bytes"
	"database/sql"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite"
)

type result struct {
	name   string
	status int
	took   time.Duration
	err    error
}

func main() {
	base := flag.String("base", "http://127.0.0.1:8080", "the server's base `URL`")
	tokenFile := flag.String("token-file", "", "`file` holding the server's bearer token")
	pid := flag.Int("pid", 0, "the server's process `id`, for its peak RSS")
	memLimit := flag.Int("mem-limit", 256, "the RSS the server must stay under, in `MB`")
	within := flag.Duration("within", 2*time.Second, "the longest an answer may take")
	flag.Parse()
	tok, err := os.ReadFile(*tokenFile)
	if err != nil {
		fail("token: %v", err)
	}
	token := strings.TrimSpace(string(tok))
	tmp, err := os.MkdirTemp("", "pcnmap-hostile-*")
	if err != nil {
		fail("%v", err)
	}
	defer os.RemoveAll(tmp)

	uploads := map[string]func() ([]byte, string){
		"comb of 16,000 vertices":         func() ([]byte, string) { return geojson(comb(8000)), "comb.geojson" },
		"20,000 holes":                    func() ([]byte, string) { return geojson(holes(142)), "holes.geojson" },
		"ring tangled 100,000 times":      func() ([]byte, string) { return geojson(tangle(100_000)), "tangle.geojson" },
		"GeoPackage with an endless view": func() ([]byte, string) { return endlessGpkg(tmp), "endless.gpkg" },
		"zip inflating to 120 MB":         func() ([]byte, string) { return zipBomb(120 << 20), "bomb.zip" },
		"control characters in a name": func() ([]byte, string) {
			return []byte("team,lsoa\n\"\x1b[2JNorth\",E01006187\n"), "names.csv"
		},
	}
	cl := &http.Client{Timeout: 30 * time.Second}
	var results []result
	n := 0
	for name, make := range uploads {
		body, file := make()
		n++
		results = append(results, upload(cl, *base, token, fmt.Sprintf("hostile-%d", n), file, body, name))
	}
	gets := map[string]string{
		"hex-float threshold":      "/api/summary?threshold=0x1p-3",
		"minus-zero threshold":     "/api/summary?threshold=-0%25",
		"threshold past 100%":      "/tiles/areas/8/126/82.mvt?threshold=101%25",
		"tile outside the pyramid": "/tiles/areas/3/9/0.mvt",
	}
	for name, path := range gets {
		results = append(results, do(cl, name, http.MethodGet, *base+path, nil, nil))
	}
	results = append(results, do(cl, "what-if body null", http.MethodPost, *base+"/api/teams/none/whatif", strings.NewReader("null"), map[string]string{"Content-Type": "application/json"}))
	results = append(results, do(cl, "lower-case bearer, wrong token", http.MethodDelete, *base+"/api/teams/none", nil, map[string]string{"Authorization": "bearer wrong-token-wrong-token"}))
	forged := do(cl, "forged Host in TileJSON", http.MethodGet, *base+"/tiles/areas.json", nil, map[string]string{"Host": "evil.example", "X-Forwarded-Proto": "https"})
	results = append(results, forged)

	// 8 heavy uploads at once: two are read, the others answer 503.
	var wg sync.WaitGroup
	var mu sync.Mutex
	heavy := []string{"zip inflating to 120 MB", "comb of 16,000 vertices", "ring tangled 100,000 times", "20,000 holes"}
	bodies := map[string][]byte{}
	files := map[string]string{}
	for _, h := range heavy {
		bodies[h], files[h] = uploads[h]()
	}
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := heavy[i%len(heavy)]
			r := upload(cl, *base, token, fmt.Sprintf("concurrent-%d", i), files[h], bodies[h], "concurrent: "+h)
			mu.Lock()
			results = append(results, r)
			mu.Unlock()
		}()
	}
	wg.Wait()

	bad := 0
	for _, r := range results {
		ok := r.err == nil && r.took <= *within && (r.status < 500 || r.status == http.StatusServiceUnavailable)
		mark := "ok  "
		if !ok {
			mark = "FAIL"
			bad++
		}
		fmt.Printf("%s %-40s %3d %6.0f ms %v\n", mark, r.name, r.status, float64(r.took.Microseconds())/1000, errText(r.err))
	}
	if res, err := cl.Get(*base + "/healthz"); err != nil || res.StatusCode != http.StatusOK {
		fmt.Printf("FAIL the server is down after the suite: %v\n", err)
		bad++
	}
	if *pid > 0 {
		hwm := peakRSS(*pid)
		mark := "ok  "
		if hwm > int64(*memLimit)<<20 {
			mark = "FAIL"
			bad++
		}
		fmt.Printf("%s peak RSS %d MB (limit %d MB)\n", mark, hwm>>20, *memLimit)
	}
	if bad > 0 {
		fail("%d of the hostile cases failed", bad)
	}
	fmt.Printf("hostile: %d cases: ok\n", len(results))
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "hostile: "+format+"\n", args...)
	os.Exit(1)
}

func do(cl *http.Client, name, method, url string, body io.Reader, headers map[string]string) result {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return result{name: name, err: err}
	}
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	start := time.Now()
	res, err := cl.Do(req)
	r := result{name: name, took: time.Since(start), err: err}
	if err == nil {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		r.status = res.StatusCode
		if strings.Contains(string(b), "evil.example") {
			r.err = fmt.Errorf("the answer names the forged host")
		}
	}
	return r
}

func upload(cl *http.Client, base, token, set, file string, content []byte, name string) result {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("name", set)
	fw, _ := mw.CreateFormFile("file", file)
	fw.Write(content)
	mw.Close()
	return do(cl, name, http.MethodPost, base+"/api/teams", &b, map[string]string{"Content-Type": mw.FormDataContentType(), "Authorization": "Bearer " + token})
}

// peakRSS reads VmHWM of a process.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

type ring [][2]float64

// Trafford, where the fixture's LSOAs are.
const lon0, lat0, span = -2.40, 53.38, 0.1

func comb(teeth int) []ring {
	r := ring{{lon0, lat0 - span/10}}
	for i := range teeth {
		x := lon0 + span*float64(i)/float64(teeth)
		r = append(r, [2]float64{x, lat0 + span}, [2]float64{x + span/2/float64(teeth), lat0})
	}
	return []ring{append(r, [2]float64{lon0 + span, lat0 - span/10}, r[0])}
}

func square(x, y, s float64, cw bool) ring {
	if cw {
		return ring{{x, y}, {x, y + s}, {x + s, y + s}, {x + s, y}, {x, y}}
	}
	return ring{{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}, {x, y}}
}

func holes(n int) []ring {
	out := []ring{square(lon0, lat0, span, false)}
	step := span / float64(n+1)
	for i := range n {
		for j := range n {
			out = append(out, square(lon0+step*(float64(i)+0.5), lat0+step*(float64(j)+0.5), step/2, true))
		}
	}
	return out
}

func tangle(n int) []ring {
	rng := rand.New(rand.NewPCG(7, 8))
	r := make(ring, 0, n+1)
	for i := range n {
		r = append(r, [2]float64{lon0 + span*rng.Float64(), lat0 + span*float64(i%2)})
	}
	return []ring{append(r, r[0])}
}

// geojson is a FeatureCollection of one team whose polygon has the given rings.
func geojson(rings ...[]ring) []byte {
	var b bytes.Buffer
	b.WriteString(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Hostile"},"geometry":{"type":"Polygon","coordinates":[`)
	first := true
	for _, rs := range rings {
		for _, r := range rs {
			if !first {
				b.WriteByte(',')
			}
			first = false
			b.WriteByte('[')
			for i, p := range r {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString("[" + strconv.FormatFloat(p[0], 'f', 7, 64) + "," + strconv.FormatFloat(p[1], 'f', 7, 64) + "]")
			}
			b.WriteByte(']')
		}
	}
	b.WriteString(`]}}]}`)
	return b.Bytes()
}

// endlessGpkg is a GeoPackage whose features table is a view over a recursive CTE without end.
func endlessGpkg(dir string) []byte {
	p := filepath.Join(dir, "endless.gpkg")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		fail("%v", err)
	}
	for _, s := range []string{
		`CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY, organization TEXT, organization_coordsys_id INTEGER, definition TEXT, description TEXT)`,
		`INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84', 4326, 'EPSG', 4326, '', '')`,
		`CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT, identifier TEXT, srs_id INTEGER)`,
		`INSERT INTO gpkg_contents VALUES ('teams', 'features', 'teams', 4326)`,
		`CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, geometry_type_name TEXT, srs_id INTEGER, z INTEGER, m INTEGER)`,
		`INSERT INTO gpkg_geometry_columns VALUES ('teams', 'geom', 'POLYGON', 4326, 0, 0)`,
		`CREATE VIEW teams AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i AS fid, 'T' || i AS name, zeroblob(1000) AS geom FROM n`,
	} {
		if _, err := db.Exec(s); err != nil {
			fail("%s: %v", s, err)
		}
	}
	db.Close()
	b, err := os.ReadFile(p)
	if err != nil {
		fail("%v", err)
	}
	return b
}

// zipBomb is a shapefile zip whose .shp honestly inflates to size bytes (a valid header, then zeros).
func zipBomb(size int) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	shp := make([]byte, 100)
	binary.BigEndian.PutUint32(shp, 9994)
	binary.BigEndian.PutUint32(shp[24:], uint32(size/2))
	binary.LittleEndian.PutUint32(shp[28:], 1000)
	binary.LittleEndian.PutUint32(shp[32:], 5)
	w, _ := zw.Create("bomb.shp")
	w.Write(shp)
	zeros := make([]byte, 1<<20)
	for n := 100; n < size; n += len(zeros) {
		w.Write(zeros[:min(len(zeros), size-n)])
	}
	for _, ext := range []string{".shx", ".dbf"} {
		w, _ := zw.Create("bomb" + ext)
		w.Write(shp[:100])
	}
	w, _ = zw.Create("bomb.prj")
	w.Write([]byte(`GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["Degree",0.017453292519943295]]`))
	zw.Close()
	return b.Bytes()
}
