package gis

import (
	"fmt"
	"math"
	"strconv"

	"pcnmap/gpkg"
)

// viridis is the map's palette for PCNs per area: nine samples, interpolated in RGB (web/src/palette.ts).
var viridis = []string{"#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"}

// noData is the map's colour of areas with no PCN at the threshold.
const noData = "#d4d8dd"

// colourAt is the palette's colour at x (0..1).
func colourAt(stops []string, x float64) gpkg.Colour {
	p := math.Min(1, math.Max(0, x)) * float64(len(stops)-1)
	i := min(len(stops)-2, int(math.Floor(p)))
	a, b := gpkg.Hex(stops[i]), gpkg.Hex(stops[i+1])
	f := p - float64(i)
	mix := func(u, v uint8) uint8 { return uint8(math.Round(float64(u) + (float64(v)-float64(u))*f)) }
	return gpkg.Colour{R: mix(a.R, b.R), G: mix(a.G, b.G), B: mix(a.B, b.B), A: 255}
}

// CountClasses are the map's classes of PCNs per area from the histogram (histogram[k] = areas with
// k PCNs), as the map page draws them (web/src/palette.ts countClasses): one class per value when
// the range is small, else up to eight classes of about equal numbers of areas, coloured from the
// dark end of viridis (many PCNs) to the light end, and 0 in grey.
func CountClasses(histogram []int) []gpkg.Class {
	const maxClasses = 8
	lo := 1
	for lo < len(histogram) && histogram[lo] == 0 {
		lo++
	}
	hi := len(histogram) - 1
	for hi > 0 && histogram[hi] == 0 {
		hi--
	}
	if lo >= len(histogram) {
		lo = 1
	}
	if hi < lo {
		hi = lo
	}
	var lows []int
	if hi-lo+1 <= maxClasses {
		for k := lo; k <= hi; k++ {
			lows = append(lows, k)
		}
	} else {
		total := 0
		for _, n := range histogram[1:] {
			total += n
		}
		set := map[int]bool{lo: true}
		cum, next := 0, 1
		for k := lo; k <= hi && next < maxClasses; k++ {
			if k < len(histogram) {
				cum += histogram[k]
			}
			for next < maxClasses && float64(cum) >= float64(total*next)/maxClasses {
				if k+1 <= hi {
					set[k+1] = true
				}
				next++
			}
		}
		for k := lo; k <= hi; k++ {
			if set[k] {
				lows = append(lows, k)
			}
		}
	}
	white := gpkg.Colour{R: 255, G: 255, B: 255, A: 255}
	// Below the first class the map draws the no-data grey, as it does 0.
	grey := "0"
	if lows[0] > 1 {
		grey = fmt.Sprintf("0–%d", lows[0]-1)
	}
	out := []gpkg.Class{{Lower: -0.5, Upper: float64(lows[0]) - 0.5, Label: grey, Fill: gpkg.Fill{Colour: gpkg.Hex(noData), Outline: white, Width: 0.05}}}
	for i, l := range lows {
		top := hi
		if i+1 < len(lows) {
			top = lows[i+1] - 1
		}
		x := (1 + 0.05) / 2 // sample() of one colour: the middle of the range
		if len(lows) > 1 {
			x = 1 + (0.05-1)*float64(i)/float64(len(lows)-1)
		}
		label := strconv.Itoa(l)
		if top != l {
			label = fmt.Sprintf("%d–%d", l, top)
		}
		upper := float64(top) + 0.5
		if i+1 == len(lows) {
			upper = math.Max(upper, float64(len(histogram))+0.5)
		}
		out = append(out, gpkg.Class{Lower: float64(l) - 0.5, Upper: upper, Label: label,
			Fill: gpkg.Fill{Colour: colourAt(viridis, x), Outline: white, Width: 0.05}})
	}
	return out
}
