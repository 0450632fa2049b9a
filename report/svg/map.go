package svg

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"pcnmap/tiles"
)

// Map is a static choropleth of some features of a tiles.Shapes, drawn from the very geometry the
// vector tiles serve: the features' tiles at the zoom whose simplification stays below a pixel of the
// figure are rendered with tiles.Render, decoded and stitched. Because the tiles share every edge
// between neighbours, the edges can be told apart exactly: an edge of one drawn feature only is the
// outline of the set, an edge between features of different groups a group line (for example where
// the dominant PCN changes), any other edge a thin area line.
type Map struct {
	Title  string // the figure's accessible title
	Shapes *tiles.Shapes
	// Features are the indexes of the features to draw, ascending.
	Features []int
	// Bound is the WGS84 bound of Features: it sets the frame and the zoom.
	Bound orb.Bound
	// Class returns the legend entry feature i is filled with (an index into Legend).
	Class func(i int) int
	// Label returns the tooltip of feature i.
	Label func(i int) string
	// Code returns feature i's code, written as its data-code attribute.
	Code func(i int) string
	// Group returns feature i's group; nil draws no group lines.
	Group func(i int) int32
	// Legend lists the fills; GroupLine and Outline label the lines in the legend.
	Legend    []Swatch
	GroupLine string
	Outline   string
	// Mark returns a short text (a number keyed to a table, say) to write on feature i and the WGS84
	// point to centre it on, or "" for none; nil writes no marks. Marks outside the frame are left out.
	Mark func(i int) (string, orb.Point)
	// AreaLines draws the thin lines between features of the same group (leave it off for maps of
	// thousands of small areas, where they would grey the map out).
	AreaLines bool
	// Width and Height bound the size of the map in pixels (the legend adds to the height); zero
	// means 680 × 620.
	Width, Height float64
}

// MaxTolerance is the largest simplification tolerance, in pixels of the figure, a map accepts: it
// takes the lowest zoom whose tiles are simplified no more than this.
const MaxTolerance = 0.75

// scale is deci-pixels: coordinates are written with one decimal.
const scale = 10

const pad = 6.0

// Stats says what Write drew, for tests and benchmarks.
type Stats struct {
	Zoom     int
	Tiles    int // tiles rendered
	Paths    int // feature paths drawn
	Segments int // line segments drawn, after merging those tiles share
}

// ErrMap is returned for a map that cannot be drawn.
var ErrMap = errors.New("svg: map")

// seg is a line segment (in global tile units or in deci-pixels), a < b.
type seg struct{ a, b [2]int64 }

// Line classes, in drawing order.
const (
	areaLine = iota
	groupLine
	outline
)

// frame places the map: the zoom its tiles are taken from, and the transform from global tile units
// at that zoom to deci-pixels of the figure.
type frame struct {
	z          int
	x0, y0, s0 float64 // top left in normalised Web Mercator; pixels per normalised unit
	world      float64 // global tile units across the world at zoom z
	mapW, mapH float64 // pixels
	tx0, tx1   uint32  // tile columns and rows covering the bound
	ty0, ty1   uint32
}

func newFrame(b orb.Bound, width, height float64) frame {
	x0, y0 := mercator(orb.Point{b.Min[0], b.Max[1]})
	x1, y1 := mercator(orb.Point{b.Max[0], b.Min[1]})
	wx, wy := math.Max(x1-x0, 1e-12), math.Max(y1-y0, 1e-12)
	f := frame{x0: x0, y0: y0, s0: math.Min((width-2*pad)/wx, (height-2*pad)/wy)}
	for f.z < tiles.MaxZoom && tiles.DefaultTolerance*f.s0/(tiles.Extent*math.Ldexp(1, f.z)) > MaxTolerance {
		f.z++
	}
	n := math.Ldexp(1, f.z)
	f.world = tiles.Extent * n
	f.mapW, f.mapH = wx*f.s0+2*pad, wy*f.s0+2*pad
	last := uint32(n) - 1
	f.tx0, f.tx1 = clampTile(x0*n, last), clampTile(x1*n, last)
	f.ty0, f.ty1 = clampTile(y0*n, last), clampTile(y1*n, last)
	return f
}

