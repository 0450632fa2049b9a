package neighbourhoods

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"pcnmap/gpkg"
	"pcnmap/overlap"
)

// LayerName is the GeoPackage table Layer writes.
const LayerName = "neighbourhoods"

// column is one figure of a neighbourhood as both the GeoJSON and the GeoPackage export write it:
// the same names, the same values (in_band is a GeoJSON boolean and a GeoPackage BOOLEAN).
type column struct {
	field gpkg.Field
	value func(n *NeighbourhoodFigures) any // string, float64 or bool
}

// columns are the figures of a's neighbourhoods, in the GeoPackage's column order; wards only when
// the release has a ward context, urban_share only when it has the rural-urban one, the
// deprivation profile (imd_core20, imd_1 … imd_10, imd_unknown: shares of the residents) only when
// it has IMD deciles, the income and employment domains' profiles in the same form (income_core20,
// income_1 … income_10, income_unknown; employment_…) only when it has that domain's deciles, and ruc (the rural-urban classes with their shares, "A1:0.9408,C1:0.0405")
// only when it has the classes.
func columns(a *Assessment) []column {
	band := a.Band.String()
	cols := []column{
		{gpkg.Field{Name: "name", Type: gpkg.FieldText}, func(n *NeighbourhoodFigures) any { return n.Name }},
		{gpkg.Field{Name: "registered", Type: gpkg.FieldReal}, func(n *NeighbourhoodFigures) any { return n.Registered }},
		{gpkg.Field{Name: "in_band", Type: gpkg.FieldBoolean}, func(n *NeighbourhoodFigures) any { return n.InBand }},
		{gpkg.Field{Name: "band", Type: gpkg.FieldText}, func(*NeighbourhoodFigures) any { return band }},
		{gpkg.Field{Name: "dominant_pcn", Type: gpkg.FieldText}, func(n *NeighbourhoodFigures) any { return n.Dominant }},
		{gpkg.Field{Name: "dominant_share", Type: gpkg.FieldReal}, func(n *NeighbourhoodFigures) any { return round4(n.DominantShare) }},
		{gpkg.Field{Name: "pcns", Type: gpkg.FieldText}, func(n *NeighbourhoodFigures) any {
			codes := make([]string, len(n.PCNs))
			for i, p := range n.PCNs {
				codes[i] = p.Code
			}
			return strings.Join(codes, ",")
		}},
		{gpkg.Field{Name: "las", Type: gpkg.FieldText}, func(n *NeighbourhoodFigures) any {
			codes := make([]string, len(n.LAs))
			for i, u := range n.LAs {
				codes[i] = u.Code
			}
			return strings.Join(codes, ",")
		}},
	}
	for i := range a.Neighbourhoods {
		if a.Neighbourhoods[i].Wards != nil {
			cols = append(cols, column{gpkg.Field{Name: "wards", Type: gpkg.FieldText}, func(n *NeighbourhoodFigures) any {
				codes := make([]string, len(n.Wards))
				for i, u := range n.Wards {
					codes[i] = u.Code
				}
				return strings.Join(codes, ",")
			}})
			break
		}
	}
	for i := range a.Neighbourhoods {
		if a.Neighbourhoods[i].Urban >= 0 {
			cols = append(cols, column{gpkg.Field{Name: "urban_share", Type: gpkg.FieldReal}, func(n *NeighbourhoodFigures) any {
				if n.Urban < 0 {
					return nil
				}
				return round4(n.Urban)
			}})
			break
		}
	}
	// The deprivation profiles: the overall IMD's, then its income and employment domains'.
	for _, p := range []struct {
		prefix string
		get    func(n *NeighbourhoodFigures) *Deprivation
	}{
		{"imd", func(n *NeighbourhoodFigures) *Deprivation { return n.Deprivation }},
		{"income", func(n *NeighbourhoodFigures) *Deprivation { return n.Income }},
		{"employment", func(n *NeighbourhoodFigures) *Deprivation { return n.Employment }},
	} {
		cols = append(cols, profileColumns(a, p.prefix, p.get)...)
	}
	for i := range a.Neighbourhoods {
		if a.Neighbourhoods[i].RuralUrban != nil {
			cols = append(cols, column{gpkg.Field{Name: "ruc", Type: gpkg.FieldText}, func(n *NeighbourhoodFigures) any {
				classes := make([]string, len(n.RuralUrban))
				for i, u := range n.RuralUrban {
					classes[i] = u.Code + ":" + strconv.FormatFloat(round4(u.Share), 'f', -1, 64)
				}
				return strings.Join(classes, ",")
			}})
			break
		}
	}
	return cols
}

