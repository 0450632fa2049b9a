package nhs

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestReadLookup(t *testing.T) {
	tests := map[string]struct {
		in         string
		lsoa, area string // explicit columns
		want       string
		err        error
		fragments  []string
	}{
		"Commons Library layout": {
			in:   "LSOA_CODE,MSOA_CODE,LAD_NAME\nE01000001,E02000001,City\nE01000002,E02000001,City\n",
			want: "LSOA_CODE→MSOA_CODE 2: E01000001=E02000001 E01000002=E02000001",
		},
		"ONS 2011 codes, lower case": {
			in:   "FID,lsoa11cd,msoa11cd\n1,E01000001,E02000001\n",
			want: "lsoa11cd→msoa11cd 1: E01000001=E02000001",
		},
		"ONS 2021 codes": {
			in:   "LSOA21CD,LSOA21NM,MSOA21CD\nE01000001,x,E02000009\n",
			want: "LSOA21CD→MSOA21CD 1: E01000001=E02000009",
		},
		"2011 preferred over 2021": {
			in:   "LSOA21CD,MSOA21CD,LSOA11CD,MSOA11CD\nE01000009,E02000009,E01000001,E02000001\n",
			want: "LSOA11CD→MSOA11CD 1: E01000001=E02000001",
		},
		"explicit columns": {
			in: "lsoa_code,locality\nE01006185,North\nE01006112,North\n", lsoa: "LSOA_CODE", area: "Locality",
			want: "lsoa_code→locality 2: E01006112=North E01006185=North",
		},
		"repeated identical row": {
			in:   "LSOA11CD,MSOA11CD\nE01000001,E02000001\nE01000001,E02000001\n",
			want: "LSOA11CD→MSOA11CD 1: E01000001=E02000001",
		},
		"LSOA in two areas": {
			in:  "LSOA11CD,MSOA11CD\nE01000001,E02000001\nE01000002,E02000001\nE01000001,E02000002\n",
			err: ErrConflict, fragments: []string{"line 4", "LSOA E01000001 maps to E02000002, but to E02000001 on line 2"},
		},
		"no known columns": {
			in:  "code,area\nE01000001,E02000001\n",
			err: ErrMissingColumn, fragments: []string{"LSOA11CD/MSOA11CD, LSOA_CODE/MSOA_CODE, LSOA21CD/MSOA21CD", `"code", "area"`},
		},
		"explicit column absent": {
			in: "lsoa_code,ward\nE01000001,W\n", lsoa: "lsoa_code", area: "locality",
			err: ErrMissingColumn, fragments: []string{`"locality"`},
		},
		"explicit columns the same": {
			in: "lsoa_code,ward\nE01000001,W\n", lsoa: "lsoa_code", area: "LSOA_CODE",
			err: ErrMissingColumn, fragments: []string{"both"},
		},
		"empty area": {
			in:  "LSOA11CD,MSOA11CD\nE01000001,\n",
			err: ErrInvalidValue, fragments: []string{"line 2", `LSOA E01000001: column "MSOA11CD" is empty`},
		},
		"empty LSOA": {
			in:  "LSOA11CD,MSOA11CD\n,E02000001\n",
			err: ErrInvalidValue, fragments: []string{"line 2"},
		},
		"bad quoting": {
			in:  "LSOA11CD,MSOA11CD\n\"E01000001,E02000001\n",
			err: ErrMalformed, fragments: []string{"line 2"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			l, err := readLookup(strings.NewReader(tt.in), "lookup.csv", tt.lsoa, tt.area, 0)
			if !checkErr(t, "readLookup("+name+")", err, tt.err, tt.fragments...) {
				return
			}
			if got := describeLookup(l); got != tt.want {
				t.Errorf("readLookup(%s) = %s, want %s", name, got, tt.want)
			}
		})
	}
}

