package tiles

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// Metadata describes a tile set, for TileJSON and MBTiles.
type Metadata struct {
	Name        string
	Description string
	Attribution string // e.g. the Open Government Licence line of the data
	Version     string // the tile set's version, if any
	// Bounds is the WGS84 extent; empty (the zero Bound) means the union of the layers' shapes.
	Bounds orb.Bound
	// Center is the default view; the zero point means the centre of Bounds, at CenterZoom.
	Center     orb.Point
	CenterZoom maptile.Zoom
	// Zooms are the zooms of the tile set: AllZooms for 0..MaxZoom; the zero value is zoom 0 alone.
	Zooms Zooms
}

// Zooms is an inclusive range of zooms. Its zero value is zoom 0 alone, so that a range is always
// what it says (a "zero means the maximum" rule made a z0-only tile set impossible).
type Zooms struct {
	Min, Max maptile.Zoom
}

// AllZooms is every zoom pcnmap draws.
var AllZooms = Zooms{0, MaxZoom}

// check refuses a range that is empty or reaches above MaxZoom.
func (z Zooms) check() error {
	if z.Min > z.Max || z.Max > MaxZoom {
		return fmt.Errorf("%w: zooms %d-%d: want min ≤ max ≤ %d", ErrOutOfRange, z.Min, z.Max, MaxZoom)
	}
	return nil
}

// VectorLayer describes one layer of a tile set: its id and the types of its fields, as TileJSON
// 3.0.0 vector_layers and the MBTiles json metadata write them.
type VectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description,omitempty"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
}

// TileJSONDoc is a TileJSON 3.0.0 document.
type TileJSONDoc struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name,omitempty"`
	Description  string        `json:"description,omitempty"`
	Version      string        `json:"version,omitempty"`
	Attribution  string        `json:"attribution,omitempty"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       [4]float64    `json:"bounds"`
	Center       [3]float64    `json:"center"`
	VectorLayers []VectorLayer `json:"vector_layers"`
}

// TileJSON describes layers served at the tile URL templates (with {z}, {x} and {y}) as a TileJSON
// 3.0.0 document. It is a pure function of its arguments.
func TileJSON(tileURLs []string, md Metadata, layers ...Layer) TileJSONDoc {
	md = md.resolve(layers)
	b := md.Bounds
	return TileJSONDoc{
		TileJSON:     "3.0.0",
		Name:         md.Name,
		Description:  md.Description,
		Version:      md.Version,
		Attribution:  md.Attribution,
		Scheme:       "xyz",
		Tiles:        append([]string{}, tileURLs...),
		MinZoom:      int(md.Zooms.Min),
		MaxZoom:      int(md.Zooms.Max),
		Bounds:       [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]},
		Center:       [3]float64{md.Center[0], md.Center[1], float64(md.CenterZoom)},
		VectorLayers: vectorLayers(md, layers),
	}
}

// resolve fills in Metadata's defaults from the layers.
func (md Metadata) resolve(layers []Layer) Metadata {
	md.Zooms.Max = min(md.Zooms.Max, MaxZoom)
	md.Zooms.Min = min(md.Zooms.Min, md.Zooms.Max)
	if md.Bounds == (orb.Bound{}) {
		first := true
		for _, l := range layers {
			if l.Shapes == nil || l.Shapes.bound == (orb.Bound{}) {
				continue
			}
			if first {
				md.Bounds, first = l.Shapes.bound, false
			} else {
				md.Bounds = md.Bounds.Union(l.Shapes.bound)
			}
		}
		if first {
			md.Bounds = orb.Bound{Min: orb.Point{-180, -85.0511287798066}, Max: orb.Point{180, 85.0511287798066}}
		}
	}
	if md.Center == (orb.Point{}) {
		md.Center = md.Bounds.Center()
		// The zoom at which the bounds span about two tiles, within the tile set's zooms.
		w := math.Max(md.Bounds.Max[0]-md.Bounds.Min[0], 1e-9)
		z := int(math.Floor(math.Log2(720 / w)))
		md.CenterZoom = maptile.Zoom(max(int(md.Zooms.Min), min(int(md.Zooms.Max), z)))
	}
	return md
}

func vectorLayers(md Metadata, layers []Layer) []VectorLayer {
	out := make([]VectorLayer, 0, len(layers))
	for _, l := range layers {
		fields := make(map[string]string, len(l.Fields))
		for _, f := range l.Fields {
			fields[f.Name] = f.Type.String()
		}
		out = append(out, VectorLayer{ID: l.Name, MinZoom: int(md.Zooms.Min), MaxZoom: int(md.Zooms.Max), Fields: fields})
	}
	return out
}

// TileJSON describes the file as a TileJSON 3.0.0 document without tile URLs, from its metadata
// table: the name, description, version, attribution, zooms, bounds and center rows, and the
// vector_layers of the json row (each id must be usable in a URL path, and there must be one). Rows
// absent or malformed get TileJSON's defaults (zooms 0-MaxZoom, the whole world, its centre).
func (m *MBTiles) TileJSON() (TileJSONDoc, error) {
	return metadataTileJSON("mbtiles "+m.name, m.Metadata())
}

// metadataTileJSON is the TileJSON of a tile set from its MBTiles-style metadata; what names it in
// errors.
func metadataTileJSON(what string, md map[string]string) (TileJSONDoc, error) {
	var js struct {
		VectorLayers []VectorLayer `json:"vector_layers"`
	}
	if err := json.Unmarshal([]byte(md["json"]), &js); err != nil {
		return TileJSONDoc{}, fmt.Errorf("tiles: %s: metadata json: %w", what, err)
	}
	seen := map[string]bool{}
	for _, l := range js.VectorLayers {
		if l.ID == "" || strings.ContainsAny(l.ID, "/?#") || seen[l.ID] {
			return TileJSONDoc{}, fmt.Errorf("tiles: %s: vector layer id %q cannot be served", what, l.ID)
		}
		seen[l.ID] = true
	}
	if len(js.VectorLayers) == 0 {
		return TileJSONDoc{}, fmt.Errorf("tiles: %s: no vector_layers in the metadata", what)
	}
	atoi := func(k string, def int) int {
		if v, err := strconv.Atoi(strings.TrimSpace(md[k])); err == nil {
			return v
		}
		return def
	}
	floats := func(k string, n int) []float64 {
		parts := strings.Split(md[k], ",")
		if len(parts) != n {
			return nil
		}
		out := make([]float64, n)
		for i, p := range parts {
			v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return nil
			}
			out[i] = v
		}
		return out
	}
	doc := TileJSONDoc{
		TileJSON: "3.0.0", Name: md["name"], Description: md["description"], Version: md["version"],
		Attribution: md["attribution"], Scheme: "xyz",
		MinZoom: atoi("minzoom", 0), MaxZoom: atoi("maxzoom", MaxZoom),
		Bounds:       [4]float64{-180, -85.0511287798066, 180, 85.0511287798066},
		VectorLayers: js.VectorLayers,
	}
	if b := floats("bounds", 4); b != nil {
		doc.Bounds = [4]float64(b)
	}
	if c := floats("center", 3); c != nil {
		doc.Center = [3]float64(c)
	} else {
		b := doc.Bounds
		doc.Center = [3]float64{(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, float64(doc.MinZoom)}
	}
	return doc, nil
}
