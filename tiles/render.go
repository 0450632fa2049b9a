package tiles

import (
	"context"
	"fmt"
	"math"
	"slices"
	"unicode/utf8"

	"github.com/paulmach/orb/maptile"
)

// FieldType is the type of an attribute.
type FieldType uint8

const (
	FieldString FieldType = iota + 1 // Value.Str, written as a string value
	FieldNumber                      // Value.Num, written as an integer when it is one, else a double
	FieldBool                        // Value.Bool
)

// String returns the type's name as TileJSON vector_layers write it.
func (t FieldType) String() string {
	switch t {
	case FieldString:
		return "String"
	case FieldNumber:
		return "Number"
	case FieldBool:
		return "Boolean"
	}
	return "unknown"
}

// Field is one attribute of a layer.
type Field struct {
	Name string
	Type FieldType
}

// Value is one attribute value of one feature. Render reads the member that matches the field's type;
// Null leaves the attribute out of that feature.
type Value struct {
	Str  string
	Num  float64
	Bool bool
	Null bool
}

// Layer is one layer of a tile: a prepared set of shapes, the schema of its attributes and the
// callback that fills them.
type Layer struct {
	Name   string
	Shapes *Shapes
	Fields []Field
	// Attrs, when not nil, fills vals (one per field, zeroed before each call) for feature i of Shapes
	// and reports whether the feature belongs in the layer at all. Render may call it from several
	// goroutines at once. When nil, every feature is drawn without attributes.
	Attrs func(i int, vals []Value) bool
	// Coalesce draws, at low zooms, features smaller than Options.Coalesce merged into their
	// neighbours (see Options.Coalesce): suits layers that draw every feature, such as a choropleth
	// of all areas; not layers whose Attrs leaves features out.
	Coalesce bool
}

// checkTile reports whether t is inside the pyramid 0..OverZoom.
func checkTile(t maptile.Tile) error {
	if t.Z > OverZoom {
		return fmt.Errorf("%w: zoom %d above %d", ErrOutOfRange, t.Z, OverZoom)
	}
	n := uint32(1) << t.Z
	if t.X >= n || t.Y >= n {
		return fmt.Errorf("%w: %d/%d/%d", ErrOutOfRange, t.Z, t.X, t.Y)
	}
	return nil
}

func checkLayers(layers []Layer) error {
	for i, l := range layers {
		if l.Name == "" || !utf8.ValidString(l.Name) {
			return fmt.Errorf("tiles: layer %d has no name, or one that is not UTF-8", i)
		}
		if l.Shapes == nil || len(l.Shapes.levels) != MaxZoom+1 {
			return fmt.Errorf("tiles: layer %q has no prepared shapes", l.Name)
		}
		for _, f := range l.Fields {
			if f.Name == "" || !utf8.ValidString(f.Name) || f.Type < FieldString || f.Type > FieldBool {
				return fmt.Errorf("tiles: layer %q: field %q of type %d is not valid", l.Name, f.Name, f.Type)
			}
		}
		for _, m := range layers[:i] {
			if m.Name == l.Name {
				return fmt.Errorf("tiles: layer %q given twice", l.Name)
			}
		}
	}
	return nil
}

// Render draws tile t of the layers as an uncompressed Mapbox Vector Tile 2.1 (extent 4096). It
// returns nil and no error when no layer has a feature in the tile; layers without features are left
// out. Feature ids are the features' indexes plus one. Geometry is clipped to the tile plus Buffer
// units on each side; exterior rings are clockwise on screen (positive area in tile coordinates, y
// down) and holes anticlockwise, as MVT 2.1 requires. Tiles above MaxZoom are drawn from the MaxZoom
// geometry.
func Render(ctx context.Context, t maptile.Tile, layers ...Layer) ([]byte, error) {
	if err := checkTile(t); err != nil {
		return nil, err
	}
	if err := checkLayers(layers); err != nil {
		return nil, err
	}
	e := getEncoder()
	defer putEncoder(e)
	for i := range layers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := e.layer(ctx, t, &layers[i]); err != nil {
			return nil, err
		}
	}
	if len(e.buf) == 0 {
		return nil, nil
	}
	return slices.Clone(e.buf), nil
}

