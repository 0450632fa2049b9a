package gis

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/paulmach/orb"

	"pcnmap/gpkg"
	"pcnmap/internal/atomicfile"
)

// WriteGeoPackage writes the layers to one GeoPackage at path; asOf is recorded as each table's last
// change (give the release's extract date, so the same release gives the same file).
func WriteGeoPackage(ctx context.Context, path string, asOf time.Time, layers []gpkg.Layer) error {
	return gpkg.Write(ctx, path, gpkg.Options{LastChange: asOf}, layers...)
}

// GeoJSONFiles are the file names WriteGeoJSON writes for the layers.
func GeoJSONFiles(layers []gpkg.Layer) []string {
	out := make([]string, len(layers))
	for i, l := range layers {
		out[i] = l.Name + ".geojson"
	}
	return out
}

// WriteGeoJSON writes each layer as an RFC 7946 FeatureCollection, <layer>.geojson in dir: WGS84
// lon/lat, exteriors anticlockwise, properties in the layer's column order, an attribute table's
// records as features with a null geometry. Each file is written under a temporary name and renamed.
func WriteGeoJSON(ctx context.Context, dir string, layers []gpkg.Layer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("gis: %w", err)
	}
	for _, l := range layers {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := writeFile(filepath.Join(dir, l.Name+".geojson"), func(w *bufio.Writer) error { return encodeLayer(w, l) }); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, write func(*bufio.Writer) error) error {
	if err := atomicfile.Write(path, write); err != nil {
		return fmt.Errorf("gis: %w", err)
	}
	return nil
}

func encodeLayer(w *bufio.Writer, l gpkg.Layer) error {
	names := make([][]byte, len(l.Fields))
	for i, f := range l.Fields {
		names[i], _ = json.Marshal(f.Name)
	}
	w.WriteString(`{"type":"FeatureCollection","name":`)
	n, _ := json.Marshal(l.Name)
	w.Write(n)
	w.WriteString(`,"features":[`)
	buf := make([]byte, 0, 64)
	for i, r := range l.Rows {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString("\n{\"type\":\"Feature\",\"id\":")
		w.WriteString(strconv.Itoa(i + 1))
		w.WriteString(`,"properties":{`)
		for j, v := range r.Values {
			if j > 0 {
				w.WriteByte(',')
			}
			w.Write(names[j])
			w.WriteByte(':')
			switch v := v.(type) {
			case nil:
				w.WriteString("null")
			case string:
				b, err := json.Marshal(v)
				if err != nil {
					return err
				}
				w.Write(b)
			case int64:
				w.Write(strconv.AppendInt(buf[:0], v, 10))
			case float64:
				if math.IsNaN(v) || math.IsInf(v, 0) {
					w.WriteString("null")
				} else {
					w.Write(strconv.AppendFloat(buf[:0], v, 'f', -1, 64))
				}
			default:
				return fmt.Errorf("%s: row %d: value of type %T", l.Name, i+1, v)
			}
		}
		w.WriteString(`},"geometry":`)
		if len(r.Geom) == 0 {
			w.WriteString("null")
		} else {
			writeMultiPolygon(w, r.Geom, buf)
		}
		w.WriteByte('}')
	}
	_, err := w.WriteString("\n]}\n")
	return err
}

// writeMultiPolygon writes coordinates with 7 decimals (about 1 cm), which round-trips the
// boundary files' own precision.
func writeMultiPolygon(w *bufio.Writer, mp orb.MultiPolygon, buf []byte) {
	w.WriteString(`{"type":"MultiPolygon","coordinates":[`)
	for i, p := range mp {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteByte('[')
		for j, r := range p {
			if j > 0 {
				w.WriteByte(',')
			}
			w.WriteByte('[')
			for k, pt := range r {
				if k > 0 {
					w.WriteByte(',')
				}
				w.WriteByte('[')
				w.Write(strconv.AppendFloat(buf[:0], pt[0], 'f', 7, 64))
				w.WriteByte(',')
				w.Write(strconv.AppendFloat(buf[:0], pt[1], 'f', 7, 64))
				w.WriteByte(']')
			}
			w.WriteByte(']')
		}
		w.WriteByte(']')
	}
	w.WriteString("]}")
}