func describeLookup(l *Lookup) string {
	var keys []string
	for k := range l.Area {
		keys = append(keys, k)
	}
	sortStrings(keys)
	var kv []string
	for _, k := range keys {
		kv = append(kv, k+"="+l.Area[k])
	}
	return fmt.Sprintf("%s→%s %d: %s", l.LSOAField, l.AreaField, len(l.Area), strings.Join(kv, " "))
}

// The fixture lookup's 443 LSOAs, and E01006187's MSOA, are nhs/testdata/count.py's.
func TestReadLookupFiles(t *testing.T) {
	l, err := ReadLookup(fixture("lsoa-msoa-lookup.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Area) != 443 || l.Area["E01006187"] != "E02001261" || l.Source != "lsoa-msoa-lookup.csv" {
		t.Errorf("ReadLookup(extract) = %d LSOAs, E01006187 in %q, Source %q; want 443, E02001261", len(l.Area), l.Area["E01006187"], l.Source)
	}
	p := writeTemp(t, "localities.csv.gz", gzipBytes(t, []byte("postcode,lsoa_code,locality\nM15 4AB,E01006185,North\n")))
	l, err = ReadLookupColumns(p, "lsoa_code", "locality")
	if err != nil || l.Area["E01006185"] != "North" {
		t.Errorf("ReadLookupColumns(localities.csv.gz) = %v, %v; want E01006185 in North", l, err)
	}
}

func TestReadCentroids(t *testing.T) {
	tests := map[string]struct {
		in        string
		want      string
		err       error
		fragments []string
	}{
		"ONS layout with BOM": {
			in:   "\ufeffX,Y,objectid,lsoa11cd,lsoa11nm\n-2.2604,53.4655,1,E01006185,Trafford 001E\n",
			want: "E01006185=(-2.2604,53.4655)",
		},
		"2021 codes, LONG/LAT": {
			in:   "LSOA21CD,LAT,LONG\nE01000001,51.5181,-0.0974\n",
			want: "E01000001=(-0.0974,51.5181)",
		},
		"lower-case x/y": {
			in:   "lsoa11cd,x,y\nE01000001,-0.0974,51.5181\n",
			want: "E01000001=(-0.0974,51.5181)",
		},
		"Scilly and Berwick": {
			in:   "lsoa11cd,X,Y\nE01019077,-6.3118,49.9157\nE01027372,-2.0,55.78\n",
			want: "E01019077=(-6.3118,49.9157) E01027372=(-2,55.78)",
		},
		"X/Y in metres outside the grid": {
			in:  "lsoa11cd,X,Y\nE01000001,532400.6,981380.1\n",
			err: ErrInvalidValue, fragments: []string{"line 2", `"Y"`, "northing 981380.1 is outside"},
		},
		"2021 CSV: WGS84 columns preferred to BNG": {
			in:   "LSOA21CD,BNG_E,BNG_N,LONG_WGS84,LAT_WGS84\nE01000001,532181.7642,181792.2818,-0.0962663,51.5195916\n",
			want: "E01000001=(-0.0962663,51.5195916)",
		},
		"R copy, lsoa21_code and lon/lat": {
			in:   "lsoa21_code,lon,lat\nE01000001,-0.0962663,51.5195916\n",
			want: "E01000001=(-0.0962663,51.5195916)",
		},
		"swapped columns": {
			in:  "lsoa11cd,X,Y\nE01000001,51.5,-0.09\n",
			err: ErrInvalidValue, fragments: []string{"line 2", "longitude 51.5 is outside England and Wales"},
		},
		"NaN": {
			in:  "lsoa11cd,X,Y\nE01000001,NaN,51.5\n",
			err: ErrInvalidValue, fragments: []string{`"NaN" is not a finite number`},
		},
		"infinite": {
			in:  "lsoa11cd,X,Y\nE01000001,-0.1,Inf\n",
			err: ErrInvalidValue, fragments: []string{`"Inf" is not a finite number`},
		},
		"empty coordinate": {
			in:  "lsoa11cd,X,Y\nE01000001,,51.5\n",
			err: ErrInvalidValue, fragments: []string{"line 2"},
		},
		"missing latitude": {
			in:  "lsoa11cd,X\nE01000001,-0.1\n",
			err: ErrMissingColumn, fragments: []string{"no coordinate columns", "LAT_WGS84", "BNG_N", `columns found: "lsoa11cd", "X"`},
		},
		"two centroids": {
			in:  "lsoa11cd,X,Y\nE01000001,-0.1,51.5\nE01000001,-0.2,51.5\n",
			err: ErrConflict, fragments: []string{"line 3", "line 2"},
		},
		"repeated centroid": {
			in:   "lsoa11cd,X,Y\nE01000001,-0.1,51.5\nE01000001,-0.1,51.5\n",
			want: "E01000001=(-0.1,51.5)",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := readCentroids(strings.NewReader(tt.in), "centroids.csv", 0)
			if !checkErr(t, "readCentroids("+name+")", err, tt.err, tt.fragments...) {
				return
			}
			var keys []string
			for k := range c.Points {
				keys = append(keys, k)
			}
			sortStrings(keys)
			var kv []string
			for _, k := range keys {
				kv = append(kv, fmt.Sprintf("%s=(%g,%g)", k, c.Points[k].Lon, c.Points[k].Lat))
			}
			if got := strings.Join(kv, " "); got != tt.want {
				t.Errorf("readCentroids(%s) = %s, want %s", name, got, tt.want)
			}
		})
	}
}