// px converts global tile units to deci-pixels.
func (f *frame) px(gx, gy float64) [2]int64 {
	return [2]int64{int64(math.Round(((gx/f.world-f.x0)*f.s0 + pad) * scale)), int64(math.Round(((gy/f.world-f.y0)*f.s0 + pad) * scale))}
}

// drawing is what the tiles give: each feature's rings and the lines of each class, in deci-pixels.
type drawing struct {
	rings map[int][][][2]int64
	lines [3][]seg
}

// size is the figure's width and height in pixels: Width and Height, or the default when either is
// not positive.
func (m *Map) size() (float64, float64) {
	if m.Width <= 0 || m.Height <= 0 {
		return 680, 620
	}
	return m.Width, m.Height
}

// Zoom returns the zoom whose tiles Write draws the map from (Stats.Zoom): it depends on Bound,
// Width and Height only, so a caller can prepare the shapes at that zoom alone
// (tiles.Options.Zooms).
func (m *Map) Zoom() int {
	width, height := m.size()
	return newFrame(m.Bound, width, height).z
}

// Write draws the map and its legend.
func (m *Map) Write(ctx context.Context, w io.Writer) (Stats, error) {
	var st Stats
	if m.Shapes == nil || m.Class == nil {
		return st, fmt.Errorf("%w: no shapes or no classes", ErrMap)
	}
	width, height := m.size()
	f := newFrame(m.Bound, width, height)
	st.Zoom = f.z
	dr, n, err := m.collect(ctx, &f)
	if err != nil {
		return st, err
	}
	st.Tiles = n

	_, _, _, legendH := legendLayout(m, width)
	totalH := f.mapH + legendH
	sw := newWriter(w)
	sw.printf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="%s" height="%s" role="img" font-family="sans-serif" font-size="11">`,
		num(width), num(totalH), num(width), num(totalH))
	sw.printf(`<title>%s</title>`, esc(m.Title))
	// Centre the map horizontally; coordinates are in deci-pixels.
	sw.printf(`<g transform="translate(%s 0) scale(0.1)" stroke-linejoin="round" stroke-linecap="round">`, num((width-f.mapW)/2))
	sw.str(`<g stroke="none">`)
	for _, i := range m.Features {
		rs := dr.rings[i]
		if len(rs) == 0 {
			continue
		}
		st.Paths++
		c := m.Class(i)
		fill := NoData
		if c >= 0 && c < len(m.Legend) {
			fill = m.Legend[c].Fill
		}
		code := ""
		if m.Code != nil {
			code = m.Code(i)
		}
		sw.printf(`<path class="area" data-code="%s" fill="%s" d="`, esc(code), fill)
		for _, r := range rs {
			writeRing(sw, r)
		}
		sw.str(`">`)
		if m.Label != nil {
			sw.printf(`<title>%s</title>`, esc(m.Label(i)))
		}
		sw.str(`</path>`)
	}
	sw.str(`</g>`)
	styles := [3]string{
		areaLine:  `class="area-lines" fill="none" stroke="#ffffff" stroke-width="6" stroke-opacity="0.85"`,
		groupLine: `class="group-lines" fill="none" stroke="#222222" stroke-width="11"`,
		outline:   `class="outline" fill="none" stroke="#000000" stroke-width="22"`,
	}
	for c := range dr.lines {
		merged := slices.Compact(sortSegs(dr.lines[c]))
		st.Segments += len(merged)
		if len(merged) == 0 {
			continue
		}
		sw.printf(`<path %s d="`, styles[c])
		writeChains(sw, merged)
		sw.str(`"/>`)
	}
	sw.str(`</g>`)
	if m.Mark != nil {
		writeMarks(sw, m, &f, (width-f.mapW)/2)
	}
	writeLegend(sw, m, width, f.mapH)
	sw.str(`</svg>`)
	return st, sw.flush()
}

