package ingest

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/nhs"
)

// ErrGeography is returned when the registrations and the areas are on different census
// geographies (LSOA 2011 registrations placed by 2021 LSOAs) and no crosswalk moves them.
var ErrGeography = errors.New("ingest: registrations and areas on different census geographies")

// releaseDates names the release and dates its membership. A file with EXTRACT_DATE gives both; a
// file without one (an ICB analyst's extract) takes them from --release and --as-of, else from a
// date in its file name (gp-reg-…-2025-10-….csv.gz: 2025-10, 1 October 2025), with a note saying so.
// The extract date is set from the file name too, so that releases sort by it.
func releaseDates(o Options, regs *nhs.Registrations, membership *nhs.Membership) (string, time.Time, []string, error) {
	var notes []string
	fromName, named := time.Time{}, false
	if regs.ExtractDate.IsZero() {
		fromName, named = nhs.DateInName(o.Registrations)
	}
	base := filepath.Base(o.Registrations)
	release := o.Release
	switch {
	case release != "":
	case !regs.ExtractDate.IsZero():
		release = regs.ExtractDate.Format("2006-01")
	case named:
		release = fromName.Format("2006-01")
		notes = append(notes, fmt.Sprintf("release name %s taken from the file name %s, which has no EXTRACT_DATE column (--release names it otherwise)", release, base))
	default:
		return "", time.Time{}, nil, fmt.Errorf("%w: %s has no EXTRACT_DATE column and no date in its name, so give --release NAME and --as-of YYYY-MM-DD", ErrOptions, o.Registrations)
	}
	asOf := o.AsOf
	switch {
	case !asOf.IsZero():
	case !regs.ExtractDate.IsZero():
		asOf = regs.ExtractDate
	case named:
		asOf = fromName
		notes = append(notes, fmt.Sprintf("membership as of %s, the date in the file name %s (--as-of sets it otherwise)", asOf.Format(time.DateOnly), base))
	case membership != nil && !membership.ExtractDate.IsZero():
		asOf = membership.ExtractDate
		notes = append(notes, fmt.Sprintf("membership as of %s, the practice mapping file's EXTRACT_DATE (--as-of sets it otherwise)", asOf.Format(time.DateOnly)))
	default:
		return "", time.Time{}, nil, fmt.Errorf("%w: %s has no EXTRACT_DATE column and no date in its name, so give --as-of YYYY-MM-DD", ErrOptions, o.Registrations)
	}
	if regs.ExtractDate.IsZero() && named {
		regs.ExtractDate = fromName
	}
	return release, asOf, notes, nil
}

// checkGeography tells the census geography of the registrations and of the placement (lookup,
// centroids, area codes) and refuses a mix. Signs, in order: a column named for its census
// (LSOA11CD, LSOA21CD, MSOA21CD); NO2011 rows (2011 files only); an English code of 2021 only
// (E01033769 and later). It returns the release's geography, "" when nothing tells.
func checkGeography(o Options, regs *nhs.Registrations, lookup *nhs.Lookup, points map[string]orb.Point, layer *geo.Layer) (string, error) {
	regGeo, regWhy := regsGeography(regs)
	placeGeo, placeWhy := "", ""
	if lookup != nil {
		if g := census(lookup.LSOAField); g != "" {
			placeGeo, placeWhy = g, "--lookup "+filepath.Base(o.Lookup)+", column "+lookup.LSOAField
		} else {
			for l := range lookup.Area {
				if nhs.Geography21(l) {
					placeGeo, placeWhy = "2021", "--lookup "+filepath.Base(o.Lookup)+", which holds 2021 LSOA "+l
					break
				}
			}
		}
	} else if points != nil {
		for l := range points {
			if nhs.Geography21(l) {
				placeGeo, placeWhy = "2021", "the LSOA points, which hold 2021 LSOA "+l
				break
			}
		}
	}
	if placeGeo == "" {
		if g := census(layer.CodeField); g != "" {
			placeGeo, placeWhy = g, "--areas "+filepath.Base(o.Areas)+", field "+layer.CodeField
		}
	}
	switch {
	case regGeo == "2011" && placeGeo == "2021":
		return "", fmt.Errorf("%w: --registrations %s is on 2011 LSOAs (%s) but LSOAs are placed in areas by 2021 LSOAs (%s): give --crosswalk FILE (the ONS LSOA 2011 → 2021 lookup, e.g. lsoa11-lsoa21-lad22-lookup.csv) to move the registrations onto 2021 LSOAs",
			ErrGeography, filepath.Base(o.Registrations), regWhy, placeWhy)
	case regGeo == "2021" && placeGeo == "2011":
		return "", fmt.Errorf("%w: --registrations %s is on 2021 LSOAs (%s) but LSOAs are placed in areas by 2011 LSOAs (%s): use 2021 areas and an LSOA 2021 lookup or centroids (pcnmap does not move 2021 registrations back to 2011)",
			ErrGeography, filepath.Base(o.Registrations), regWhy, placeWhy)
	}
	if placeGeo != "" {
		return placeGeo, nil
	}
	return regGeo, nil
}

