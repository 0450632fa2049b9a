// Package svg draws the figures of the HTML reports as self-contained SVG: grouped bar charts and
// static maps of prepared tile shapes. Output is deterministic for the same input (no ids from
// counters, no maps iterated, fixed number formatting), so reports can be compared byte for byte.
// Colours are set as attributes, not CSS, so a figure copied out of its report keeps them.
package svg

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"
)

// Swatch is one entry of a legend: a fill colour and what it means.
type Swatch struct {
	Label string
	Fill  string
}

// Sequential is viridis in eight steps, light to dark: colour-blind safe and monotone in grey when
// printed, for counts such as PCNs per area.
var Sequential = []string{"#fde725", "#a0da39", "#4ac16d", "#1fa187", "#277f8e", "#365c8d", "#46327e", "#440154"}

// Diverging is ColorBrewer's PuOr in seven steps (orange for less, purple for more), colour-blind
// safe, for changes centred on zero.
var Diverging = []string{"#b35806", "#f1a340", "#fee0b6", "#f7f7f7", "#d8daeb", "#998ec3", "#542788"}

// Series are Okabe and Ito's colour-blind-safe blue and orange, then their vermillion and green.
var Series = []string{"#0072b2", "#e69f00", "#d55e00", "#009e73"}

// NoData is the fill of features without a value.
const NoData = "#d9d9d9"

// num formats v with at most one decimal, dropping a trailing ".0".
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	s := strconv.FormatFloat(math.Round(v*10)/10, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	if s == "-0" {
		s = "0"
	}
	return s
}

// esc escapes text for XML content and attribute values.
func esc(s string) string { return html.EscapeString(s) }

// writer is a bufio.Writer that remembers its first error, so drawing code can print freely and
// check once.
type writer struct {
	bw  *bufio.Writer
	err error
}

func newWriter(w io.Writer) *writer { return &writer{bw: bufio.NewWriterSize(w, 1<<15)} }

func (w *writer) printf(format string, args ...any) {
	if w.err == nil {
		_, w.err = fmt.Fprintf(w.bw, format, args...)
	}
}

// pair writes a path command and its two integers ("l12 -3"): the path data of a map is most of its
// bytes, and fmt took a third of drawing it.
func (w *writer) pair(cmd byte, x, y int64) {
	if w.err != nil {
		return
	}
	b := w.bw.AvailableBuffer()
	b = append(b, cmd)
	b = strconv.AppendInt(b, x, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, y, 10)
	_, w.err = w.bw.Write(b)
}

func (w *writer) str(s string) {
	if w.err == nil {
		_, w.err = w.bw.WriteString(s)
	}
}

func (w *writer) flush() error {
	if w.err != nil {
		return w.err
	}
	return w.bw.Flush()
}
