package svg

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"pcnmap/fixtures"
	"pcnmap/geo"
	"pcnmap/nhs"
	"pcnmap/tiles"
)

// elements decodes doc as XML (failing the test if it is not well-formed) and counts the elements
// of each name and class, keyed "name" and "name.class".
func elements(t *testing.T, doc []byte) map[string]int {
	t.Helper()
	counts := map[string]int{}
	dec := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%.500s", err, doc)
		}
		if se, ok := tok.(xml.StartElement); ok {
			counts[se.Name.Local]++
			for _, a := range se.Attr {
				if a.Name.Local == "class" {
					counts[se.Name.Local+"."+a.Value]++
				}
			}
		}
	}
	return counts
}

func TestBars(t *testing.T) {
	tests := map[string]struct {
		bars Bars
		want int // bars drawn
	}{
		"urban and rural": {Bars{Title: "t", Categories: []string{"1", "2", "3"}, Noun: "areas",
			Series: []BarSeries{{Name: "Urban", Counts: []int{1, 4, 2}}, {Name: "Rural <&>", Counts: []int{0, 0, 3}}}}, 6},
		"empty series":  {Bars{Categories: []string{"0"}, Series: []BarSeries{{Name: "none", Counts: []int{0}}}}, 1},
		"no categories": {Bars{Series: []BarSeries{{Name: "a"}}}, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.bars.Write(&buf); err != nil {
				t.Fatal(err)
			}
			if got := elements(t, buf.Bytes())["rect.bar"]; got != tc.want {
				t.Errorf("Bars.Write drew %d bars, want %d", got, tc.want)
			}
		})
	}
}

// square is a closed counter-clockwise square with its lower left corner at lon, lat.
func square(lon, lat, size float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{lon, lat}, {lon + size, lat}, {lon + size, lat + size}, {lon, lat + size}, {lon, lat}}}}
}

// TestMapEdges: two squares side by side share one edge, drawn as a group line when their groups
// differ, as an area line when they are the same, and never as part of the outline.
func TestMapEdges(t *testing.T) {
	feats := []geo.Feature{
		{Code: "A", Geom: square(-2, 53, 0.1)},
		{Code: "B", Geom: square(-1.9, 53, 0.1)},
		{Code: "C", Geom: square(-1.5, 53, 0.1)}, // not drawn
	}
	shapes, err := tiles.Prepare(context.Background(), feats, tiles.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bound := feats[0].Geom.Bound().Union(feats[1].Geom.Bound())
	tests := map[string]struct {
		groups []int32
		want   map[string]int
	}{
		"different groups": {[]int32{1, 2, 3}, map[string]int{"path.area": 2, "path.outline": 1, "path.group-lines": 1, "path.area-lines": 0, "text.mark": 1}},
		"same group":       {[]int32{1, 1, 1}, map[string]int{"path.area": 2, "path.outline": 1, "path.group-lines": 0, "path.area-lines": 1, "text.mark": 1}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := Map{Title: name, Shapes: shapes, Features: []int{0, 1}, Bound: bound, AreaLines: true,
				Class:  func(i int) int { return i },
				Group:  func(i int) int32 { return tc.groups[i] },
				Code:   func(i int) string { return feats[i].Code },
				Legend: []Swatch{{"a", "#000000"}, {"b", "#ffffff"}}, GroupLine: "group", Outline: "outline",
				Mark: func(i int) (string, orb.Point) {
					return []string{"1", "", "3"}[i], feats[i].Geom.Bound().Center()
				}}
			var buf bytes.Buffer
			st, err := m.Write(context.Background(), &buf)
			if err != nil {
				t.Fatal(err)
			}
			got := elements(t, buf.Bytes())
			for k, want := range tc.want {
				if got[k] != want {
					t.Errorf("Map.Write drew %d %s, want %d (stats %+v)", got[k], k, want, st)
				}
			}
			// Feature A's mark "1" sits on A's centre, a quarter of the way across the 680-pixel frame.
			if m := regexp.MustCompile(`<text class="mark" x="([0-9.]+)" y="[0-9.]+">1</text>`).FindStringSubmatch(buf.String()); m == nil {
				t.Errorf("no mark 1 in %s", buf.String())
			} else if x, _ := strconv.ParseFloat(m[1], 64); math.Abs(x-680.0/4) > 10 {
				t.Errorf("mark 1 at x = %g, want about %g", x, 680.0/4)
			}
			// The outline is the 6-unit boundary of the pair: the shared edge is not in it.
			if s := buf.String(); strings.Contains(s, `data-code="C"`) {
				t.Errorf("Map.Write drew feature C, which was not asked for")
			}
		})
	}
}

// TestMapFixture draws Trafford's 28 areas from the fixture: well-formed SVG, one path per area
// carrying its code, lines of every kind, and the same bytes twice.
func TestMapFixture(t *testing.T) {
	d, err := fixtures.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	feats := make([]geo.Feature, len(d.Areas))
	for i := range d.Areas {
		feats[i] = d.Areas[i].Feature
	}
	shapes, err := tiles.Prepare(context.Background(), feats, tiles.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var idx []int
	var bound orb.Bound
	for i := range d.Areas {
		if d.Areas[i].Units[nhs.KindLA] == "E08000009" {
			if len(idx) == 0 {
				bound = d.Areas[i].Bound
			}
			bound = bound.Union(d.Areas[i].Bound)
			idx = append(idx, i)
		}
	}
	am := d.AreaMetrics(nil, 0.01)
	m := Map{Title: "Trafford", Shapes: shapes, Features: idx, Bound: bound, AreaLines: true,
		Class:  func(i int) int { return min(int(am[i].PCNs), 3) },
		Group:  func(i int) int32 { return am[i].Dominant },
		Code:   func(i int) string { return d.Areas[i].Code },
		Label:  func(i int) string { return d.Areas[i].Name },
		Legend: []Swatch{{"0", NoData}, {"1", Sequential[0]}, {"2", Sequential[1]}, {"3+", Sequential[2]}}, GroupLine: "dominant PCN", Outline: "Trafford"}
	var first []byte
	for run := range 2 {
		var buf bytes.Buffer
		st, err := m.Write(context.Background(), &buf)
		if err != nil {
			t.Fatal(err)
		}
		if run == 0 {
			first = buf.Bytes()
			got := elements(t, first)
			if got["path.area"] != len(idx) || st.Paths != len(idx) || len(idx) != 28 {
				t.Errorf("Map.Write drew %d area paths (stats %d) for %d areas, want 28", got["path.area"], st.Paths, len(idx))
			}
			for _, k := range []string{"path.outline", "path.group-lines", "path.area-lines"} {
				if got[k] != 1 {
					t.Errorf("Map.Write drew %d %s, want 1", got[k], k)
				}
			}
			if st.Zoom < 9 || st.Zoom > tiles.MaxZoom {
				t.Errorf("Map.Write used zoom %d for one borough, want 9..%d", st.Zoom, tiles.MaxZoom)
			}
			for _, i := range idx {
				if !bytes.Contains(first, []byte(`data-code="`+d.Areas[i].Code+`"`)) {
					t.Errorf("no path for area %s", d.Areas[i].Code)
				}
			}
			continue
		}
		if !bytes.Equal(buf.Bytes(), first) {
			t.Error("two runs of Map.Write differ")
		}
	}
}

func TestNum(t *testing.T) {
	tests := map[float64]string{0: "0", 1.25: "1.3", -0.04: "0", 12: "12", -3.56: "-3.6"}
	for v, want := range tests {
		if got := num(v); got != want {
			t.Errorf("num(%v) = %q, want %q", v, got, want)
		}
	}
}