// regsGeography tells the census geography of the registrations and why: a column named for its
// census, NO2011 rows (2011 files only) or an English code of 2021 only; "" when nothing tells.
func regsGeography(regs *nhs.Registrations) (geo, why string) {
	switch census(regs.LSOAColumn) {
	case "2021":
		return "2021", "its column " + strings.Fields(regs.LSOAColumn)[0]
	case "2011":
		return "2011", "its column " + regs.LSOAColumn
	}
	for _, c := range regs.LSOAs {
		if c == "NO2011" {
			return "2011", "its NO2011 rows"
		}
		if nhs.Geography21(c) {
			return "2021", "LSOA " + c + ", which only 2021 has"
		}
	}
	return "", ""
}

// census reads the census year a column is named for: LSOA11CD, lsoa11_code, MSOA21CD.
func census(col string) string {
	c := strings.ToLower(col)
	for _, y := range []string{"21", "11"} {
		for _, k := range []string{"lsoa", "msoa", "oa"} {
			if strings.HasPrefix(c, k+y) {
				return "20" + y
			}
		}
	}
	return ""
}

// addOtherPractices adds, per LSOA of counts, the patients beyond the file's practices as rows of
// a pseudo-practice OtherPractices in no PCN, so that registered(a) is the true total.
func addOtherPractices(regs *nhs.Registrations, counts map[string]int64, source string) (*nhs.Registrations, string) {
	out := *regs
	out.Rows = append([]nhs.Row(nil), regs.Rows...)
	out.LSOAs = append([]string(nil), regs.LSOAs...)
	out.Practices = append(append([]nhs.Practice(nil), regs.Practices...), nhs.Practice{Code: OtherPractices, Name: "other practices (from the denominators)"})
	other := int32(len(out.Practices) - 1)
	inFile := make(map[string]int64, len(regs.LSOAs))
	idx := make(map[string]int32, len(regs.LSOAs))
	for i, l := range regs.LSOAs {
		idx[l] = int32(i)
	}
	for _, r := range regs.Rows {
		inFile[regs.LSOAs[r.LSOA]] += int64(r.Patients)
	}
	var added, short int64
	var shortLSOAs int
	codes := make([]string, 0, len(counts))
	for l := range counts {
		codes = append(codes, l)
	}
	slices.Sort(codes)
	for _, l := range codes {
		n := counts[l] - inFile[l]
		if n < 0 {
			short -= n
			shortLSOAs++
			continue
		}
		if n == 0 || n > 1<<31-1 {
			continue
		}
		i, ok := idx[l]
		if !ok {
			i = int32(len(out.LSOAs))
			out.LSOAs = append(out.LSOAs, l)
			idx[l] = i
		}
		out.Rows = append(out.Rows, nhs.Row{Practice: other, LSOA: i, Patients: int32(n)})
		added += n
	}
	note := fmt.Sprintf("denominators %s: %d patients of practices outside the registrations file added as \"other practices\" (in no PCN), so registered(a) and every share use the LSOAs' true totals", source, added)
	if shortLSOAs > 0 {
		note += fmt.Sprintf("; %d LSOAs hold %d more patients in the file than their denominator, and keep the file's count", shortLSOAs, short)
	}
	return &out, note
}
