package ingest

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"pcnmap/nhs"
)

// carried says what carryProfiles moved: per kind ("imd", "ruc"), the label the assessment shows.
type carried struct {
	labels map[string]string
	notes  []string
}

// carriedKind reports whether a classification's kind is one carryProfiles moves: the profile
// classes (IMD deciles, rural-urban classes) and the urban/rural flag that goes with the classes.
func carriedKind(k nhs.Kind) bool { return k.Profile() || k == nhs.KindRurality }

// carryProfiles puts the profile classes that context files give on 2011 LSOAs onto the 2021 LSOAs
// of the ONS LSOA 2011 → 2021 lookup, in place. A classification is on 2011 LSOAs when it holds a
// 2011 code that 2021 retired (a 2011 LSOA of the lookup not among its own 2021 LSOAs) and no code
// of 2021 only; the others are left as they are. Each 2021 LSOA takes the classes of its 2011
// LSOAs (the lookup's rows that name it):
//   - one 2011 LSOA (U unchanged, S a part of a split, or an X part drawn from one 2011 LSOA):
//     its classes, as they are;
//   - several (M merged, X complex): for a decile, the lower median of the parts' deciles (of two
//     parts, the more deprived); for the rural-urban class, the class most of the parts have (ties
//     to the lower code, so the more urban), and the urban/rural flag of a part with that class.
//     The parts are counted alike: the lookup gives no population, and LSOAs were drawn to hold
//     similar numbers (1,000 to 3,000 residents).
//
// Parts with no class of a kind (a Welsh LSOA has no English IMD decile) are left out; a 2021 LSOA
// none of whose parts has one gets none. Codes the lookup does not know keep their classes.
func carryProfiles(contexts []*nhs.Context, cw *nhs.Crosswalk) carried {
	out := carried{labels: map[string]string{}}
	if cw == nil {
		return out
	}
	parents := map[string][]string{}
	olds := make([]string, 0, len(cw.To))
	for a := range cw.To {
		olds = append(olds, a)
	}
	slices.Sort(olds)
	for _, a := range olds {
		for _, b := range cw.To[a] {
			parents[b] = append(parents[b], a)
		}
	}
	news := make([]string, 0, len(parents))
	for b := range parents {
		news = append(news, b)
	}
	slices.Sort(news)
	retired := func(a string) bool {
		to, ok := cw.To[a]
		return ok && !slices.Contains(to, a)
	}
	for _, c := range contexts {
		var moved []int
		for i, cl := range c.Classifications {
			if !carriedKind(cl.Kind) {
				continue
			}
			old, new21 := false, false
			for code := range cl.LSOA {
				old = old || retired(code)
				new21 = new21 || nhs.Geography21(code)
			}
			if old && !new21 {
				moved = append(moved, i)
			}
		}
		if len(moved) == 0 {
			continue
		}
		// The representative part of each merged 2021 LSOA for the classes: the one with the most
		// common rural-urban class, when the file has classes.
		rep := map[string]string{}
		for _, i := range moved {
			cl := c.Classifications[i]
			if cl.Kind != nhs.KindRUC {
				continue
			}
			for _, b := range news {
				if ps := parents[b]; len(ps) > 1 {
					if a, ok := modePart(ps, cl.LSOA, func(u nhs.Unit) string { return u.Code }); ok {
						rep[b] = a
					}
				}
			}
		}
		var one, several int
		var kinds []string
		for _, i := range moved {
			cl := &c.Classifications[i]
			m := make(map[string]nhs.Unit, len(cl.LSOA))
			n1, ns := 0, 0
			for _, b := range news {
				ps := parents[b]
				if len(ps) == 1 {
					if u, ok := cl.LSOA[ps[0]]; ok {
						m[b] = u
						n1++
					}
					continue
				}
				var u nhs.Unit
				ok := false
				switch {
				case cl.Kind.Decile():
					u, ok = lowerMedian(ps, cl.LSOA)
				case rep[b] != "":
					u, ok = cl.LSOA[rep[b]]
				default:
					// The urban/rural flag without classes: the flag most parts have, Urban on a tie.
					var a string
					if a, ok = modePart(ps, cl.LSOA, func(u nhs.Unit) string {
						if u.Code == "Urban" {
							return "0"
						}
						return "1" + u.Code
					}); ok {
						u = cl.LSOA[a]
					}
				}
				if ok {
					m[b] = u
					ns++
				}
			}
			for code, u := range cl.LSOA {
				if _, known := cw.To[code]; !known {
					if _, set := m[code]; !set {
						m[code] = u // not in the lookup (a Welsh code it lacks): kept
					}
				}
			}
			cl.LSOA = m
			one, several = max(one, n1), max(several, ns)
			kind := cl.Kind.String()
			kinds = append(kinds, fmt.Sprintf("%s (%s)", cl.Column, kind))
			if cl.Kind != nhs.KindRurality {
				out.labels[kind] = fmt.Sprintf("%s on 2011 LSOAs carried to 2021 (%s, %s, through %s)",
					vintage(cl.Kind, cl.Column), filepath.Base(c.Source), cl.Column, filepath.Base(cw.Source))
			}
		}
		out.notes = append(out.notes, fmt.Sprintf("%s: %s on 2011 LSOAs carried to 2021 LSOAs through %s: of the lookup's 2021 LSOAs, %d take the classes of their one 2011 LSOA (unchanged or split), %d those of several (merged or complex: the lower median of the parts' deciles, the class most parts have)",
			filepath.Base(c.Source), strings.Join(kinds, ", "), filepath.Base(cw.Source), one, several))
	}
	return out
}

