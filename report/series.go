package report

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"pcnmap/csvsafe"
	"pcnmap/nhs"
	"pcnmap/overlap"
)

// ErrSeries is returned for a series that cannot be drawn: fewer than two releases, releases on
// different geographies, or no area they share.
var ErrSeries = errors.New("report: series")

// SeriesPoint is one release of a series: its summary on the shared areas.
type SeriesPoint struct {
	Release, ExtractDate, Geography, Region string
	Areas                                   int
	Registered                              int64
	Any, At                                 overlap.Stats
	PCNs, Practices                         int
	Placed                                  float64 // share of the file's patients placed in an area
}

// Series is one measure across releases on the areas they all share.
type Series struct {
	Threshold float64
	Points    []SeriesPoint
	// Areas are the shared area codes, sorted; PCNs[i][r] is area i's PCNs at the threshold in
	// release r, Names[i] its name in the last release.
	Areas []string
	Names []string
	PCNs  [][]int32
}

// Within restricts a series to the areas whose unit of kind is code (ONS code, as areas keep it).
type Within struct {
	Kind nhs.Kind
	Code string
}

// BuildSeries lines the releases up, oldest first as given: they must share one geography
// (Coverage.Geography; a release moved with --crosswalk is on 2021), and only the areas present in
// every release (and within w, when given) are kept.
func BuildSeries(ctx context.Context, ds []*overlap.Dataset, t float64, w []Within) (*Series, error) {
	if len(ds) < 2 {
		return nil, fmt.Errorf("%w: needs two releases or more, got %d", ErrSeries, len(ds))
	}
	for _, d := range ds[1:] {
		if g1, g2 := ds[0].Coverage.Geography, d.Coverage.Geography; g1 != "" && g2 != "" && g1 != g2 {
			return nil, fmt.Errorf("%w: %s is on %s LSOAs and %s on %s LSOAs: re-ingest the 2011 one onto 2021 areas with --crosswalk (the ONS LSOA 2011 → 2021 lookup)",
				ErrGeography, ds[0].Release, g1, d.Release, g2)
		}
	}
	in := func(d *overlap.Dataset, a *overlap.Area) bool {
		if len(w) == 0 {
			return true
		}
		for _, u := range w {
			if a.Units[u.Kind] == u.Code {
				return true
			}
		}
		return false
	}
	last := ds[len(ds)-1]
	s := &Series{Threshold: t}
	for i := range last.Areas {
		a := &last.Areas[i]
		shared := in(last, a)
		for _, d := range ds[:len(ds)-1] {
			if _, ok := d.Area(a.Code); !ok {
				shared = false
				break
			}
		}
		if shared {
			s.Areas = append(s.Areas, a.Code)
			s.Names = append(s.Names, a.Name)
		}
	}
	if len(s.Areas) == 0 {
		return nil, fmt.Errorf("%w: the releases share no area (within the region given)", ErrSeries)
	}
	s.PCNs = make([][]int32, len(s.Areas))
	for i := range s.PCNs {
		s.PCNs[i] = make([]int32, len(ds))
	}
	for r, d := range ds {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		am := d.AreaMetrics(nil, t)
		var anyV, atV []int64
		var reg int64
		for i, code := range s.Areas {
			a, _ := d.Area(code)
			s.PCNs[i][r] = int32(am[a].PCNs)
			anyV = append(anyV, int64(am[a].PCNsAny))
			atV = append(atV, int64(am[a].PCNs))
			reg += d.Areas[a].Registered
		}
		p := SeriesPoint{Release: d.Release, Geography: d.Coverage.Geography, Region: d.Coverage.Region,
			Areas: len(s.Areas), Registered: reg, Any: overlap.Describe(anyV, false), At: overlap.Describe(atV, false),
			PCNs: len(d.PCNs), Practices: len(d.Practices)}
		if !d.ExtractDate.IsZero() {
			p.ExtractDate = d.ExtractDate.Format("2006-01-02")
		}
		if d.Coverage.Total.Patients > 0 {
			p.Placed = float64(d.Coverage.Assigned.Patients) / float64(d.Coverage.Total.Patients)
		}
		s.Points = append(s.Points, p)
	}
	return s, nil
}

