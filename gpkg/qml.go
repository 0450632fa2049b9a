package gpkg

import (
	"fmt"
	"html"
	"strconv"
	"strings"
)

// Colour is an sRGB colour with alpha, 0..255 each.
type Colour struct{ R, G, B, A uint8 }

// Hex parses "#rrggbb" into an opaque colour; a malformed string is black.
func Hex(s string) Colour {
	n, err := strconv.ParseUint(strings.TrimPrefix(s, "#"), 16, 32)
	if err != nil || len(s) != 7 {
		return Colour{A: 255}
	}
	return Colour{uint8(n >> 16), uint8(n >> 8), uint8(n), 255}
}

func (c Colour) qgis() string { return fmt.Sprintf("%d,%d,%d,%d", c.R, c.G, c.B, c.A) }

// Fill is the look of a polygon: its fill and outline (a zero Fill colour leaves it unfilled).
type Fill struct {
	Colour, Outline Colour
	Width           float64 // outline width in millimetres
}

// Class is one range of a graduated style: Lower < v ≤ Upper (the first class includes Lower).
type Class struct {
	Lower, Upper float64
	Label        string
	Fill         Fill
}

const qmlHead = `<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.28.0" styleCategories="Symbology|Labeling">
`

// SingleQML is a QGIS style drawing every feature with f, labelled by the label field when not empty.
func SingleQML(f Fill, label string) string {
	var b strings.Builder
	b.WriteString(qmlHead)
	b.WriteString(` <renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">
  <symbols>
`)
	symbol(&b, "0", f)
	b.WriteString("  </symbols>\n </renderer-v2>\n")
	labeling(&b, label)
	b.WriteString("</qgis>\n")
	return b.String()
}

// GraduatedQML is a QGIS style colouring features by the numeric field attr in classes.
func GraduatedQML(attr string, classes []Class, label string) string {
	var b strings.Builder
	b.WriteString(qmlHead)
	fmt.Fprintf(&b, ` <renderer-v2 type="graduatedSymbol" attr="%s" graduatedMethod="GraduatedColor" symbollevels="0" enableorderby="0" forceraster="0">
  <ranges>
`, html.EscapeString(attr))
	for i, c := range classes {
		fmt.Fprintf(&b, "   <range lower=%q upper=%q symbol=\"%d\" label=\"%s\" render=\"true\"/>\n",
			strconv.FormatFloat(c.Lower, 'f', 6, 64), strconv.FormatFloat(c.Upper, 'f', 6, 64), i, html.EscapeString(c.Label))
	}
	b.WriteString("  </ranges>\n  <symbols>\n")
	for i, c := range classes {
		symbol(&b, strconv.Itoa(i), c.Fill)
	}
	b.WriteString("  </symbols>\n </renderer-v2>\n")
	labeling(&b, label)
	b.WriteString("</qgis>\n")
	return b.String()
}

// symbol writes a fill symbol in both the Option map QGIS 3.26+ writes and the older prop list.
func symbol(b *strings.Builder, name string, f Fill) {
	style := "solid"
	if f.Colour.A == 0 {
		style = "no"
	}
	props := [][2]string{
		{"color", f.Colour.qgis()}, {"outline_color", f.Outline.qgis()}, {"outline_style", "solid"},
		{"outline_width", strconv.FormatFloat(f.Width, 'f', -1, 64)}, {"outline_width_unit", "MM"},
		{"joinstyle", "round"}, {"style", style},
	}
	fmt.Fprintf(b, `   <symbol type="fill" name="%s" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" locked="0" pass="0">
     <Option type="Map">
`, name)
	for _, p := range props {
		fmt.Fprintf(b, "      <Option name=%q type=\"QString\" value=%q/>\n", p[0], p[1])
	}
	b.WriteString("     </Option>\n")
	for _, p := range props {
		fmt.Fprintf(b, "     <prop k=%q v=%q/>\n", p[0], p[1])
	}
	b.WriteString("    </layer>\n   </symbol>\n")
}

// labeling writes simple labels by a field, or nothing.
func labeling(b *strings.Builder, field string) {
	if field == "" {
		return
	}
	fmt.Fprintf(b, ` <labeling type="simple">
  <settings calloutType="simple">
   <text-style fieldName="%s" isExpression="0" fontSize="8" fontSizeUnit="Point" textColor="40,40,40,255"/>
   <text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" bufferColor="255,255,255,255"/>
   <placement placement="0" fitInPolygonOnly="1"/>
   <rendering scaleVisibility="1" scaleMin="1" scaleMax="200000" obstacle="1"/>
  </settings>
 </labeling>
`, html.EscapeString(field))
}
