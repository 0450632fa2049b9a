package ingest

import (
	"fmt"
	"slices"
	"strings"

	"pcnmap/nhs"
	"pcnmap/overlap"
)

// RegionPart is one unit of a study region: a kind and a code (ONS, or the NHS three-letter code).
type RegionPart struct {
	Kind nhs.Kind
	Code string
}

// regionKinds are the kinds a study region may be given in, by the names --within takes.
var regionKinds = map[string]nhs.Kind{
	"icb": nhs.KindICB, "sub-icb": nhs.KindSubICB, "la": nhs.KindLA, "ccg": nhs.KindCCG, "stp": nhs.KindSTP,
	"ward": nhs.KindWard, "region": nhs.KindRegion, "nhs-region": nhs.KindNHSRegion,
}

// ParseRegion reads a study region, KIND:CODE[,KIND:CODE…] (icb:QNC, la:E06000021,la:E10000028).
func ParseRegion(s string) ([]RegionPart, error) {
	var parts []RegionPart
	for p := range strings.SplitSeq(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		k, code, ok := strings.Cut(p, ":")
		kind, known := regionKinds[strings.ToLower(strings.TrimSpace(k))]
		code = strings.TrimSpace(code)
		if !ok || !known || code == "" {
			names := make([]string, 0, len(regionKinds))
			for n := range regionKinds {
				names = append(names, n)
			}
			slices.Sort(names)
			return nil, fmt.Errorf("%w: --within %q: %q is not KIND:CODE with KIND one of %s", ErrOptions, s, p, strings.Join(names, ", "))
		}
		parts = append(parts, RegionPart{Kind: kind, Code: code})
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: --within %q names no unit", ErrOptions, s)
	}
	return parts, nil
}

// lsoaUnits returns, for kind k, each LSOA's unit code from the context files: a classification of
// k, else one of a child kind lifted through a hierarchy (LSOA → Sub-ICB, Sub-ICB → ICB). aliases
// collects every other code the files give a unit of k.
func lsoaUnits(contexts []*nhs.Context, k nhs.Kind) (units map[string]string, aliases map[string]string, names map[string]string) {
	units, aliases, names = map[string]string{}, map[string]string{}, map[string]string{}
	for _, c := range contexts {
		for a, code := range c.Aliases[k] {
			aliases[a] = code
		}
		for _, cl := range c.Classifications {
			if cl.Kind != k {
				continue
			}
			for lsoa, u := range cl.LSOA {
				units[lsoa] = u.Code
				names[u.Code] = u.Name
			}
		}
	}
	if len(units) > 0 {
		return units, aliases, names
	}
	for _, c := range contexts {
		for _, h := range c.Hierarchies {
			if h.To != k {
				continue
			}
			for _, c2 := range contexts {
				for _, cl := range c2.Classifications {
					if cl.Kind != h.From {
						continue
					}
					for lsoa, u := range cl.LSOA {
						if p, ok := h.Parent[u.Code]; ok {
							units[lsoa] = p.Code
							names[p.Code] = p.Name
						}
					}
				}
			}
		}
	}
	return units, aliases, names
}

// resolveUnit gives the code a unit named by part is kept under: part.Code when names (code → name)
// holds it, else the code it is another name of in aliases (an NHS code: QNC, 05W, as given or in
// upper case); ok is false when it is neither.
func resolveUnit(part RegionPart, aliases, names map[string]string) (code string, ok bool) {
	for _, c := range []string{part.Code, strings.ToUpper(part.Code)} {
		if _, ok := names[c]; ok {
			return c, true
		}
		if a, ok := aliases[c]; ok {
			if _, ok := names[a]; ok {
				return a, true
			}
		}
	}
	return "", false
}

// ResolveRegion gives each part of a study region the code release d keeps its unit under (the ONS
// code, as the areas' units are), resolving NHS codes (icb:QNC, sub-icb:05W) through the aliases the
// ingest kept, as ingest --within does through the context files. A unit d does not know is an
// ErrOptions naming the flag, the part and the release.
func ResolveRegion(parts []RegionPart, d *overlap.Dataset) ([]RegionPart, error) {
	out := make([]RegionPart, 0, len(parts))
	for _, part := range parts {
		if int(part.Kind) >= overlap.KindCount {
			return nil, fmt.Errorf("%w: --within %s:%s: not a kind of unit", ErrOptions, part.Kind, part.Code)
		}
		names := d.Units[part.Kind]
		if len(names) == 0 {
			return nil, fmt.Errorf("%w: --within %s:%s: release %s has no %s units (it was ingested without a --context file giving them)", ErrOptions, part.Kind, part.Code, d.Release, part.Kind)
		}
		code, ok := resolveUnit(part, d.Aliases[part.Kind], names)
		if !ok {
			hint := ""
			if len(d.Aliases[part.Kind]) == 0 {
				hint = "; it keeps no NHS codes for them (ingested before pcnmap kept them: re-ingest it, or give the ONS code)"
			}
			return nil, fmt.Errorf("%w: --within %s:%s: release %s knows no %s %q (by ONS or NHS code)%s", ErrOptions, part.Kind, part.Code, d.Release, part.Kind, part.Code, hint)
		}
		out = append(out, RegionPart{Kind: part.Kind, Code: code})
	}
	return out, nil
}

