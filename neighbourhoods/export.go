package neighbourhoods

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// WriteGeoJSON writes one feature per neighbourhood of a (RFC 7946, WGS84): its outline from
// outlines (keyed by neighbourhood name; a neighbourhood without one is written with a null
// geometry) and its figures as properties.
func WriteGeoJSON(w io.Writer, a *Assessment, outlines map[string]orb.MultiPolygon) error {
	fc := geojson.NewFeatureCollection()
	for _, n := range a.Neighbourhoods {
		var f *geojson.Feature
		if g, ok := outlines[n.Name]; ok && len(g) > 0 {
			f = geojson.NewFeature(g)
		} else {
			f = &geojson.Feature{Type: "Feature"}
		}
		var las, pcns []string
		for _, u := range n.LAs {
			las = append(las, u.Code)
		}
		for _, p := range n.PCNs {
			pcns = append(pcns, p.Code)
		}
		f.Properties = geojson.Properties{
			"name":           n.Name,
			"registered":     n.Registered,
			"in_band":        n.InBand,
			"band":           a.Band.String(),
			"dominant_pcn":   n.Dominant,
			"dominant_share": round4(n.DominantShare),
			"pcns":           strings.Join(pcns, ","),
			"las":            strings.Join(las, ","),
		}
		if n.Urban >= 0 {
			f.Properties["urban_share"] = round4(n.Urban)
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

func round4(v float64) float64 { return float64(int64(v*1e4+0.5)) / 1e4 }
