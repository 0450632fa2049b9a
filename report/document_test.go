package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"pcnmap/fixtures"
	"pcnmap/nhs"
	"pcnmap/overlap"
)

// pathData matches the geometry of the maps, left out of the golden files: it belongs to the tiles
// package, whose own golden tests guard it.
var pathData = regexp.MustCompile(` d="[^"]*"`)

// normalise drops the maps' path data.
func normalise(b []byte) []byte { return pathData.ReplaceAll(b, []byte(` d="…"`)) }

func fixture(t testing.TB) *overlap.Dataset {
	t.Helper()
	d, err := fixtures.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	fixtures.Golden(t, filepath.Join("testdata", name), got)
}

// svgs decodes every inline SVG of an HTML document as XML and counts elements by name and class.
func svgs(t *testing.T, doc []byte) []map[string]int {
	t.Helper()
	var out []map[string]int
	for rest := doc; ; {
		i := bytes.Index(rest, []byte("<svg"))
		if i < 0 {
			return out
		}
		j := bytes.Index(rest[i:], []byte("</svg>"))
		if j < 0 {
			t.Fatal("unterminated <svg>")
		}
		counts := map[string]int{}
		dec := xml.NewDecoder(bytes.NewReader(rest[i : i+j+len("</svg>")]))
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("SVG %d is not well-formed: %v", len(out)+1, err)
			}
			if se, ok := tok.(xml.StartElement); ok {
				for _, a := range se.Attr {
					if a.Name.Local == "class" {
						counts[se.Name.Local+"."+a.Value]++
					}
				}
			}
		}
		out = append(out, counts)
		rest = rest[i+j:]
	}
}

// TestDocumentGolden writes Trafford's document from the fixture and compares it, maps' path data
// left out, with testdata/la-E08000009.html.golden; its figures must be well-formed SVG with a bar
// per PCN count and rurality, and a path per area.
func TestDocumentGolden(t *testing.T) {
	d := fixture(t)
	dir := t.TempDir()
	if _, err := Write(context.Background(), dir, d, Options{Threshold: 0.01, Format: FormatHTML, By: nhs.KindLA, Unit: "E08000009"}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "la-E08000009.html"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "la-E08000009.html.golden", normalise(got))

	figs := svgs(t, got)
	if len(figs) != 2 {
		t.Fatalf("document has %d SVG figures, want the histogram and the map", len(figs))
	}
	areas, lo, hi := 0, int32(1<<30), int32(0)
	for i := range d.Areas {
		if d.Areas[i].Units[nhs.KindLA] == "E08000009" {
			areas++
			n := d.AreaAt(i, 0.01).PCNs
			lo, hi = min(lo, n), max(hi, n)
		}
	}
	if want := 2 * int(hi-lo+1); figs[0]["rect.bar"] != want {
		t.Errorf("histogram has %d bars, want %d (urban and rural × %d..%d PCNs)", figs[0]["rect.bar"], want, lo, hi)
	}
	if figs[1]["path.area"] != areas || areas != 28 {
		t.Errorf("map has %d area paths, want %d (Trafford has 28 MSOAs)", figs[1]["path.area"], areas)
	}
	for _, s := range []string{Attribution, "Release 2021-01", "t = 1%", "Low-coverage areas", "fewer than 50.0% of the median"} {
		if !bytes.Contains(got, []byte(s)) {
			t.Errorf("document does not say %q", s)
		}
	}
	idx, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil || !bytes.Contains(idx, []byte(`href="la-E08000009.html"`)) {
		t.Errorf("index.html = %.200s, %v; want a link to the document", idx, err)
	}
}

