package neighbourhoods

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"

	"pcnmap/csvsafe"
	"pcnmap/nhs"
	"pcnmap/overlap"
	"pcnmap/teams"
)

// Assessment is any footprint set read as a neighbourhood plan: designed, imported, or a trust's teams.
type Assessment struct {
	Set       string  `json:"set"`
	Threshold float64 `json:"threshold"`
	Band      Band    `json:"band"`
	Score     float64 `json:"score"`
	// Coverage is the teams' alignment coverage: of the PCNs holding at least the threshold of some
	// neighbourhood, the share of their resident patients living in one.
	Coverage       float64                `json:"coverage"`
	CoveragePCNs   int                    `json:"coverage_pcns"`
	Neighbourhoods []NeighbourhoodFigures `json:"neighbourhoods"`
	// Missing says which of the neighbourhoods' profiles the release cannot give, and why: one
	// line each for the deprivation profile and the rural-urban classes; nil when it has both.
	Missing []string `json:"missing,omitempty"`
	// Carried says, one line per profile, which profiles are of 2011 LSOAs carried onto the
	// release's 2021 LSOAs ("deprivation: IMD 2019 on 2011 LSOAs carried to 2021 (…)"); nil when
	// none is.
	Carried   []string     `json:"carried,omitempty"`
	PCNs      []PCNFigures `json:"pcns"`
	Practices []Straddle   `json:"practices"`
}

// NeighbourhoodFigures are one neighbourhood's rows of a board paper.
type NeighbourhoodFigures struct {
	Name       string  `json:"name"`
	Registered float64 `json:"registered"`
	// InBand says whether Registered is within the band.
	InBand bool `json:"in_band"`
	// PCNs hold at least the threshold share of its registered residents, largest first.
	PCNs          []PCNShare `json:"pcns"`
	Dominant      string     `json:"dominant"` // the dominant PCN's code ("" when none)
	DominantShare float64    `json:"dominant_share"`
	// LAs are the local authorities its residents live in, by share of them, largest first.
	LAs []UnitShare `json:"las"`
	// Wards are the electoral wards its residents live in, likewise; nil when the release has no
	// ward context (a ward lookup of its LSOAs, such as ONS's LSOA 2021 → ward 2024).
	Wards []UnitShare `json:"wards,omitempty"`
	// Urban is the share of its residents in LSOAs the rural-urban classification calls urban;
	// -1 when the release has no rural-urban context.
	Urban float64 `json:"urban"`
	// Deprivation is its residents by the IMD decile of their LSOA; nil when the release has no
	// IMD context (Assessment.Missing says so).
	Deprivation *Deprivation `json:"deprivation,omitempty"`
	// Income and Employment are its residents by the decile of their LSOA on the IMD's income and
	// employment domains, in the same form; nil when the release has no such decile (no line in
	// Missing: the domains are read where a context file gives them, IMD_INCOME of the LSOA 2011 →
	// MSOA lookup or MHCLG's "Income Decile" and "Employment Decile").
	Income     *Deprivation `json:"income,omitempty"`
	Employment *Deprivation `json:"employment,omitempty"`
	// RuralUrban are its residents by the rural-urban class of their LSOA (code A1 … E2 for RUC11,
	// name, share of its residents), in class-code order; residents of LSOAs with no class are left
	// out. Nil when the release has no rural-urban class context.
	RuralUrban []UnitShare `json:"rural_urban,omitempty"`
}

// Deprivation is a neighbourhood's deprivation profile: where its registered residents live on the
// English Index of Multiple Deprivation, whose deciles rank all of England's LSOAs.
type Deprivation struct {
	// Deciles[i] is the share of its residents living in LSOAs of decile i+1: Deciles[0] the most
	// deprived 10% of LSOAs, Deciles[9] the least deprived.
	Deciles [10]float64 `json:"deciles"`
	// Core20 is the share in deciles 1 and 2, the most deprived 20% (NHS England's Core20PLUS5).
	Core20 float64 `json:"core20"`
	// Unknown is the share living in LSOAs the release's IMD context gives no decile (an LSOA new
	// in 2021 when the deciles are of 2011 LSOAs); the deciles and Unknown add up to 1.
	Unknown float64 `json:"unknown"`
}