// collect renders the tiles covering the frame with the features of the map, decodes them, and
// returns the features' rings and the classified lines, with the number of tiles that had any.
func (m *Map) collect(ctx context.Context, f *frame) (*drawing, int, error) {
	in := make([]bool, m.Shapes.Len())
	for _, i := range m.Features {
		if i < 0 || i >= len(in) {
			return nil, 0, fmt.Errorf("%w: feature %d out of range", ErrMap, i)
		}
		in[i] = true
	}
	layer := tiles.Layer{Name: "areas", Shapes: m.Shapes, Attrs: func(i int, _ []tiles.Value) bool { return in[i] }}
	dr := &drawing{rings: make(map[int][][][2]int64)}
	// The features on either side of each edge of one tile (a and b; n counts them, up to 3).
	type use struct {
		n    uint8
		a, b int32
	}
	edges := make(map[seg]use)
	n := 0
	for ty := f.ty0; ty <= f.ty1; ty++ {
		for tx := f.tx0; tx <= f.tx1; tx++ {
			if err := ctx.Err(); err != nil {
				return nil, 0, err
			}
			t := maptile.New(tx, ty, maptile.Zoom(f.z))
			data, err := tiles.Render(ctx, t, layer)
			if err != nil {
				return nil, 0, fmt.Errorf("svg: map: %w", err)
			}
			if data == nil {
				continue
			}
			n++
			layers, err := mvt.Unmarshal(data)
			if err != nil {
				return nil, 0, fmt.Errorf("svg: map: decode tile %d/%d/%d: %w", t.Z, t.X, t.Y, err)
			}
			ox, oy := int64(tx)*tiles.Extent, int64(ty)*tiles.Extent
			clear(edges)
			for _, l := range layers {
				for _, ft := range l.Features {
					id, ok := ft.ID.(float64)
					if !ok || id < 1 || int(id) > len(in) {
						return nil, 0, fmt.Errorf("%w: tile %d/%d/%d has a feature with id %v", ErrMap, t.Z, t.X, t.Y, ft.ID)
					}
					fi := int32(id) - 1
					for _, r := range polygonRings(ft.Geometry) {
						if len(r) > 1 && r[0] == r[len(r)-1] {
							r = r[:len(r)-1]
						}
						if len(r) < 3 {
							continue
						}
						g := make([][2]int64, len(r))
						out := make([][2]int64, 0, len(r))
						for k, p := range r {
							g[k] = [2]int64{int64(p[0]) + ox, int64(p[1]) + oy}
							if q := f.px(float64(g[k][0]), float64(g[k][1])); len(out) == 0 || out[len(out)-1] != q {
								out = append(out, q)
							}
						}
						if len(out) >= 3 {
							dr.rings[int(fi)] = append(dr.rings[int(fi)], out)
						}
						prev := g[len(g)-1]
						for _, p := range g {
							k := canonical(prev, p)
							prev = p
							u := edges[k]
							switch u.n {
							case 0:
								u.a = fi
							case 1:
								u.b = fi
							}
							u.n = min(u.n+1, 3)
							edges[k] = u
						}
					}
				}
			}
			// Keep each edge's part inside the tile proper (not its buffer, where the clipping
			// edges lie), classified by the features on either side.
			lo := [2]float64{float64(ox), float64(oy)}
			hi := [2]float64{float64(ox + tiles.Extent), float64(oy + tiles.Extent)}
			for e, u := range edges {
				var class int
				switch {
				case u.n == 2 && u.a == u.b:
					continue // inside one feature (two of its parts touching)
				case u.n == 1:
					class = outline
				case u.n == 2 && m.Group != nil && m.Group(int(u.a)) != m.Group(int(u.b)):
					class = groupLine
				case m.AreaLines:
					class = areaLine
				default:
					continue
				}
				a, b, ok := clipSegment(e.a, e.b, lo, hi)
				if !ok {
					continue
				}
				if pa, pb := f.px(a[0], a[1]), f.px(b[0], b[1]); pa != pb {
					dr.lines[class] = append(dr.lines[class], canonical(pa, pb))
				}
			}
		}
	}
	return dr, n, nil
}

