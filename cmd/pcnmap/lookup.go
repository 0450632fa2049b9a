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
		"area_code and area_name to each row of a CSV with lon/lat (or longitude/latitude, x/y) columns.")
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
	d, err := app.Load(ctx, *db, *release)
	if err != nil {
		return err
	}
	idx := app.AreaIndex(d)
	if *points != "" {
		f, err := os.Open(*points)
		if err != nil {
			return fmt.Errorf("lookup: %w", err)
		}
		defer f.Close()
		return lookupPoints(ctx, e.stdout, idx, f, *points)
	}
	lon, err1 := strconv.ParseFloat(*lonS, 64)
	lat, err2 := strconv.ParseFloat(*latS, 64)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("%w: lookup: --lon %q --lat %q are not numbers", errUsage, *lonS, *latS)
	}
	a, err := app.Locate(idx, orb.Point{lon, lat})
	if err != nil {
		return fmt.Errorf("lookup: %w", err)
	}
	area := &d.Areas[a]
	m := d.AreaAt(a, t)
	fmt.Fprintf(e.stdout, "%s\t%s\tregistered %d\tPCNs %d at %s, %d with any patients\n", area.Code, area.Name, area.Registered, m.PCNs, overlap.FormatThreshold(t), m.PCNsAny)
	for _, c := range app.AreaPCNs(d, a, t) {
		if !c.Serves {
			continue
		}
		p := &d.PCNs[c.PCN]
		fmt.Fprintf(e.stdout, "  %s\t%s\t%d\t%.1f%%\n", p.Code, p.Name, c.Patients, 100*c.Share)
	}
	return nil
}

// lookupPoints streams a CSV of points to w with area_code and area_name appended; a point outside
// every area gets empty columns, a row whose coordinates do not parse is an error naming the line.
func lookupPoints(ctx context.Context, w io.Writer, idx *geo.Index, in io.Reader, path string) error {
	r := csv.NewReader(in)
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("lookup: %s: header: %w", path, err)
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
		return fmt.Errorf("lookup: %s: no lon/lat columns in header %q", path, strings.Join(header, ","))
	}
	cw := csvsafe.NewWriter(w)
	if err := cw.Write(append(append([]string(nil), header...), "area_code", "area_name")); err != nil {
		return err
	}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("lookup: %s: %w", path, err)
		}
		if line%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		lon, err1 := strconv.ParseFloat(strings.TrimSpace(rec[lonCol]), 64)
		lat, err2 := strconv.ParseFloat(strings.TrimSpace(rec[latCol]), 64)
		if err1 != nil || err2 != nil || math.IsNaN(lon) || math.IsNaN(lat) {
			return fmt.Errorf("lookup: %s: line %d: %q,%q is not a lon,lat pair", path, line, rec[lonCol], rec[latCol])
		}
		code, name := "", ""
		if i, ok := idx.Locate(orb.Point{lon, lat}); ok {
			code, name = idx.Feature(i).Code, idx.Feature(i).Name
		}
		if err := cw.Write(append(rec, code, name)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