// profile is the Deprivation of residents counted by decile ([0]: no decile) out of total.
func profile(deciles *[11]float64, total float64) *Deprivation {
	p := &Deprivation{Unknown: 1}
	if total > 0 {
		// min: sums of fractional residents may pass the total by a rounding error.
		for i := range p.Deciles {
			p.Deciles[i] = min(1, deciles[i+1]/total)
		}
		p.Core20, p.Unknown = min(1, (deciles[1]+deciles[2])/total), min(1, deciles[0]/total)
	}
	return p
}

// What Assessment.Missing says when the release lacks a profile's context.
const (
	MissingIMD = "deprivation: the release has no IMD decile of its LSOAs (ingest --context a file with an LSOA code and an IMD decile column, such as the LSOA 2011 → MSOA lookup's IMD_OVERALL or MHCLG's Indices of Deprivation; a release ingested before pcnmap read them is ingested again)"
	MissingRUC = "rural-urban class: the release has no rural-urban class of its LSOAs (ingest --context the ONS rural-urban classification, RUC11CD or RUC21CD; a release ingested before pcnmap kept the classes is ingested again)"
)

// PCNShare is a PCN's part of a neighbourhood.
type PCNShare struct {
	Code     string  `json:"code"`
	Name     string  `json:"name"`
	Patients float64 `json:"patients"`
	Share    float64 `json:"share"`
}

// UnitShare is a unit's part of a neighbourhood's residents.
type UnitShare struct {
	Code  string  `json:"code"`
	Name  string  `json:"name"`
	Share float64 `json:"share"`
}

// PCNFigures say where a PCN's patients live among the neighbourhoods.
type PCNFigures struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	ListSize int64  `json:"list_size"`
	// Neighbourhoods hold at least the threshold share of its resident patients, largest first.
	Neighbourhoods []TeamShare `json:"neighbourhoods"`
	Main           string      `json:"main"`       // the neighbourhood holding most of them
	MainShare      float64     `json:"main_share"` // of its resident patients
	// InPlan is the share of its resident patients living in any of the set's neighbourhoods.
	InPlan float64 `json:"in_plan"`
}

// TeamShare is a neighbourhood's part of a PCN's resident patients.
type TeamShare struct {
	Name  string  `json:"name"`
	Share float64 `json:"share"`
}

// Straddle is a practice's split: the share of its patients living in the set who live outside its
// PCN's main neighbourhood.
type Straddle struct {
	Code     string  `json:"code"`
	Name     string  `json:"name"`
	PCN      string  `json:"pcn"`
	Patients float64 `json:"patients"` // its patients living in the set's teams
	Straddle float64 `json:"straddle"`
}