// profileColumns are prefix_core20, prefix_1 … prefix_10 and prefix_unknown, the shares of the
// Deprivation get gives; none when no neighbourhood of a has one (the release lacks those deciles).
func profileColumns(a *Assessment, prefix string, get func(n *NeighbourhoodFigures) *Deprivation) []column {
	for i := range a.Neighbourhoods {
		if get(&a.Neighbourhoods[i]) == nil {
			continue
		}
		share := func(name string, v func(p *Deprivation) float64) column {
			return column{gpkg.Field{Name: prefix + "_" + name, Type: gpkg.FieldReal}, func(n *NeighbourhoodFigures) any {
				p := get(n)
				if p == nil {
					return nil
				}
				return round4(v(p))
			}}
		}
		cols := []column{share("core20", func(p *Deprivation) float64 { return p.Core20 })}
		for d := range 10 {
			cols = append(cols, share(strconv.Itoa(d+1), func(p *Deprivation) float64 { return p.Deciles[d] }))
		}
		return append(cols, share("unknown", func(p *Deprivation) float64 { return p.Unknown }))
	}
	return nil
}

// WriteGeoJSON writes one feature per neighbourhood of a (RFC 7946, WGS84): its outline from
// outlines (keyed by neighbourhood name; a neighbourhood without one is written with a null
// geometry) and its figures as properties, those of Layer's columns.
func WriteGeoJSON(w io.Writer, a *Assessment, outlines map[string]orb.MultiPolygon) error {
	cols := columns(a)
	fc := geojson.NewFeatureCollection()
	for i := range a.Neighbourhoods {
		n := &a.Neighbourhoods[i]
		var f *geojson.Feature
		if g, ok := outlines[n.Name]; ok && len(g) > 0 {
			f = geojson.NewFeature(g)
		} else {
			f = &geojson.Feature{Type: "Feature"}
		}
		f.Properties = geojson.Properties{}
		for _, c := range cols {
			if v := c.value(n); v != nil {
				f.Properties[c.field.Name] = v
			}
		}
		fc.Append(f)
	}
	b, err := json.Marshal(fc)
	if err != nil {
		return fmt.Errorf("neighbourhoods: write geojson: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("neighbourhoods: write geojson: %w", err)
	}
	return nil
}

// Layer is a's neighbourhoods as one GeoPackage feature table (LayerName): the outlines as
// WriteGeoJSON draws them, the same figures as columns, a QGIS style outlining and labelling each.
func Layer(a *Assessment, outlines map[string]orb.MultiPolygon) gpkg.Layer {
	cols := columns(a)
	l := gpkg.Layer{Name: LayerName, Features: true,
		Description: fmt.Sprintf("Neighbourhoods of the footprint set %q: registered residents against the band %s, the PCNs holding at least %s of them, the dominant PCN's share, the local authorities",
			a.Set, a.Band, overlap.FormatThreshold(a.Threshold)),
		StyleName: "neighbourhoods",
		StyleQML:  gpkg.SingleQML(gpkg.Fill{Colour: gpkg.Colour{R: 0xe6, G: 0x61, B: 0x00, A: 40}, Outline: gpkg.Hex("#e66100"), Width: 0.8}, "name"),
	}
	for _, c := range cols {
		l.Fields = append(l.Fields, c.field)
	}
	for i := range a.Neighbourhoods {
		n := &a.Neighbourhoods[i]
		r := gpkg.Row{Geom: outlines[n.Name], Values: make([]any, len(cols))}
		for j, c := range cols {
			v := c.value(n)
			if b, ok := v.(bool); ok {
				v = gpkg.Bool(b)
			}
			r.Values[j] = v
		}
		l.Rows = append(l.Rows, r)
	}
	return l
}

func round4(v float64) float64 { return float64(int64(v*1e4+0.5)) / 1e4 }