// lowerMedian is the lower median of the parts' deciles, leaving out parts with none.
func lowerMedian(parts []string, by map[string]nhs.Unit) (nhs.Unit, bool) {
	var ds []int
	for _, a := range parts {
		if u, ok := by[a]; ok {
			if n, err := strconv.Atoi(u.Code); err == nil {
				ds = append(ds, n)
			}
		}
	}
	if len(ds) == 0 {
		return nhs.Unit{}, false
	}
	slices.Sort(ds)
	s := strconv.Itoa(ds[(len(ds)-1)/2])
	return nhs.Unit{Code: s, Name: s}, true
}

// modePart is the first of parts (in code order) whose class is the most common among the parts,
// ties going to the class with the lower key.
func modePart(parts []string, by map[string]nhs.Unit, key func(nhs.Unit) string) (string, bool) {
	count := map[string]int{}
	for _, a := range parts {
		if u, ok := by[a]; ok {
			count[key(u)]++
		}
	}
	best, bn := "", 0
	for k, n := range count {
		if n > bn || n == bn && k < best {
			best, bn = k, n
		}
	}
	for _, a := range parts {
		if u, ok := by[a]; ok && key(u) == best {
			return a, true
		}
	}
	return "", false
}

// vintage names the edition a carried class column is of: IMD 2019 for the House of Commons
// Library's lookup (IMD_OVERALL, IMD_INCOME: the Indices of Deprivation 2019) or a column naming
// 2019, IMD 2015 for one naming 2015, RUC 2011 for the 2011 rural-urban classification.
func vintage(k nhs.Kind, column string) string {
	c := strings.ToLower(column)
	year := ""
	switch {
	case strings.Contains(c, "2019") || strings.Contains(c, "imd19"):
		year = "2019"
	case strings.Contains(c, "2015") || strings.Contains(c, "imd15"):
		year = "2015"
	case strings.HasPrefix(c, "imd_") && !strings.ContainsAny(c, "0123456789"):
		year = "2019"
	}
	if k == nhs.KindRUC {
		if strings.Contains(c, "11") {
			return "RUC 2011"
		}
		return "the rural-urban classification"
	}
	name := "IMD"
	switch k {
	case nhs.KindIMDIncome:
		name = "IMD income domain"
	case nhs.KindIMDEmployment:
		name = "IMD employment domain"
	}
	if year != "" {
		return strings.Replace(name, "IMD", "IMD "+year, 1)
	}
	return name
}
