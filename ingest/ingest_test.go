package ingest

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"pcnmap/geo"
	"pcnmap/nhs"
	"pcnmap/overlap"
)

// dataDir holds the national files; tests over them skip when it is absent.
const dataDir = "../../shared/data"

func data(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(dataDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("national file %s not present", p)
	}
	return p
}

func skipNational(t *testing.T) {
	t.Helper()
	if testing.Short() || raceEnabled {
		t.Skip("national files: skipped with -short and -race")
	}
}

// sumCategories adds up the coverage categories, which must give the total.
func sumCategories(c overlap.Coverage) int64 {
	var n int64
	for _, cat := range c.Categories() {
		n += cat.Count.Patients
	}
	return n
}

// national2021 ingests the national January 2021 file onto the 6,856 MSOAs of 2021 with the
// crosswalk, once for every test that needs it.
var national2021 = sync.OnceValues(func() (*overlap.Dataset, error) {
	return Prepare(context.Background(), Options{
		Areas:         filepath.Join(dataDir, "2021/msoa2021-england-generalised-clipped.geojson.gz"),
		Registrations: filepath.Join(dataDir, "gp-reg-pat-prac-lsoa-all-2021-01.csv.gz"),
		Membership:    filepath.Join(dataDir, "ePCN-2019-12.xlsx"),
		Lookup:        filepath.Join(dataDir, "2021/lsoa21-msoa21-england-derived.csv"),
		Crosswalk:     filepath.Join(dataDir, "2021/lsoa11-lsoa21-lad22-lookup.csv"),
	})
})

// TestNationalCrosswalk: every patient of the national January 2021 file is kept when it is moved
// onto 2021 LSOAs, and every English one is placed in one of the 6,856 MSOAs of 2021, through the
// whole ingest (polygons and all). TestNationalCrosswalkMove checks the same without the polygons.
func TestNationalCrosswalk(t *testing.T) {
	skipNational(t)
	data(t, "gp-reg-pat-prac-lsoa-all-2021-01.csv.gz")
	d, err := national2021()
	if err != nil {
		t.Fatal(err)
	}
	c := d.Coverage
	// The data README: 60,606,345 patients in the file.
	if c.Total.Patients != 60606345 || sumCategories(c) != c.Total.Patients {
		t.Errorf("total %d, categories sum to %d; want 60606345 both", c.Total.Patients, sumCategories(c))
	}
	if c.Unassigned.Patients != 0 || c.Unknown.Patients != 0 || c.Assigned.Patients != c.Total.Patients-c.Welsh.Patients-c.NoLSOA.Patients {
		t.Errorf("coverage %+v: every English patient should be placed", c)
	}
	if len(d.Areas) != 6856 || c.Geography != "2021" {
		t.Errorf("%d areas, geography %q; want 6856, 2021", len(d.Areas), c.Geography)
	}
	var withPatients int
	for _, a := range d.Areas {
		if a.Registered > 0 {
			withPatients++
		}
	}
	if withPatients != 6856 {
		t.Errorf("%d of the 6856 MSOAs have registered patients, want all", withPatients)
	}
	if !strings.Contains(strings.Join(d.Notes, "\n"), "moved onto 2021 LSOAs with lsoa11-lsoa21-lad22-lookup.csv") {
		t.Errorf("notes %q lack the crosswalk's", d.Notes)
	}
}

// TestNationalGeographyMix: the same files without the crosswalk are refused with the hint.
func TestNationalGeographyMix(t *testing.T) {
	skipNational(t)
	_, err := Prepare(context.Background(), Options{
		Areas:         data(t, "2021/msoa2021-england-generalised-clipped.geojson.gz"),
		Registrations: data(t, "gp-reg-pat-prac-lsoa-all-2021-01.csv.gz"),
		Membership:    data(t, "ePCN-2019-12.xlsx"),
		Lookup:        data(t, "2021/lsoa21-msoa21-england-derived.csv"),
	})
	if !errors.Is(err, ErrGeography) || !strings.Contains(err.Error(), "--crosswalk") || !strings.Contains(err.Error(), "NO2011") {
		t.Fatalf("err = %v, want ErrGeography naming --crosswalk and the NO2011 rows", err)
	}
}