// mercator projects a WGS84 point to normalised Web Mercator: 0..1 across the world, y down.
func mercator(p orb.Point) (float64, float64) {
	lat := math.Max(-85.05112878, math.Min(85.05112878, p[1]))
	x := (p[0] + 180) / 360
	s := math.Sin(lat * math.Pi / 180)
	y := 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)
	return x, y
}

func clampTile(v float64, last uint32) uint32 {
	if v <= 0 {
		return 0
	}
	if v >= float64(last) {
		return last
	}
	return uint32(v)
}

// polygonRings lists the rings of a decoded polygon or multipolygon.
func polygonRings(g orb.Geometry) []orb.Ring {
	switch g := g.(type) {
	case orb.Polygon:
		return g
	case orb.MultiPolygon:
		var out []orb.Ring
		for _, p := range g {
			out = append(out, p...)
		}
		return out
	}
	return nil
}

func less(a, b [2]int64) bool { return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1]) }

func canonical(a, b [2]int64) seg {
	if less(b, a) {
		a, b = b, a
	}
	return seg{a, b}
}

func sortSegs(s []seg) []seg {
	slices.SortFunc(s, func(x, y seg) int {
		return cmp.Or(cmp.Compare(x.a[0], y.a[0]), cmp.Compare(x.a[1], y.a[1]), cmp.Compare(x.b[0], y.b[0]), cmp.Compare(x.b[1], y.b[1]))
	})
	return s
}

// clipSegment clips segment ab (global units, a < b) to the box lo..hi (Liang–Barsky).
func clipSegment(a, b [2]int64, lo, hi [2]float64) (p, q [2]float64, ok bool) {
	ax, ay := float64(a[0]), float64(a[1])
	dx, dy := float64(b[0])-ax, float64(b[1])-ay
	t0, t1 := 0.0, 1.0
	for _, c := range [4][2]float64{{-dx, ax - lo[0]}, {dx, hi[0] - ax}, {-dy, ay - lo[1]}, {dy, hi[1] - ay}} {
		pp, qq := c[0], c[1]
		if pp == 0 {
			if qq < 0 {
				return p, q, false
			}
			continue
		}
		r := qq / pp
		if pp < 0 {
			t0 = math.Max(t0, r)
		} else {
			t1 = math.Min(t1, r)
		}
	}
	if t0 >= t1 {
		return p, q, false
	}
	return [2]float64{ax + t0*dx, ay + t0*dy}, [2]float64{ax + t1*dx, ay + t1*dy}, true
}

// writeRing writes a closed ring as an absolute move and relative lines.
func writeRing(sw *writer, r [][2]int64) {
	sw.pair('M', r[0][0], r[0][1])
	prev := r[0]
	for _, p := range r[1:] {
		sw.pair('l', p[0]-prev[0], p[1]-prev[1])
		prev = p
	}
	sw.str("z")
}

