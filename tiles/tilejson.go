package tiles

import (
	"math"

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
	MinZoom    maptile.Zoom
	// MaxZoom is the highest zoom of the tile set; zero means MaxZoom.
	MaxZoom maptile.Zoom
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
		MinZoom:      int(md.MinZoom),
		MaxZoom:      int(md.MaxZoom),
		Bounds:       [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]},
		Center:       [3]float64{md.Center[0], md.Center[1], float64(md.CenterZoom)},
		VectorLayers: vectorLayers(md, layers),
	}
}

// resolve fills in Metadata's defaults from the layers.
func (md Metadata) resolve(layers []Layer) Metadata {
	if md.MaxZoom == 0 {
		md.MaxZoom = MaxZoom
	}
	md.MinZoom = min(md.MinZoom, md.MaxZoom)
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
		md.CenterZoom = maptile.Zoom(max(int(md.MinZoom), min(int(md.MaxZoom), z)))
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
		out = append(out, VectorLayer{ID: l.Name, MinZoom: int(md.MinZoom), MaxZoom: int(md.MaxZoom), Fields: fields})
	}
	return out
}