// The fixture file starts with a UTF-8 byte-order mark, as ONS publishes it; its 443 points are
// nhs/testdata/count.py's.
func TestReadCentroidsExtract(t *testing.T) {
	if b := readFixture(t, "lsoa-centroids.csv"); !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Fatalf("lsoa-centroids.csv starts with %q, want the byte-order mark it is published with", b[:3])
	}
	c, err := ReadCentroids(fixture("lsoa-centroids.csv"))
	if err != nil {
		t.Fatal(err)
	}
	p, ok := c.Points["E01006187"]
	if len(c.Points) != 443 || !ok || math.Abs(p.Lon+2.27) > 0.05 || math.Abs(p.Lat-53.46) > 0.05 {
		t.Errorf("ReadCentroids(extract) = %d points, E01006187 at %v; want 443, near (-2.27, 53.46)", len(c.Points), p)
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// TestReadCentroidsBNG reads the real LSOA 2021 rows by their British National Grid columns alone
// (BNG_E/BNG_N, or x/y in metres) and checks the conversion against the WGS84 columns ONS ships
// beside them: within 1e-4 degrees (about 7 m; ONS converts with OSTN15, pcnmap with the Helmert
// shift GDAL uses without it).
func TestReadCentroidsBNG(t *testing.T) {
	rows := [][4]string{
		{"E01000001", "532181.7642", "181792.2818", "-0.0962663,51.5195916"},
		{"E01014360", "385873.6239", "352708.693700001", "-2.2122884,53.0714230"},
	}
	for _, layout := range []string{"LSOA21CD,BNG_E,BNG_N", "lsoa21_code,x,y", "LSOA21CD,EASTING,NORTHING"} {
		var b strings.Builder
		b.WriteString(layout + "\n")
		for _, r := range rows {
			b.WriteString(r[0] + "," + r[1] + "," + r[2] + "\n")
		}
		c, err := readCentroids(strings.NewReader(b.String()), "centroids.csv", 0)
		if err != nil {
			t.Fatalf("%s: %v", layout, err)
		}
		if !c.BNG {
			t.Errorf("%s: BNG = false", layout)
		}
		for _, r := range rows {
			var lon, lat float64
			fmt.Sscanf(strings.Replace(r[3], ",", " ", 1), "%g %g", &lon, &lat)
			p := c.Points[r[0]]
			if math.Abs(p.Lon-lon) > 1e-4 || math.Abs(p.Lat-lat) > 1e-4 {
				t.Errorf("%s: %s at %v, ONS says (%g, %g)", layout, r[0], p, lon, lat)
			}
		}
	}
}
