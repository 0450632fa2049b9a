package main

import (
	"errors"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"pcnmap/fixtures"
	"pcnmap/store"
)

// nbhdSection cuts the "Neighbourhood plan" section out of a document, the maps' path data left out
// (the tiles package's golden tests guard the geometry).
func nbhdSection(t *testing.T, doc string) string {
	t.Helper()
	i := strings.Index(doc, "<h2>Neighbourhood plan</h2>")
	j := strings.Index(doc, "<h2>Definitions</h2>")
	if i < 0 || j < i {
		t.Fatalf("no neighbourhood section in the document")
	}
	return regexp.MustCompile(` d="[^"]*"`).ReplaceAllString(doc[i:j], ` d="…"`)
}

// TestReportNeighbourhoods adds Trafford's localities to the documents as a neighbourhood plan:
// Trafford's document against testdata/report-neighbourhoods/section.html.golden, its residents
// against an independent count, the map (one path and one number per neighbourhood), a local
// authority the plan does not reach, the PDF not blank, and the refusals.
func TestReportNeighbourhoods(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv",
		"--centroids", fixtureDir+"lsoa-centroids.csv", "--lsoa-polygons", fixtureDir+"lsoa.geojson")
	const set = "Trafford localities"
	if out, err := pcnmap(t, "teams", "import", "--db", db, "--name", set, fixtureDir+"trafford-localities.geojson"); err != nil {
		t.Fatalf("teams import: %v\n%s", err, out)
	}
	// assess's profiles, as testdata/report-neighbourhoods/profile.py counts them from the fixture's
	// files (the residents of each locality's LSOAs by IMD_OVERALL and by RUC11CD): North 54358
	// residents, of whom 2958, 7384, 11868, 17401, 5583, 5564, 3600, 0, 0, 0 in deciles 1 … 10
	// (core20 19%), and by IMD_INCOME 7367, 15347, 12157, 8336, 3956, 7195, 0, 0, 0, 0 (income
	// core20 42%); South 84001, of whom 79032 in A1, 3405 in C1, 1564 in E1.
	out, err := pcnmap(t, "neighbourhoods", "assess", "--db", db, "--set", set)
	if err != nil {
		t.Fatalf("assess: %v\n%s", err, out)
	}
	for _, want := range []string{`(?m)^North +19% +5% +14% +22% +32% +10% +10% +7% +0% +0% +0% +0%$`,
		`(?m)^neighbourhood +income_core20 +income1 .* income10 +no_decile$`,
		`(?m)^North +42% +14% +28% +22% +15% +7% +13% +0% +0% +0% +0% +0%$`,
		`(?m)^South +A1 Urban major conurbation 94%, C1 Urban city and town 4%, E1 Rural village and dispersed 2%$`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("assess lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "not given") {
		t.Errorf("assess says a profile is not given on the fixture, which has both:\n%s", out)
	}
	htmlDir := filepath.Join(dir, "html")
	if out, err := pcnmap(t, "report", "--db", db, "--neighbourhoods", set, "--band", "50k-80k", "--format", "html", "--by", "la", "--out", htmlDir); err != nil {
		t.Fatalf("report --neighbourhoods: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(htmlDir, "la-E08000009.html"))
	if err != nil {
		t.Fatal(err)
	}
	sec := nbhdSection(t, string(b))
	fixtures.Golden(t, filepath.Join("testdata", "report-neighbourhoods", "section.html.golden"), []byte(sec))

	// Residents of each locality as testdata/report-neighbourhoods/residents.py counts them from the
	// fixture's files (LSOAs placed by centroid in the localities' polygons, every registration row
	// of those LSOAs summed): Central 58990, North 54358, South 84001 (above the 80k band), West 55626.
	for name, want := range map[string]string{"Central": "58,990</td><td>within", "North": "54,358</td><td>within",
		"South": "84,001</td><td><strong>above 80,000</strong>", "West": "55,626</td><td>within"} {
		if !strings.Contains(sec, "<td>"+name+`</td><td class="n">`+want) {
			t.Errorf("section lacks %s: %s", name, want)
		}
	}
	for _, want := range []string{"4 neighbourhoods, 3 of them within the band of 50,000–80,000", "Alignment score of the plan: <strong>0.9312</strong>",
		"PCNs and their main neighbourhood", "Practices that straddle most", "Trafford (100.0%)",
		// profile.py: North's residents in IMD deciles 1-2 and 1, (2958+7384)/54358 and 2958/54358.
		`<td>North</td><td class="n">19.0%</td><td class="n">5.4%</td>`,
		"Urban major conurbation (94.1%), Urban city and town (4.1%), Rural village and dispersed (1.9%)"} {
		if !strings.Contains(sec, want) {
			t.Errorf("section lacks %q", want)
		}
	}
	if n, m := strings.Count(sec, `<path class="area"`), strings.Count(sec, `<text class="mark"`); n != 4 || m != 4 {
		t.Errorf("map has %d neighbourhood paths and %d numbers, want 4 and 4", n, m)
	}
	// Another local authority's document: the plan has no resident there.
	others, _ := filepath.Glob(filepath.Join(htmlDir, "la-*.html"))
	for _, f := range others {
		if filepath.Base(f) == "la-E08000009.html" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if s := nbhdSection(t, string(b)); !strings.Contains(s, "No neighbourhood of this plan has residents here.") || strings.Contains(s, "<svg") {
			t.Errorf("%s: section %.300s; want no neighbourhood", filepath.Base(f), s)
		}
		break
	}

	// With --teams too: both sections, in that order, and the team files.
	both := filepath.Join(dir, "both")
	if out, err := pcnmap(t, "report", "--db", db, "--teams", set, "--neighbourhoods", set, "--format", "html", "--out", both); err != nil {
		t.Fatalf("report --teams --neighbourhoods: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(both, "report.html")); err != nil {
		t.Fatal(err)
	} else if i, j := strings.Index(string(b), "<h2>Team alignment</h2>"), strings.Index(string(b), "<h2>Neighbourhood plan</h2>"); i < 0 || j < i {
		t.Errorf("report --teams --neighbourhoods: team section at %d, neighbourhood section at %d", i, j)
	}
	if _, err := os.Stat(filepath.Join(both, "teams.csv")); err != nil {
		t.Errorf("report --teams --neighbourhoods: %v", err)
	}

	for name, args := range map[string][]string{
		"csv":      {"--neighbourhoods", set},
		"gpkg":     {"--neighbourhoods", set, "--format", "gpkg"},
		"bad band": {"--neighbourhoods", set, "--format", "html", "--band", "80k-50k"},
	} {
		if _, err := pcnmap(t, append([]string{"report", "--db", db, "--out", filepath.Join(dir, "x")}, args...)...); !errors.Is(err, errUsage) {
			t.Errorf("%s: report %v: %v, want a usage error", name, args, err)
		}
	}
	_, err = pcnmap(t, "report", "--db", db, "--neighbourhoods", "nope", "--format", "html", "--out", filepath.Join(dir, "nope"))
	if !errors.Is(err, store.ErrNoTeamSet) || !strings.Contains(err.Error(), "--neighbourhoods") || !strings.Contains(err.Error(), strconv.Quote(set)) {
		t.Errorf("report --neighbourhoods nope = %v, want %v listing the sets", err, store.ErrNoTeamSet)
	}

	t.Run("pdf", func(t *testing.T) {
		browser, err := exec.LookPath("chromium")
		if err != nil {
			t.Skip("chromium absent (Debian: apt-get install chromium): PDF output not tested")
		}
		pdftoppm, err1 := exec.LookPath("pdftoppm")
		pdftotext, err2 := exec.LookPath("pdftotext")
		if err1 != nil || err2 != nil {
			t.Skip("pdftoppm or pdftotext absent (Debian: apt-get install poppler-utils): PDF output not tested")
		}
		if testing.Short() {
			t.Skip("-short: skipping the PDF print")
		}
		pdfDir := filepath.Join(dir, "pdf")
		if out, err := pcnmap(t, "report", "--db", db, "--neighbourhoods", set, "--format", "pdf", "--browser", browser, "--by", "la", "--unit", "E08000009", "--out", pdfDir); err != nil {
			t.Fatalf("report --format pdf: %v\n%s", err, out)
		}
		pdf := filepath.Join(pdfDir, "la-E08000009.pdf")
		// The page holding the map: the one after the section's heading that says what its colours are.
		page := 0
		for p := 1; p <= 20 && page == 0; p++ {
			out, err := exec.Command(pdftotext, "-f", strconv.Itoa(p), "-l", strconv.Itoa(p), pdf, "-").Output()
			if err != nil {
				break // past the last page
			}
			if strings.Contains(string(out), "90% or more") {
				page = p
			}
		}
		if page == 0 {
			t.Fatalf("no page of %s has the neighbourhood map's legend", pdf)
		}
		png1 := filepath.Join(t.TempDir(), "page")
		if b, err := exec.Command(pdftoppm, "-r", "40", "-png", "-f", strconv.Itoa(page), "-l", strconv.Itoa(page), "-singlefile", pdf, png1).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v\n%s", err, b)
		}
		f, err := os.Open(png1 + ".png")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		var colour, total int
		bd := img.Bounds()
		for y := bd.Min.Y; y < bd.Max.Y; y++ {
			for x := bd.Min.X; x < bd.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				total++
				if max(r, g, bl)-min(r, g, bl) > 0x4000 {
					colour++
				}
			}
		}
		// The map's fills cover a good part of its page: at least 5% of it in colour.
		if colour < total/20 {
			t.Errorf("page %d has %d coloured pixels of %d: no map drawn?", page, colour, total)
		}
	})
}