// Assess measures set on d at threshold t against band (zero: 30k–50k). The set must be of LSOAs
// or areas (a practice-based set has no places).
func Assess(d *overlap.Dataset, set *teams.Set, t float64, band Band) (*Assessment, error) {
	if band == (Band{}) {
		band = Band{Min: 30000, Max: 50000}
	}
	if set.Method == teams.MethodPractice {
		return nil, fmt.Errorf("%w: set %q is practice-based: a neighbourhood plan needs places", ErrInput, set.Name)
	}
	m, err := teams.NewModel(d, set)
	if err != nil {
		return nil, err
	}
	al := m.Alignment(t)
	a := &Assessment{Set: set.Name, Threshold: t, Band: band, Score: al.Score, Coverage: al.Coverage, CoveragePCNs: al.CoveragePCNs}
	lsoa := make(map[string]int32, len(d.LSOAs))
	for i := range d.LSOAs {
		lsoa[d.LSOAs[i].Code] = int32(i)
	}
	// weights[l] are the (team, weight) pairs of LSOA l.
	type tw struct {
		team int32
		w    float64
	}
	weights := map[int32][]tw{}
	for ti, tm := range set.Teams {
		for _, w := range tm.LSOAs {
			if l, ok := lsoa[w.LSOA]; ok {
				weights[l] = append(weights[l], tw{int32(ti), w.Weight})
			}
		}
	}
	hasRurality := len(d.Units[nhs.KindRurality]) > 0
	hasWards := len(d.Units[nhs.KindWard]) > 0
	hasIMD, hasRUC := len(d.Units[nhs.KindIMD]) > 0, len(d.Units[nhs.KindRUC]) > 0
	if !hasIMD {
		a.Missing = append(a.Missing, MissingIMD)
	}
	if !hasRUC {
		a.Missing = append(a.Missing, MissingRUC)
	}
	// The decile kinds profiled: the overall IMD and the domains the release has.
	decileKinds := []nhs.Kind{nhs.KindIMD, nhs.KindIMDIncome, nhs.KindIMDEmployment}
	var hasDecile [3]bool
	for i, k := range decileKinds {
		hasDecile[i] = len(d.Units[k]) > 0
	}
	for _, c := range []struct {
		kind nhs.Kind
		what string
	}{{nhs.KindIMD, "deprivation"}, {nhs.KindIMDIncome, "income deprivation"}, {nhs.KindIMDEmployment, "employment deprivation"}, {nhs.KindRUC, "rural-urban class"}} {
		if label := d.Coverage.Carried[c.kind.String()]; label != "" && len(d.Units[c.kind]) > 0 {
			a.Carried = append(a.Carried, c.what+": "+label)
		}
	}
	for ti, tm := range al.Teams {
		nf := NeighbourhoodFigures{Name: tm.Name, Registered: tm.Registered, Urban: -1, DominantShare: tm.DominantShare}
		nf.InBand = tm.Registered >= band.Min && tm.Registered <= band.Max
		if tm.Dominant >= 0 {
			nf.Dominant = d.PCNs[tm.Dominant].Code
		}
		for _, s := range tm.PCNs {
			nf.PCNs = append(nf.PCNs, PCNShare{Code: d.PCNs[s.PCN].Code, Name: d.PCNs[s.PCN].Name, Patients: s.Patients, Share: s.Share})
		}
		la, ward, ruc := map[string]float64{}, map[string]float64{}, map[string]float64{}
		var urban, total float64
		var deciles [3][11]float64 // by decileKinds; [0]: no decile
		for _, w := range set.Teams[ti].LSOAs {
			l, ok := lsoa[w.LSOA]
			if !ok {
				continue
			}
			r := w.Weight * float64(d.LSOAs[l].Registered)
			total += r
			la[d.LSOAs[l].Units[nhs.KindLA]] += r
			if hasWards {
				ward[d.LSOAs[l].Units[nhs.KindWard]] += r
			}
			if d.LSOAs[l].Units[nhs.KindRurality] == "Urban" {
				urban += r
			}
			for i, k := range decileKinds {
				if !hasDecile[i] {
					continue
				}
				dec, _ := strconv.Atoi(d.LSOAs[l].Units[k]) // "1" … "10" as nhs reads them, or ""
				if dec < 1 || dec > 10 {
					dec = 0
				}
				deciles[i][dec] += r
			}
			if hasRUC {
				ruc[d.LSOAs[l].Units[nhs.KindRUC]] += r
			}
		}
		for i, dst := range []**Deprivation{&nf.Deprivation, &nf.Income, &nf.Employment} {
			if hasDecile[i] {
				*dst = profile(&deciles[i], total)
			}
		}
		if hasRUC {
			nf.RuralUrban = unitShares(d, nhs.KindRUC, ruc, total)
			slices.SortFunc(nf.RuralUrban, func(x, y UnitShare) int { return cmp.Compare(x.Code, y.Code) })
			if nf.RuralUrban == nil {
				nf.RuralUrban = []UnitShare{}
			}
		}
		if hasRurality && total > 0 {
			nf.Urban = urban / total
		}
		nf.LAs = unitShares(d, nhs.KindLA, la, total)
		if hasWards {
			nf.Wards = unitShares(d, nhs.KindWard, ward, total)
			if nf.Wards == nil {
				nf.Wards = []UnitShare{}
			}
		}
		a.Neighbourhoods = append(a.Neighbourhoods, nf)
	}
	main := make(map[int32]int32, len(al.PCNs)) // PCN → its main team
	for _, pm := range al.PCNs {
		p := d.PCNs[pm.PCN]
		pf := PCNFigures{Code: p.Code, Name: p.Name, ListSize: p.ListSize, InPlan: max(0, 1-pm.Outside)}
		if pm.DominantTeam >= 0 {
			pf.Main = al.Teams[pm.DominantTeam].Name
			pf.MainShare = pm.InTeam[pm.DominantTeam]
			main[int32(pm.PCN)] = int32(pm.DominantTeam)
		}
		for ti, v := range pm.InTeam {
			if v > 0 && v >= t {
				pf.Neighbourhoods = append(pf.Neighbourhoods, TeamShare{Name: al.Teams[ti].Name, Share: v})
			}
		}
		slices.SortFunc(pf.Neighbourhoods, func(x, y TeamShare) int { return cmp.Or(cmp.Compare(y.Share, x.Share), cmp.Compare(x.Name, y.Name)) })
		a.PCNs = append(a.PCNs, pf)
	}
	// Straddle per practice in a PCN.
	in := make([]float64, len(d.Practices))
	home := make([]float64, len(d.Practices))
	for _, r := range d.Rows {
		p := d.Practices[r.Practice].PCN
		if p == overlap.NoPCN {
			continue
		}
		mt, ok := main[p]
		for _, x := range weights[r.LSOA] {
			v := x.w * float64(r.Patients)
			in[r.Practice] += v
			if ok && x.team == mt {
				home[r.Practice] += v
			}
		}
	}
	for i, pr := range d.Practices {
		if pr.PCN == overlap.NoPCN || in[i] <= 0 {
			continue
		}
		a.Practices = append(a.Practices, Straddle{Code: pr.Code, Name: pr.Name, PCN: d.PCNs[pr.PCN].Code, Patients: in[i], Straddle: max(0, 1-home[i]/in[i])})
	}
	return a, nil
}