// regionAreas decides which areas lie in the region: an area belongs to the unit holding most of
// its LSOAs (ties to the smaller code), and is in the region when that unit is one of the parts'.
// assign is LSOA → area. It returns the areas in the region and a description of the region.
func regionAreas(parts []RegionPart, contexts []*nhs.Context, assign map[string]string) (map[string]bool, string, error) {
	in := map[string]bool{}
	var described []string
	for _, part := range parts {
		units, aliases, names := lsoaUnits(contexts, part.Kind)
		if len(units) == 0 {
			return nil, "", fmt.Errorf("%w: --within %s:%s: no --context file gives LSOAs a %s (give one, e.g. lsoa21-sicbl24-icb24-lookup.csv for icb and sub-icb, lsoa21-ward24-lad24-lookup.csv for la and ward)",
				ErrOptions, part.Kind, part.Code, part.Kind)
		}
		code, ok := resolveUnit(part, aliases, names)
		if !ok {
			return nil, "", fmt.Errorf("%w: --within %s:%s: the context files know no %s %q (by ONS or NHS code)", ErrOptions, part.Kind, part.Code, part.Kind, part.Code)
		}
		votes := map[string]map[string]int{}
		for lsoa, area := range assign {
			u, ok := units[lsoa]
			if !ok {
				continue
			}
			if votes[area] == nil {
				votes[area] = map[string]int{}
			}
			votes[area][u]++
		}
		n := 0
		for area, v := range votes {
			best, bn := "", -1
			for u, c := range v {
				if c > bn || c == bn && u < best {
					best, bn = u, c
				}
			}
			if best == code {
				if !in[area] {
					n++
				}
				in[area] = true
			}
		}
		d := part.Kind.String() + ":" + code
		if code != part.Code {
			d = part.Kind.String() + ":" + part.Code + " (" + code + ")"
		}
		if n == 0 {
			return nil, "", fmt.Errorf("%w: --within %s: no area has most of its LSOAs in %s %s", ErrOptions, d, part.Kind, names[code])
		}
		described = append(described, d)
	}
	return in, strings.Join(described, ","), nil
}

// suggestRegion says, when the registrations hold the practices of a few ICBs only (an ICB
// analyst's extract), which --within fits; "" when they look national or do not say. how says how
// the practices' ICBs were known, when not from the file.
func suggestRegion(icbOf map[string]string, practices int, how string) string {
	if len(icbOf) == 0 {
		return ""
	}
	count := map[string]int{}
	for _, icb := range icbOf {
		count[icb]++
	}
	if len(count) > 5 {
		return ""
	}
	icbs := make([]string, 0, len(count))
	for icb := range count {
		icbs = append(icbs, "icb:"+icb)
	}
	slices.Sort(icbs)
	return fmt.Sprintf("the registrations hold the practices of %d ICB(s) only%s (%s, %d practices): add --within %s to study that region rather than every area, most with a few of its patients",
		len(count), how, strings.Join(icbs, ", "), practices, strings.Join(icbs, ","))
}

// practiceICBs gives each practice of regs the ICB where most of its patients live, by the context
// files' LSOA → ICB units (ties to the lower code); nil when the contexts give no ICBs.
func practiceICBs(regs *nhs.Registrations, contexts []*nhs.Context) map[string]string {
	units, _, _ := lsoaUnits(contexts, nhs.KindICB)
	if len(units) == 0 {
		return nil
	}
	patients := make([]map[string]int64, len(regs.Practices))
	for _, r := range regs.Rows {
		icb, ok := units[regs.LSOAs[r.LSOA]]
		if !ok {
			continue
		}
		if patients[r.Practice] == nil {
			patients[r.Practice] = map[string]int64{}
		}
		patients[r.Practice][icb] += int64(r.Patients)
	}
	out := make(map[string]string, len(regs.Practices))
	for i, byICB := range patients {
		best, most := "", int64(-1)
		for icb, n := range byICB {
			if n > most || (n == most && icb < best) {
				best, most = icb, n
			}
		}
		if best != "" {
			out[regs.Practices[i].Code] = best
		}
	}
	return out
}