// writeChains joins sorted, distinct segments into polylines (each segment used once, the lowest
// continuation first) and writes them.
func writeChains(sw *writer, segs []seg) {
	at := make(map[[2]int64][]int32, 2*len(segs))
	for i, s := range segs {
		at[s.a] = append(at[s.a], int32(i))
		at[s.b] = append(at[s.b], int32(i))
	}
	used := make([]bool, len(segs))
	next := func(p [2]int64) ([2]int64, bool) {
		for _, i := range at[p] {
			if used[i] {
				continue
			}
			used[i] = true
			if segs[i].a == p {
				return segs[i].b, true
			}
			return segs[i].a, true
		}
		return p, false
	}
	var fwd, back [][2]int64
	for i, s := range segs {
		if used[i] {
			continue
		}
		used[i] = true
		fwd = append(fwd[:0], s.a, s.b)
		for p, ok := next(s.b); ok; p, ok = next(p) {
			fwd = append(fwd, p)
		}
		back = back[:0]
		for p, ok := next(s.a); ok; p, ok = next(p) {
			back = append(back, p)
		}
		slices.Reverse(back)
		chain := append(back, fwd...)
		sw.pair('M', chain[0][0], chain[0][1])
		for k := 1; k < len(chain); k++ {
			sw.pair('l', chain[k][0]-chain[k-1][0], chain[k][1]-chain[k-1][1])
		}
		back = chain[:0]
	}
}

// writeMarks writes the features' marks, dark text on a white halo so that it reads on any fill.
func writeMarks(sw *writer, m *Map, f *frame, dx float64) {
	sw.printf(`<g class="marks" transform="translate(%s 0)" text-anchor="middle" font-size="11" font-weight="bold" fill="#111111" stroke="#ffffff" stroke-width="3" paint-order="stroke">`, num(dx))
	for _, i := range m.Features {
		text, p := m.Mark(i)
		if text == "" {
			continue
		}
		x, y := mercator(p)
		px, py := (x-f.x0)*f.s0+pad, (y-f.y0)*f.s0+pad
		if px < 0 || py < 0 || px > f.mapW || py > f.mapH {
			continue
		}
		// +4: the text's baseline, so that its middle is on the point.
		sw.printf(`<text class="mark" x="%s" y="%s">%s</text>`, num(px), num(py+4), esc(text))
	}
	sw.str(`</g>`)
}

// legendItem is an entry of the legend: a fill swatch, or a sample of a line style.
type legendItem struct {
	label, fill string
	line        int // 0: a fill; 1: group line; 2: outline
}

// legendItems are the legend's entries in order: the fills, then the lines that are drawn.
func legendItems(m *Map) []legendItem {
	var items []legendItem
	for _, s := range m.Legend {
		items = append(items, legendItem{label: s.Label, fill: s.Fill})
	}
	if m.Group != nil && m.GroupLine != "" {
		items = append(items, legendItem{label: m.GroupLine, line: 1})
	}
	if m.Outline != "" {
		items = append(items, legendItem{label: m.Outline, line: 2})
	}
	return items
}

const legendRow = 18.0

// legendLayout places the legend items in rows of the given width.
func legendLayout(m *Map, width float64) (items []legendItem, xs, ys []float64, height float64) {
	items = legendItems(m)
	x, y := pad, 8.0
	for _, it := range items {
		w := 22 + 6.2*float64(len([]rune(it.label))) + 14
		if x+w > width-pad && x > pad {
			x, y = pad, y+legendRow
		}
		xs, ys = append(xs, x), append(ys, y)
		x += w
	}
	return items, xs, ys, y + legendRow + 4
}

func writeLegend(sw *writer, m *Map, width, top float64) {
	items, xs, ys, _ := legendLayout(m, width)
	sw.printf(`<g class="legend" transform="translate(0 %s)">`, num(top))
	for k, it := range items {
		x, y := xs[k], ys[k]
		switch it.line {
		case 1:
			sw.printf(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#222222" stroke-width="1.1"/>`, num(x), num(x+16), num(y+6), num(y+6))
		case 2:
			sw.printf(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#000000" stroke-width="2.2"/>`, num(x), num(x+16), num(y+6), num(y+6))
		default:
			sw.printf(`<rect x="%s" y="%s" width="16" height="12" fill="%s" stroke="#999999" stroke-width="0.5"/>`, num(x), num(y), it.fill)
		}
		sw.printf(`<text x="%s" y="%s" fill="#333">%s</text>`, num(x+22), num(y+10), esc(it.label))
	}
	sw.str(`</g>`)
}