// TestDeterministic: two runs write byte-identical files, in every format.
func TestDeterministic(t *testing.T) {
	d := fixture(t)
	for _, opt := range []Options{
		{Threshold: 0.01, Format: FormatHTML, By: nhs.KindICB},
		{Threshold: 0.01, Format: FormatHTML},
		{Threshold: 0, Format: FormatJSON},
	} {
		t.Run(opt.Format.String()+"-"+opt.By.String(), func(t *testing.T) {
			a, b := t.TempDir(), t.TempDir()
			for _, dir := range []string{a, b} {
				if _, err := Write(context.Background(), dir, d, opt); err != nil {
					t.Fatal(err)
				}
			}
			files, err := os.ReadDir(a)
			if err != nil || len(files) == 0 {
				t.Fatalf("no files written: %v", err)
			}
			for _, f := range files {
				x, _ := os.ReadFile(filepath.Join(a, f.Name()))
				y, err := os.ReadFile(filepath.Join(b, f.Name()))
				if err != nil || !bytes.Equal(x, y) {
					t.Errorf("%s differs between two runs (%v)", f.Name(), err)
				}
			}
		})
	}
}

// TestOptions: options that cannot make a report are refused before anything is written.
func TestOptions(t *testing.T) {
	d := fixture(t)
	tests := map[string]struct {
		opt  Options
		want error
	}{
		"csv by unit":       {Options{Threshold: 0.01, By: nhs.KindICB}, ErrOptions},
		"json for one unit": {Options{Threshold: 0.01, Format: FormatJSON, Unit: "E08000009"}, ErrOptions},
		"by rurality":       {Options{Threshold: 0.01, Format: FormatHTML, By: nhs.KindRurality}, ErrOptions},
		"pdf sans browser":  {Options{Threshold: 0.01, Format: FormatPDF}, ErrNoBrowser},
		"unknown unit":      {Options{Threshold: 0.01, Format: FormatHTML, By: nhs.KindICB, Unit: "E99999999"}, ErrOptions},
		"unknown bare unit": {Options{Threshold: 0.01, Format: FormatHTML, Unit: "nowhere"}, ErrOptions},
		"by CCG":            {Options{Threshold: 0.01, Format: FormatHTML, By: nhs.KindCCG}, nil},
		"csv of one unit":   {Options{Threshold: 0.01, Format: FormatCSV, By: nhs.KindLA, Unit: "E08000009"}, nil},
		"csv, unknown unit": {Options{Threshold: 0.01, Format: FormatCSV, Unit: "nowhere"}, ErrOptions},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Write(context.Background(), t.TempDir(), d, tc.opt)
			if !errors.Is(err, tc.want) {
				t.Errorf("Write(%+v) = %v, want %v", tc.opt, err, tc.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	for s, want := range map[string]Format{"csv": FormatCSV, "JSON": FormatJSON, "html": FormatHTML, "pdf": FormatPDF} {
		if got, err := ParseFormat(s); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if _, err := ParseFormat("docx"); !errors.Is(err, ErrOptions) {
		t.Errorf("ParseFormat(docx) = %v, want ErrOptions", err)
	}
	for s, want := range map[string]nhs.Kind{"icb": nhs.KindICB, "sub-icb": nhs.KindSubICB, "LA": nhs.KindLA, "region": nhs.KindRegion} {
		if got, err := ParseKind(s); err != nil || got != want {
			t.Errorf("ParseKind(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if _, err := ParseKind("rurality"); !errors.Is(err, ErrOptions) {
		t.Errorf("ParseKind(rurality) = %v, want ErrOptions", err)
	}
}

// TestPDF prints Rutland's document with Chromium, checks that two prints render the same, and
// turns the first page into a PNG with pdftoppm to check that it is not blank.
func TestPDF(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium absent (Debian: apt-get install chromium): PDF output not tested")
	}
	pdftoppm, err := exec.LookPath("pdftoppm")
	if err != nil {
		t.Skip("pdftoppm absent (Debian: apt-get install poppler-utils): PDF output not tested")
	}
	if testing.Short() {
		t.Skip("-short: skipping the PDF print")
	}
	d := fixture(t)
	var pdfs [2][]byte
	dir := t.TempDir()
	for i := range pdfs {
		dir = t.TempDir()
		if _, err := Write(context.Background(), dir, d, Options{Threshold: 0.01, Format: FormatPDF, By: nhs.KindICB, Unit: "E54000015", Browser: browser}); err != nil {
			t.Fatal(err)
		}
		pdfs[i], err = os.ReadFile(filepath.Join(dir, "icb-E54000015.pdf"))
		if err != nil || !bytes.HasPrefix(pdfs[i], []byte("%PDF-")) {
			t.Fatalf("no PDF written: %v", err)
		}
	}
	// Chromium's bytes are not always the same from one print to the next on a loaded machine
	// (object order, font subset names), so the prints are compared as rendered pages.
	var pages [2][]byte
	for i := range pdfs {
		p := filepath.Join(t.TempDir(), "print.pdf")
		if err := os.WriteFile(p, pdfs[i], 0o644); err != nil {
			t.Fatal(err)
		}
		page, err := exec.Command(pdftoppm, "-r", "40", "-png", "-f", "1", "-l", "1", "-singlefile", p).Output()
		if err != nil {
			t.Fatalf("pdftoppm: %v", err)
		}
		if len(page) == 0 {
			t.Fatal("pdftoppm wrote no page")
		}
		pages[i] = page
	}
	if !bytes.Equal(pages[0], pages[1]) {
		t.Error("two prints of the same document render differently")
	}
	if !bytes.Contains(pdfs[0], []byte("/CreationDate (D:20210104000000")) {
		t.Error("the PDF's creation date is not the release's extract date")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("PDF run left %d entries in its directory, want the PDF and index.html", len(entries))
	}
	out := filepath.Join(t.TempDir(), "page")
	if b, err := exec.Command(pdftoppm, "-r", "40", "-png", "-f", "1", "-l", "1", "-singlefile", filepath.Join(dir, "icb-E54000015.pdf"), out).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, b)
	}
	f, err := os.Open(out + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	var ink, colour, total int
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			total++
			if r < 0xe000 || g < 0xe000 || bl < 0xe000 {
				ink++
			}
			if max(r, g, bl)-min(r, g, bl) > 0x4000 {
				colour++
			}
		}
	}
	if ink < total/100 || colour == 0 {
		t.Errorf("page 1 has %d inked and %d coloured pixels of %d: blank?", ink, colour, total)
	}
}

// TestCSVUnit: the CSV files of one unit are the lines of the whole release's about it: its areas,
// the PCNs with patients living in them, the pairs of those PCNs; summary.json is the release's.
func TestCSVUnit(t *testing.T) {
	d := fixture(t)
	all, one := t.TempDir(), t.TempDir()
	if _, err := Write(context.Background(), all, d, Options{Threshold: 0.01}); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(context.Background(), one, d, Options{Threshold: 0.01, By: nhs.KindLA, Unit: "E08000009"}); err != nil {
		t.Fatal(err)
	}
	records := func(dir, name string) [][]string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		r, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return r
	}
	areas := map[string]bool{}
	pcns := map[int32]bool{}
	for i := range d.Areas {
		if d.Areas[i].Units[nhs.KindLA] == "E08000009" {
			areas[d.Areas[i].Code] = true
			for _, c := range d.AreaCells(i) {
				pcns[c.PCN] = true
			}
		}
	}
	pcnCodes := map[string]bool{}
	for p := range pcns {
		pcnCodes[d.PCNs[p].Code] = true
	}
	if len(areas) == 0 || len(pcns) == 0 || len(pcns) == len(d.PCNs) {
		t.Fatalf("the fixture's Trafford has %d areas, %d of %d PCNs", len(areas), len(pcns), len(d.PCNs))
	}
	for _, f := range []struct {
		name string
		keep func(fields []string) bool
	}{
		{"areas.csv", func(f []string) bool { return areas[f[0]] }},
		{"pcns.csv", func(f []string) bool { return pcnCodes[f[0]] }},
		{"pcn_pairs.csv", func(f []string) bool { return pcnCodes[f[0]] && pcnCodes[f[2]] }},
	} {
		full := records(all, f.name)
		want := full[:1]
		for _, r := range full[1:] {
			if f.keep(r) {
				want = append(want, r)
			}
		}
		if got := records(one, f.name); !slices.EqualFunc(got, want, slices.Equal) || len(want) < 2 {
			t.Errorf("%s: %d lines, want %d of the release's %d", f.name, len(got), len(want), len(full))
		}
	}
	got, err := os.ReadFile(filepath.Join(one, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if want, err := os.ReadFile(filepath.Join(all, "summary.json")); err != nil || !bytes.Equal(got, want) {
		t.Error("summary.json differs from the release's")
	}
}