// ip is a point in tile coordinates, wide enough for over-zoomed tiles before clipping.
type ip struct{ x, y int64 }

// layer appends one layer of tile t to e.buf.
func (e *encoder) layer(ctx context.Context, t maptile.Tile, l *Layer) error {
	s := l.Shapes
	lz := min(int(t.Z), MaxZoom)
	shift := uint(int(t.Z) - lz)
	lev := s.levels[lz]
	if lev == nil {
		return fmt.Errorf("tiles: layer %q was not prepared at zoom %d (Options.Zooms)", l.Name, lz)
	}

	n := math.Ldexp(1, int(t.Z))
	margin := float64(Buffer+(int64(1)<<shift)) / Extent
	qmin := [2]float64{(float64(t.X) - margin) / n, (float64(t.Y) - margin) / n}
	qmax := [2]float64{(float64(t.X) + 1 + margin) / n, (float64(t.Y) + 1 + margin) / n}
	e.ids = e.ids[:0]
	s.tree.Search(qmin, qmax, func(_, _ [2]float64, i int32) bool {
		e.ids = append(e.ids, i)
		return true
	})
	if len(e.ids) == 0 {
		return nil
	}
	alias := lev.alias != nil && l.Coalesce
	if alias {
		for k, i := range e.ids {
			e.ids[k] = lev.alias[i]
		}
	}
	slices.Sort(e.ids)
	if alias {
		e.ids = slices.Compact(e.ids)
	}

	e.startLayer()
	e.ox, e.oy = int64(t.X)*Extent, int64(t.Y)*Extent
	e.shift = shift
	if cap(e.vals) < len(l.Fields) {
		e.vals = make([]Value, len(l.Fields))
	}
	vals := e.vals[:len(l.Fields)]
	nfeat := 0
	for k, i := range e.ids {
		if k%64 == 63 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if l.Attrs != nil {
			clear(vals)
			if !l.Attrs(int(i), vals) {
				continue
			}
		}
		e.geom = e.geom[:0]
		e.cx, e.cy = 0, 0
		if g := lev.gfeat; alias && g[i].end > g[i].start {
			for p := g[i].start; p < g[i].end; p++ {
				ps := lev.gpolys[p]
				for r := ps.start; r < ps.end; r++ {
					gr := &lev.grings[r]
					if !e.ring(lev, lev.grefs[gr.refs.start:gr.refs.end], &gr.ringLevel, r == ps.start) && r == ps.start {
						break
					}
				}
			}
		} else {
			sh := &s.feats[i]
			for p := sh.polys.start; p < sh.polys.end; p++ {
				ps := s.polys[p]
				for r := ps.start; r < ps.end; r++ {
					if !e.ring(lev, s.refs[s.rings[r].start:s.rings[r].end], &lev.rings[r], r == ps.start) && r == ps.start {
						break
					}
				}
			}
		}
		if len(e.geom) == 0 {
			continue
		}
		e.tags = e.tags[:0]
		for j, f := range l.Fields {
			if vals[j].Null {
				continue
			}
			e.tags = append(e.tags, uint32(j), e.value(f.Type, &vals[j]))
		}
		e.feature(uint64(i) + 1)
		nfeat++
	}
	if nfeat > 0 {
		e.endLayer(l)
	}
	return nil
}