// TestStaffordshireWithin: the QNC extract within icb:QNC keeps the 141 MSOAs of 2021 of that ICB,
// its 25 PCNs, and accounts for every one of the file's 1,210,283 patients.
func TestStaffordshireWithin(t *testing.T) {
	skipNational(t)
	for _, within := range []string{"icb:QNC", "icb:E54000010"} {
		d, err := Prepare(context.Background(), Options{
			Areas:         data(t, "2021/msoa2021-england-generalised-clipped.geojson.gz"),
			Registrations: data(t, "2021/gp-reg-pat-prac-lsoa21-2025-10-icb-QNC.csv.gz"),
			Membership:    data(t, "2021/gp-reg-pat-prac-map-2025-10.csv"),
			Lookup:        data(t, "2021/lsoa21-msoa21-england-derived.csv"),
			Contexts:      []string{data(t, "2021/lsoa21-sicbl24-icb24-lookup.csv")},
			Within:        within,
		})
		if err != nil {
			t.Fatal(err)
		}
		c := d.Coverage
		if len(d.Areas) != 141 || len(d.PCNs) != 25 || c.Total.Patients != 1210283 || sumCategories(c) != c.Total.Patients {
			t.Errorf("%s: %d areas, %d PCNs, total %d, categories %d; want 141, 25, 1210283, 1210283", within, len(d.Areas), len(d.PCNs), c.Total.Patients, sumCategories(c))
		}
		// The data README's counts of the file's codes that are not English LSOAs.
		want := map[string]int64{"welsh": 24, "scottish": 16, "northern_irish": 7, "islands": 5, "closed": 333, "empty": 1048, "no_lsoa": 0, "unknown": 0, "unassigned": 0}
		for _, cat := range c.Categories() {
			if w, ok := want[cat.Key]; ok && cat.Count.Patients != w {
				t.Errorf("%s: %s = %d patients, want %d", within, cat.Key, cat.Count.Patients, w)
			}
		}
		if c.Outside.Patients == 0 || c.Region != "icb:"+within[4:]+" (E54000010)" && c.Region != "icb:E54000010" {
			t.Errorf("%s: outside %d, region %q", within, c.Outside.Patients, c.Region)
		}
		if d.ExtractDate.Format("2006-01-02") != "2025-10-01" || d.Release != "2025-10" {
			t.Errorf("%s: release %s extract %v, want 2025-10 from the file name", within, d.Release, d.ExtractDate)
		}
	}
}

