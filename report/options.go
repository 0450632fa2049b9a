package report

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"strings"

	"pcnmap/nhs"
	"pcnmap/overlap"
)

// Format is an output format.
type Format uint8

const (
	// FormatCSV writes areas.csv, pcns.csv, pcn_pairs.csv and summary.json.
	FormatCSV Format = iota
	// FormatJSON writes areas.json, pcns.json, pcn_pairs.json and summary.json.
	FormatJSON
	// FormatHTML writes self-contained HTML documents.
	FormatHTML
	// FormatPDF prints the HTML documents to PDF with a headless Chromium.
	FormatPDF
)

func (f Format) String() string {
	switch f {
	case FormatCSV:
		return "csv"
	case FormatJSON:
		return "json"
	case FormatHTML:
		return "html"
	case FormatPDF:
		return "pdf"
	}
	return "unknown"
}

// ErrOptions is returned for options that cannot describe a report.
var ErrOptions = errors.New("report: bad options")

// ErrNoBrowser is returned when PDF output is asked for without a browser to print it.
var ErrNoBrowser = errors.New("report: PDF output needs a Chromium browser")

// ParseFormat reads a format name: csv, json, html or pdf.
func ParseFormat(s string) (Format, error) {
	for f := FormatCSV; f <= FormatPDF; f++ {
		if strings.EqualFold(s, f.String()) {
			return f, nil
		}
	}
	return 0, fmt.Errorf("%w: format %q is not csv, json, html or pdf", ErrOptions, s)
}

// unitKinds are the kinds a report can be split by, in the order a bare --unit code is looked up.
var unitKinds = []nhs.Kind{nhs.KindICB, nhs.KindSubICB, nhs.KindCCG, nhs.KindLA, nhs.KindRegion, nhs.KindSTP, nhs.KindNHSRegion, nhs.KindWard}

// ParseKind reads the name of a kind of unit reports can be split by: icb, sub-icb, ccg, la, region,
// stp, nhs-region or ward.
func ParseKind(s string) (nhs.Kind, error) {
	names := make([]string, len(unitKinds))
	for i, k := range unitKinds {
		if strings.EqualFold(s, k.String()) {
			return k, nil
		}
		names[i] = k.String()
	}
	return nhs.KindUnset, fmt.Errorf("%w: unit kind %q is not one of %s", ErrOptions, s, strings.Join(names, ", "))
}

func (o *Options) check() error {
	switch {
	case o.Format > FormatPDF:
		return fmt.Errorf("%w: format %d", ErrOptions, o.Format)
	case o.Threshold < 0 || o.Threshold > 1 || o.Core <= 0 || o.Core > 1:
		return fmt.Errorf("%w: threshold %v or core share %v outside 0..1", ErrOptions, o.Threshold, o.Core)
	case (o.By != nhs.KindUnset || o.Unit != "") && o.Format != FormatHTML && o.Format != FormatPDF && (o.Format != FormatCSV || o.Unit == ""):
		return fmt.Errorf("%w: a report by unit is a document: use the html or pdf format, or csv with one unit (the csv and json files have a column per unit kind)", ErrOptions)
	case o.By == nhs.KindRurality:
		return fmt.Errorf("%w: reports cannot be split by rurality", ErrOptions)
	case o.Format == FormatPDF && o.Browser == "":
		return ErrNoBrowser
	}
	return nil
}

// kindTitle is how a document names a kind of unit.
func kindTitle(k nhs.Kind) string {
	switch k {
	case nhs.KindICB:
		return "ICB"
	case nhs.KindSubICB:
		return "Sub-ICB location"
	case nhs.KindCCG:
		return "CCG"
	case nhs.KindLA:
		return "Local authority"
	case nhs.KindRegion:
		return "Region"
	case nhs.KindSTP:
		return "STP"
	case nhs.KindNHSRegion:
		return "NHS region"
	}
	return "Release"
}

// Scope is what a Section sees of the unit it is written for.
type Scope struct {
	Dataset   *overlap.Dataset
	Kind      nhs.Kind // KindUnset for the whole release
	Code      string
	Name      string
	Areas     []int32 // indexes into Dataset.Areas, ascending
	Threshold float64
}

// Section is an extra section of the unit documents, written by another package: this is where the
// team alignment goes once team sets exist. HTML is called once per unit, possibly from several
// goroutines at once, and must return a self-contained fragment (no scripts, no external resources).
type Section interface {
	Title() string
	HTML(ctx context.Context, s Scope) (template.HTML, error)
}