// WriteSeries writes series.csv (one row per release), series_areas.csv (one row per shared area,
// its PCNs at the threshold in each release) and series.html (the same with a line chart) into dir.
func WriteSeries(dir string, s *Series) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	write := func(name string, fn func(io.Writer) error) error {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if err := fn(f); err != nil {
			f.Close()
			return fmt.Errorf("report: %s: %w", name, err)
		}
		return f.Close()
	}
	if err := write("series.csv", func(w io.Writer) error {
		cw := csvsafe.NewWriter(w)
		cw.Write([]string{"release", "extract_date", "geography", "region", "areas", "registered", "pcns_any_mean", "pcns_any_sd", "pcns_mean", "pcns_sd", "pcns_median", "pcns_total", "practices", "placed_share"})
		for _, p := range s.Points {
			cw.Write([]string{p.Release, p.ExtractDate, p.Geography, p.Region, integer(p.Areas), integer(p.Registered),
				float(p.Any.Mean), float(p.Any.SD), float(p.At.Mean), float(p.At.SD), strconv.FormatFloat(p.At.Median, 'f', -1, 64),
				integer(p.PCNs), integer(p.Practices), float(p.Placed)})
		}
		cw.Flush()
		return cw.Error()
	}); err != nil {
		return err
	}
	if err := write("series_areas.csv", func(w io.Writer) error {
		cw := csvsafe.NewWriter(w)
		head := []string{"code", "name"}
		for _, p := range s.Points {
			head = append(head, "pcns_"+p.Release)
		}
		cw.Write(head)
		for i, code := range s.Areas {
			rec := []string{code, s.Names[i]}
			for _, n := range s.PCNs[i] {
				rec = append(rec, integer(n))
			}
			cw.Write(rec)
		}
		cw.Flush()
		return cw.Error()
	}); err != nil {
		return err
	}
	return write("series.html", func(w io.Writer) error { return seriesHTML(w, s) })
}

var seriesTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("series").Funcs(template.FuncMap{
		"css": func() template.CSS { return template.CSS(style) },
		"pct": func(v float64) float64 { return 100 * v },
	}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>PCNs per area across releases</title>
<style>{{css}}</style></head><body><main>
<h1>PCNs per area across releases</h1>
<p>{{.AreaCount}} areas present in every release{{if .Region}}, within {{.Region}}{{end}}; threshold {{.Threshold}}.</p>
<figure>{{.Chart}}<figcaption>Mean PCNs per area at t = 0 (every PCN with a patient) and at t = {{.Threshold}}, release by release.</figcaption></figure>
<table><thead><tr><th>Release</th><th>Geography</th><th class="n">Areas</th><th class="n">Registered</th><th class="n">PCNs per area, t = 0</th><th class="n">PCNs per area, t = {{.Threshold}}</th><th class="n">PCNs</th><th class="n">Practices</th><th class="n">Placed</th></tr></thead>
<tbody>{{range .Points}}<tr><td>{{.Release}}</td><td>{{.Geography}}</td><td class="n">{{.Areas}}</td><td class="n">{{.Registered}}</td><td class="n">{{printf "%.2f" .Any.Mean}} (SD {{printf "%.2f" .Any.SD}})</td><td class="n">{{printf "%.2f" .At.Mean}} (SD {{printf "%.2f" .At.SD}})</td><td class="n">{{.PCNs}}</td><td class="n">{{.Practices}}</td><td class="n">{{printf "%.1f%%" (pct .Placed)}}</td></tr>
{{end}}</tbody></table>
<p class="attribution">{{.Attribution}}</p>
</main></body></html>
`))
})

func seriesHTML(w io.Writer, s *Series) error {
	region := ""
	for _, p := range s.Points {
		if p.Region != "" {
			region = p.Region
		}
	}
	return seriesTemplate().Execute(w, map[string]any{
		"AreaCount": len(s.Areas), "Region": region, "Threshold": overlap.FormatThreshold(s.Threshold),
		"Points": s.Points, "Chart": seriesChart(s), "Attribution": Attribution,
	})
}

// seriesChart draws the two means as lines over the releases, in SVG (no script).
func seriesChart(s *Series) template.HTML {
	const width, height, left, right, top, bottom = 640.0, 260.0, 48.0, 16.0, 16.0, 40.0
	top2 := 0.0
	for _, p := range s.Points {
		top2 = math.Max(top2, math.Max(p.Any.Mean, p.At.Mean))
	}
	top2 = math.Max(1, math.Ceil(top2))
	x := func(i int) float64 {
		if len(s.Points) == 1 {
			return left
		}
		return left + float64(i)*(width-left-right)/float64(len(s.Points)-1)
	}
	y := func(v float64) float64 { return top + (1-v/top2)*(height-top-bottom) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="%g" height="%g" role="img" aria-label="mean PCNs per area by release">`, width, height, width, height)
	for k := 0; k <= 4; k++ {
		v := top2 * float64(k) / 4
		fmt.Fprintf(&b, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%g" y="%.1f" font-size="11" text-anchor="end">%s</text>`,
			left, width-right, y(v), y(v), left-6, y(v)+4, strconv.FormatFloat(v, 'f', -1, 64))
	}
	for i, p := range s.Points {
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" font-size="11" text-anchor="middle">%s</text>`, x(i), height-bottom+18, template.HTMLEscapeString(p.Release))
	}
	line := func(get func(SeriesPoint) float64, colour, label string) {
		var pts []string
		for i, p := range s.Points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(get(p))))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, colour, strings.Join(pts, " "))
		for i, p := range s.Points {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s %s: %.2f</title></circle>`, x(i), y(get(p)), colour, label, template.HTMLEscapeString(p.Release), get(p))
		}
	}
	line(func(p SeriesPoint) float64 { return p.Any.Mean }, "#9ecae1", "t = 0")
	line(func(p SeriesPoint) float64 { return p.At.Mean }, "#08519c", "t = "+overlap.FormatThreshold(s.Threshold))
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from numbers and escaped release names
}