// ring assembles the ring made of refs at this level in tile coordinates, clips it, and appends its
// commands to e.geom, oriented as an exterior or a hole. It reports whether anything was drawn.
func (e *encoder) ring(lev *level, refs []int32, rl *ringLevel, exterior bool) bool {
	if rl.n == 0 {
		return false
	}
	const lo, hi = -Buffer, Extent + Buffer
	sh := e.shift
	minX := int64(rl.box.minX)<<sh - e.ox
	maxX := int64(rl.box.maxX)<<sh - e.ox
	minY := int64(rl.box.minY)<<sh - e.oy
	maxY := int64(rl.box.maxY)<<sh - e.oy
	if maxX < lo || minX > hi || maxY < lo || minY > hi {
		return false
	}
	inside := minX >= lo && maxX <= hi && minY >= lo && maxY <= hi

	r := e.ra[:0]
	for k, ref := range refs {
		if ref >= 0 {
			pts := lev.pts[lev.arcs[ref]:lev.arcs[ref+1]]
			if k > 0 {
				pts = pts[1:]
			}
			for _, p := range pts {
				r = append(r, ip{int64(p.x)<<sh - e.ox, int64(p.y)<<sh - e.oy})
			}
		} else {
			a := ^ref
			pts := lev.pts[lev.arcs[a]:lev.arcs[a+1]]
			last := len(pts) - 1
			if k > 0 {
				last--
			}
			for j := last; j >= 0; j-- {
				p := pts[j]
				r = append(r, ip{int64(p.x)<<sh - e.ox, int64(p.y)<<sh - e.oy})
			}
		}
	}
	if !inside {
		r = e.clip(r)
	}
	e.ra = r[:0]
	// Drop consecutive duplicates (clipping can make them) and the closing point.
	w := 0
	for _, p := range r {
		if w > 0 && r[w-1] == p {
			continue
		}
		r[w] = p
		w++
	}
	for w > 1 && r[w-1] == r[0] {
		w--
	}
	r = r[:w]
	if len(r) < 3 {
		return false
	}
	var area int64
	prev := r[len(r)-1]
	for _, p := range r {
		area += prev.x*p.y - p.x*prev.y
		prev = p
	}
	if area == 0 {
		return false
	}
	if (area > 0) != exterior {
		slices.Reverse(r)
	}
	e.path(r)
	return true
}

// clip clips ring r (held in e.ra) to the tile plus its buffer, Sutherland–Hodgman style, one edge at
// a time. A clipped edge's new end point is computed from the edge's end points in a canonical
// order, so two neighbours that share the edge get the same point.
func (e *encoder) clip(r []ip) []ip {
	const lo, hi = -Buffer, Extent + Buffer
	in, out := r, e.rb[:0]
	for edge := range 4 {
		if len(in) == 0 {
			break
		}
		out = out[:0]
		prev := in[len(in)-1]
		pin := clipInside(prev, edge, lo, hi)
		for _, cur := range in {
			cin := clipInside(cur, edge, lo, hi)
			if cin != pin {
				out = append(out, clipCross(prev, cur, edge, lo, hi))
			}
			if cin {
				out = append(out, cur)
			}
			prev, pin = cur, cin
		}
		in, out = out, in
	}
	// in holds the result; hand the other buffer back for reuse.
	e.rb = out[:0]
	return in
}

func clipInside(p ip, edge int, lo, hi int64) bool {
	switch edge {
	case 0:
		return p.x >= lo
	case 1:
		return p.x <= hi
	case 2:
		return p.y >= lo
	default:
		return p.y <= hi
	}
}

// clipCross is where segment ab crosses the clip line of edge.
func clipCross(a, b ip, edge int, lo, hi int64) ip {
	if b.x < a.x || (b.x == a.x && b.y < a.y) {
		a, b = b, a
	}
	c := lo
	if edge == 1 || edge == 3 {
		c = hi
	}
	if edge < 2 {
		t := float64(c-a.x) / float64(b.x-a.x)
		return ip{c, a.y + int64(math.Round(float64(b.y-a.y)*t))}
	}
	t := float64(c-a.y) / float64(b.y-a.y)
	return ip{a.x + int64(math.Round(float64(b.x-a.x)*t)), c}
}