// unitShares are the units of kind k holding residents (by unit code) out of total, largest share
// first, then by code; residents of LSOAs in no such unit ("") are left out.
func unitShares(d *overlap.Dataset, k nhs.Kind, residents map[string]float64, total float64) []UnitShare {
	var out []UnitShare
	for code, v := range residents {
		if code == "" || total <= 0 {
			continue
		}
		out = append(out, UnitShare{Code: code, Name: d.Units[k][code], Share: v / total})
	}
	slices.SortFunc(out, func(x, y UnitShare) int { return cmp.Or(cmp.Compare(y.Share, x.Share), cmp.Compare(x.Code, y.Code)) })
	return out
}

// WriteCSV writes the LSOA → neighbourhood table ICBs exchange: lsoa,neighbourhood,weight, one row per
// LSOA and team holding it, in team then LSOA order. Works for any set of LSOAs or areas.
func WriteCSV(w io.Writer, set *teams.Set) error {
	if set.Method == teams.MethodPractice {
		return fmt.Errorf("%w: set %q is practice-based: it holds no LSOAs", ErrInput, set.Name)
	}
	cw := csvsafe.NewWriter(w)
	if err := cw.Write([]string{"lsoa", "neighbourhood", "weight"}); err != nil {
		return fmt.Errorf("neighbourhoods: write csv: %w", err)
	}
	for _, tm := range set.Teams {
		for _, lw := range tm.LSOAs {
			if err := cw.Write([]string{lw.LSOA, tm.Name, strconv.FormatFloat(lw.Weight, 'f', -1, 64)}); err != nil {
				return fmt.Errorf("neighbourhoods: write csv: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("neighbourhoods: write csv: %w", err)
	}
	return nil
}
