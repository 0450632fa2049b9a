package svg

import (
	"io"
	"math"
	"strconv"
)

// Bars is a grouped bar chart of counts: one group per category, one bar per series in each group.
// Each bar's height is its count as a share of its series' total, so series of different sizes (urban
// and rural areas) compare as distributions; the tooltip gives the count.
type Bars struct {
	Title      string   // the chart's accessible title
	XLabel     string   // under the categories
	Categories []string // e.g. "1", "2", "3"
	Series     []BarSeries
	// Noun names what is counted in tooltips and the legend ("areas").
	Noun string
	// Width and Height are the size of the chart in pixels; zero means 640 × 260.
	Width, Height float64
}

// BarSeries is one series: a name for the legend and a count per category.
type BarSeries struct {
	Name   string
	Counts []int
}

// Write draws the chart: every series has a bar (possibly of zero height) in every category, so a
// chart of s series and c categories has exactly s·c elements of class "bar".
func (b *Bars) Write(w io.Writer) error {
	width, height := b.Width, b.Height
	if width <= 0 || height <= 0 {
		width, height = 640, 260
	}
	const left, right, top, bottom = 52.0, 12.0, 30.0, 44.0
	plotW, plotH := width-left-right, height-top-bottom
	totals := make([]int, len(b.Series))
	maxShare := 0.0
	for s, sr := range b.Series {
		for _, c := range sr.Counts {
			totals[s] += c
		}
		for _, c := range sr.Counts {
			if totals[s] > 0 {
				maxShare = math.Max(maxShare, float64(c)/float64(totals[s]))
			}
		}
	}
	ymax, step := niceScale(maxShare * 100)
	y := func(pct float64) float64 { return top + plotH - plotH*pct/ymax }

	sw := newWriter(w)
	sw.printf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="%s" height="%s" role="img" font-family="sans-serif" font-size="11">`,
		num(width), num(height), num(width), num(height))
	sw.printf(`<title>%s</title>`, esc(b.Title))
	// Grid lines and y labels.
	for v := 0.0; v <= ymax+1e-9; v += step {
		yy := y(v)
		sw.printf(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#ddd" stroke-width="1"/>`, num(left), num(left+plotW), num(yy), num(yy))
		sw.printf(`<text x="%s" y="%s" text-anchor="end" dominant-baseline="middle" fill="#333">%s%%</text>`, num(left-6), num(yy), num(v))
	}
	sw.printf(`<text transform="translate(12 %s) rotate(-90)" text-anchor="middle" fill="#333">share of %s</text>`, num(top+plotH/2), esc(b.Noun))
	n := len(b.Categories)
	if n > 0 && len(b.Series) > 0 {
		gw := plotW / float64(n)
		bw := gw * 0.8 / float64(len(b.Series))
		for c, label := range b.Categories {
			gx := left + gw*float64(c) + gw*0.1
			for s, sr := range b.Series {
				count := 0
				if c < len(sr.Counts) {
					count = sr.Counts[c]
				}
				share := 0.0
				if totals[s] > 0 {
					share = 100 * float64(count) / float64(totals[s])
				}
				x := gx + bw*float64(s)
				yy := y(share)
				sw.printf(`<rect class="bar" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s, %s: %d of %d %s (%s%%)</title></rect>`,
					num(x), num(yy), num(bw), num(top+plotH-yy), Series[s%len(Series)],
					esc(sr.Name), esc(label), count, totals[s], esc(b.Noun), num(share))
			}
			sw.printf(`<text x="%s" y="%s" text-anchor="middle" fill="#333">%s</text>`, num(left+gw*(float64(c)+0.5)), num(top+plotH+15), esc(label))
		}
	}
	sw.printf(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#333" stroke-width="1"/>`, num(left), num(left+plotW), num(top+plotH), num(top+plotH))
	sw.printf(`<text x="%s" y="%s" text-anchor="middle" fill="#333">%s</text>`, num(left+plotW/2), num(height-6), esc(b.XLabel))
	// Legend along the top.
	x := left
	for s, sr := range b.Series {
		label := sr.Name + " (" + strconv.Itoa(totals[s]) + " " + b.Noun + ")"
		sw.printf(`<rect x="%s" y="8" width="12" height="12" fill="%s"/><text x="%s" y="18" fill="#333">%s</text>`,
			num(x), Series[s%len(Series)], num(x+16), esc(label))
		x += 16 + 6.5*float64(len([]rune(label))) + 18
	}
	sw.str("</svg>")
	return sw.flush()
}

// niceScale returns an axis maximum at or above v and a tick step giving four to six ticks.
func niceScale(v float64) (max, step float64) {
	if v <= 0 {
		return 10, 2.5
	}
	for _, s := range []float64{1, 2, 2.5, 5, 10, 20, 25} {
		m := math.Ceil(v/s) * s
		if m/s <= 5 {
			return m, s
		}
	}
	return 100, 20
}
