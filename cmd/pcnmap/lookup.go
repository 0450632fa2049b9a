package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"pcnmap/app"
	"pcnmap/csvsafe"
	"pcnmap/geo"
	"pcnmap/overlap"
)

func runLookup(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "lookup", "--db W.db (--lon X --lat Y | --points FILE.csv) [--release NAME] [--threshold 1%]\n\n"+
		"Finds the area containing a point and the PCNs serving it, or, with --points, appends\n"+
		"area_code, area_name and error to every row of a CSV with lon/lat (or longitude/latitude, x/y)\n"+
		"columns in WGS84; a count of the rows, and the release used, go to stderr.")
	db := fs.String("db", "", "workspace `file`")
	release := fs.String("release", "", "release `name` (default: the newest)")
	lonS := fs.String("lon", "", "longitude (WGS84)")
	latS := fs.String("lat", "", "latitude (WGS84)")
	points := fs.String("points", "", "`CSV` of points; results go to stdout")
	threshold := thresholdFlag(fs, "threshold for the PCNs listed for a point")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "db"); err != nil {
		return err
	}
	if (*points == "") == (*lonS == "" && *latS == "") {
		return fmt.Errorf("%w: lookup: give either --lon and --lat, or --points", errUsage)
	}
	t := float64(*threshold)
	if *points != "" {
		// Locating points needs the areas' polygons and nothing else of the release.
		name, idx, err := app.PointIndex(ctx, *db, *release)
		if err != nil {
			return err
		}
		f, err := os.Open(*points)
		if err != nil {
			return fmt.Errorf("--points: %w", err)
		}
		defer f.Close()
		n, err := lookupPoints(ctx, e.stdout, idx, f, *points)
		if err != nil {
			return fmt.Errorf("--points %w", err)
		}
		fmt.Fprintf(e.stderr, "release %s: %d rows: %d in an area, %d outside every area, %d without a usable lon,lat (see the error column)\n",
			name, n.rows, n.located, n.outside, n.bad)
		return nil
	}
	lon, err1 := strconv.ParseFloat(*lonS, 64)
	lat, err2 := strconv.ParseFloat(*latS, 64)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("%w: lookup: --lon %q --lat %q are not numbers", errUsage, *lonS, *latS)
	}
	// One point reads one area of the release.
	d, a, err := app.LocateOne(ctx, *db, *release, orb.Point{lon, lat})
	if errors.Is(err, geo.ErrNotFound) {
		return fmt.Errorf("lookup: %w", err)
	}
	if err != nil {
		return err
	}
	area := &d.Areas[a]
	m := d.AreaAt(a, t)
	fmt.Fprintf(e.stdout, "%s\t%s\tregistered %d\tPCNs %d at %s, %d with any patients\trelease %s\n", area.Code, area.Name, area.Registered, m.PCNs, overlap.FormatThreshold(t), m.PCNsAny, d.Release)
	for _, c := range app.AreaPCNs(d, a, t) {
		if !c.Serves {
			continue
		}
		p := &d.PCNs[c.PCN]
		fmt.Fprintf(e.stdout, "  %s\t%s\t%d\t%.1f%%\n", p.Code, p.Name, c.Patients, 100*c.Share)
	}
	return nil
}

// pointsCount is what lookupPoints did with the rows of a CSV of points.
type pointsCount struct {
	rows, located, outside, bad int
}

// lookupPoints streams a CSV of points to w with area_code, area_name and error appended. Every row
// is written, in order: a point outside every area gets empty codes and "outside every area", a row
// whose coordinates do not parse gets empty codes and says why, so the output lines up with the input
// row for row. Only an unreadable file or header is an error.
func lookupPoints(ctx context.Context, w io.Writer, idx *geo.Index, in io.Reader, path string) (pointsCount, error) {
	var n pointsCount
	r := csv.NewReader(in)
	r.ReuseRecord = true
	r.FieldsPerRecord = -1 // a short or long row is reported on its own line, not fatal
	r.LazyQuotes = true
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return n, fmt.Errorf("%s: the file is empty; want a header with lon and lat columns", path)
		}
		return n, fmt.Errorf("%s: header: %w", path, err)
	}
	lonCol, latCol := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "lon", "long", "lng", "longitude", "x":
			lonCol = i
		case "lat", "latitude", "y":
			latCol = i
		}
	}
	if lonCol < 0 || latCol < 0 {
		return n, fmt.Errorf("%s: no lon/lat columns in header %q (want lon and lat, longitude and latitude, or x and y, in WGS84)", path, strings.Join(header, ","))
	}
	width := len(header)
	cw := csvsafe.NewWriter(w)
	if err := cw.Write(append(append([]string(nil), header...), "area_code", "area_name", "error")); err != nil {
		return n, err
	}
	out := make([]string, 0, width+3)
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, fmt.Errorf("%s: %w", path, err)
		}
		if line%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
		n.rows++
		// Pad or cut the row to the header's width so the appended columns line up.
		code, name, msg := "", "", ""
		out = append(out[:0], rec...)
		for len(out) < width {
			out = append(out, "")
		}
		if len(out) > width {
			out = out[:width]
		}
		lonS, latS := field(rec, lonCol), field(rec, latCol)
		lon, err1 := strconv.ParseFloat(lonS, 64)
		lat, err2 := strconv.ParseFloat(latS, 64)
		switch {
		case lonS == "" || latS == "":
			msg = "no coordinates"
		case err1 != nil || err2 != nil || math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0):
			msg = fmt.Sprintf("%q,%q is not a lon,lat pair", lonS, latS)
		case lon < -180 || lon > 180 || lat < -90 || lat > 90:
			msg = fmt.Sprintf("%s,%s is not WGS84 lon,lat (British National Grid metres?)", lonS, latS)
		default:
			if i, ok := idx.Locate(orb.Point{lon, lat}); ok {
				code, name = idx.Feature(i).Code, idx.Feature(i).Name
			} else {
				msg = "outside every area"
			}
		}
		if len(rec) > width {
			code, name, msg = "", "", fmt.Sprintf("%d fields, the header has %d", len(rec), width)
		}
		switch {
		case code != "":
			n.located++
		case msg == "outside every area":
			n.outside++
		default:
			n.bad++
		}
		if err := cw.Write(append(out, code, name, msg)); err != nil {
			return n, err
		}
	}
	cw.Flush()
	return n, cw.Error()
}

// field is rec[i] trimmed, or "" when the row is too short to have it.
func field(rec []string, i int) string {
	if i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}