func TestMoveRegistrations(t *testing.T) {
	cw := &nhs.Crosswalk{
		To:     map[string][]string{"A": {"A"}, "M1": {"M"}, "M2": {"M"}, "S": {"S1", "S2", "S3"}},
		Change: map[string]string{"A": "U", "M1": "M", "M2": "M", "S": "S"},
	}
	reg := &nhs.Registrations{
		Practices:  []nhs.Practice{{Code: "P1"}, {Code: "P2"}},
		LSOAs:      []string{"A", "M1", "M2", "S", "NO2011"},
		LSOAColumn: "LSOA_CODE",
	}
	for _, r := range [][3]int32{{0, 0, 5}, {0, 1, 3}, {0, 2, 4}, {0, 3, 10}, {1, 3, 2}, {1, 4, 6}} {
		reg.Rows = append(reg.Rows, nhs.Row{Practice: r[0], LSOA: r[1], Patients: r[2]})
	}
	describe := func(r *nhs.Registrations) string {
		var parts []string
		for _, row := range r.Rows {
			parts = append(parts, r.Practices[row.Practice].Code+"/"+r.LSOAs[row.LSOA]+"="+itoa(row.Patients))
		}
		return strings.Join(parts, " ")
	}
	tests := map[string]struct {
		weights map[string]float64
		want    string
	}{
		// 10 in thirds: 3.33 each, the remainder to the first; 2 in thirds: 0.67 each, one each to the first two.
		"equal shares":    {nil, "P1/A=5 P1/M=7 P1/S1=4 P1/S2=3 P1/S3=3 P2/S1=1 P2/S2=1 P2/NO2011=6"},
		"weights":         {map[string]float64{"S1": 1, "S2": 0, "S3": 3}, "P1/A=5 P1/M=7 P1/S1=3 P1/S3=7 P2/S1=1 P2/S3=1 P2/NO2011=6"},
		"all weights nil": {map[string]float64{"S1": 0}, "P1/A=5 P1/M=7 P1/S1=4 P1/S2=3 P1/S3=3 P2/S1=1 P2/S2=1 P2/NO2011=6"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			out, m := moveRegistrations(reg, cw, tt.weights)
			if got := describe(out); got != tt.want {
				t.Errorf("moved = %s\nwant    %s", got, tt.want)
			}
			if m.unchanged != 5 || m.merged != 7 || m.split != 12 || m.kept != 6 || m.splitLSOAs != 1 {
				t.Errorf("moved %+v", m)
			}
		})
	}
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// TestNationalCrosswalkMove is the national crosswalk check CI runs (under the race detector, so it
// reads only the three tables, not the polygons): the January 2021 file moved onto 2021 LSOAs keeps
// every patient, and its English patients all live in LSOAs of the 2021 lookup, which fill all
// 6,856 MSOAs of 2021.
func TestNationalCrosswalkMove(t *testing.T) {
	if testing.Short() {
		t.Skip("national files: skipped with -short")
	}
	reg, err := nhs.ReadRegistrations(data(t, "gp-reg-pat-prac-lsoa-all-2021-01.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	cw, err := nhs.ReadCrosswalk(data(t, "2021/lsoa11-lsoa21-lad22-lookup.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lookup, err := nhs.ReadLookup(data(t, "2021/lsoa21-msoa21-england-derived.csv"))
	if err != nil {
		t.Fatal(err)
	}
	moved, m := moveRegistrations(reg, cw, nil)
	var before, after, english, placed int64
	for _, r := range reg.Rows {
		before += int64(r.Patients)
	}
	msoas := map[string]bool{}
	for _, r := range moved.Rows {
		n := int64(r.Patients)
		after += n
		code := moved.LSOAs[r.LSOA]
		if strings.HasPrefix(code, "E01") {
			english += n
			if msoa, ok := lookup.Area[code]; ok {
				placed += n
				msoas[msoa] = true
			}
		}
	}
	if before != 60606345 || after != before || m.unchanged+m.merged+m.split+m.complex+m.kept != before {
		t.Errorf("patients: %d before, %d after, %+v by rule; want 60606345 throughout", before, after, m)
	}
	if placed != english || len(msoas) != 6856 {
		t.Errorf("%d of %d English patients in LSOAs of the 2021 lookup, %d MSOAs; want all, 6856", placed, english, len(msoas))
	}
}

// TestNationalCentroidShapefile reads the ONS LSOA 2021 centroids as ONS ships them (a points
// Shapefile in British National Grid) and checks each point against the WGS84 columns of the CSV
// ONS publishes beside it: within 1e-4 degrees (about 7 m; ONS converts with OSTN15, pcnmap with
// the Helmert shift GDAL uses without it).
func TestNationalCentroidShapefile(t *testing.T) {
	skipNational(t)
	l, err := geo.ReadPoints(data(t, "2021/lsoa21-pwc-v3-shp"), geo.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := nhs.ReadCentroids(data(t, "2021/lsoa21-population-weighted-centroids.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Points) != 35672 || l.CRS != geo.CRSBNG || l.CodeField != "LSOA21CD" {
		t.Errorf("%d points, CRS %v, code field %s; want 35672, BNG, LSOA21CD", len(l.Points), l.CRS, l.CodeField)
	}
	var worst float64
	for code, p := range l.Points {
		q, ok := c.Points[code]
		if !ok {
			t.Fatalf("%s is in the Shapefile, not the CSV", code)
		}
		worst = max(worst, math.Abs(p[0]-q.Lon), math.Abs(p[1]-q.Lat))
	}
	if worst > 1e-4 {
		t.Errorf("largest difference from ONS's WGS84 columns %g degrees, want ≤ 1e-4", worst)
	}
	t.Logf("largest difference from ONS's WGS84 columns: %.2g degrees", worst)
}

// TestDenominatorsPCNTable ingests the analyst's PCN × LSOA table of January 2026 within icb:QNC:
// its LSOA_Population column makes registered(a) the MSOA's patients at all practices, which is
// checked against the column summed here with encoding/csv, and the rest of those patients are
// "other practices", in no PCN.
func TestDenominatorsPCNTable(t *testing.T) {
	skipNational(t)
	table := data(t, "2021/pcn-lsoa21-2026-01-icbs-QNC-QOC.csv.gz")
	d, err := Prepare(context.Background(), Options{
		Areas:         data(t, "2021/msoa2021-england-generalised-clipped.geojson.gz"),
		Registrations: table,
		Lookup:        data(t, "2021/lsoa21-msoa21-england-derived.csv"),
		Contexts:      []string{data(t, "2021/lsoa21-sicbl24-icb24-lookup.csv")},
		Within:        "icb:QNC",
	})
	if err != nil {
		t.Fatal(err)
	}
	lookup, err := nhs.ReadLookup(data(t, "2021/lsoa21-msoa21-england-derived.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows := readGzipCSV(t, table)
	col := slices.Index(rows[0], "LSOA_Population")
	pop := map[string]int64{}
	for _, r := range rows[1:] {
		n, _ := strconv.ParseInt(r[col], 10, 64)
		pop[r[0]] = n
	}
	want := map[string]int64{}
	for lsoa, n := range pop {
		want[lookup.Area[lsoa]] += n
	}
	if len(d.Areas) != 141 {
		t.Errorf("%d areas, want 141", len(d.Areas))
	}
	other := slices.IndexFunc(d.Practices, func(p overlap.Practice) bool { return p.Code == OtherPractices })
	for _, a := range d.Areas {
		if a.Registered != want[a.Code] {
			t.Errorf("%s: registered %d, LSOA_Population sums to %d", a.Code, a.Registered, want[a.Code])
		}
	}
	if other < 0 || d.Practices[other].PCN != overlap.NoPCN || d.Coverage.NoPCN.Patients == 0 {
		t.Errorf("other practices: index %d, no-PCN patients %d", other, d.Coverage.NoPCN.Patients)
	}
}

// readGzipCSV reads every record of the gzipped CSV at path.
func readGzipCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(zr).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestPrepareStaged: without centroids or LSOA polygons the areas are cleaned after the join, beside
// the save; finish gives the dataset Prepare gives: every area's geometry as a plain read cleans it
// (a bow-tie repaired), and the note on the repaired polygon where it always was, before the notes
// made after it.
func TestPrepareStaged(t *testing.T) {
	b, err := os.ReadFile("../fixtures/msoa.geojson")
	if err != nil {
		t.Fatal(err)
	}
	var fc map[string]any
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	f0 := fc["features"].([]any)[0].(map[string]any)
	code := f0["properties"].(map[string]any)["MSOA11CD"].(string)
	f0["geometry"] = map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{-0.7, 52.6}, {-0.5, 52.8}, {-0.5, 52.6}, {-0.7, 52.8}, {-0.7, 52.6}}}}
	if b, err = json.Marshal(fc); err != nil {
		t.Fatal(err)
	}
	areas := filepath.Join(t.TempDir(), "bowtie.geojson")
	if err := os.WriteFile(areas, b, 0o644); err != nil {
		t.Fatal(err)
	}
	o := Options{Areas: areas, Registrations: "../fixtures/registrations-2021-01.csv.gz",
		Membership: "../fixtures/epcn-2019-12.xlsx", Lookup: "../fixtures/lsoa-msoa-lookup.csv",
		Contexts: []string{"../fixtures/lsoa-ccg-lad.csv"}}
	d, finish, err := PrepareStaged(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	before := slices.Clone(d.Notes)
	if err := finish(); err != nil {
		t.Fatal(err)
	}
	if err := finish(); err != nil { // a second call changes nothing
		t.Fatal(err)
	}
	note := "bowtie.geojson: repaired 1 invalid polygons: " + code
	if i := slices.Index(d.Notes, note); i < 0 || !slices.Equal(slices.Delete(slices.Clone(d.Notes), i, i+1), before) || slices.Contains(before, note) {
		t.Errorf("notes before finish %q, after %q: want %q added once, before the notes made after it", before, d.Notes, note)
	}
	plain, err := geo.ReadFile(areas, geo.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]geo.Feature{}
	for _, f := range plain.Features {
		want[f.Code] = f
	}
	for _, a := range d.Areas {
		if w := want[a.Code]; !reflect.DeepEqual(a.Feature, w) {
			t.Errorf("area %s after finish = %v, want the cleaned %v", a.Code, a.Feature, w)
		}
	}
	if a := d.Areas[slices.IndexFunc(d.Areas, func(a overlap.Area) bool { return a.Code == code })]; len(a.Geom) != 2 {
		t.Errorf("bow-tie %s = %d polygons, want 2 once repaired", code, len(a.Geom))
	}
}
