// Package gis builds the layers GIS users open (areas with their metrics, PCN footprints, PCN pairs,
// boundaries, footprint sets) and writes them as one GeoPackage or as RFC 7946 GeoJSON files. The
// numbers are those of the CSV report (the same overlap metrics); dissolved outlines come from the
// caller's Dissolver, the tiles' topology, so neighbouring outlines share their edges. Output is
// byte-for-byte the same for the same inputs.
package gis

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"pcnmap/gpkg"
	"pcnmap/nhs"
	"pcnmap/overlap"
	"pcnmap/teams"
)

// Dissolver outlines groups of the release's areas along their shared edges.
type Dissolver interface {
	// Union is the outline of the areas given by index.
	Union(areas []int32) orb.MultiPolygon
}

// Boundary is a context unit's outline (ingested, or dissolved from the areas).
type Boundary struct {
	Kind, Code, Name string
	Geom             orb.MultiPolygon
	Dissolved        bool
}

// TeamSet is a stored footprint set with its model (see teams.NewModel).
type TeamSet struct {
	Set   *teams.Set
	Model *teams.Model
}

// Input is what Layers reads.
type Input struct {
	Data      *overlap.Dataset
	Threshold float64 // the t of pcns and the footprints, 0..1
	Core      float64 // core footprint share; 0 means overlap.DefaultCore
	Dissolver Dissolver
	// Boundaries fill the boundaries layer, left out when there are none.
	Boundaries []Boundary
	// Sets fill the teams layer, left out when there are none.
	Sets []TeamSet
}

// The layer names.
const (
	LayerAreas      = "areas"
	LayerFootprints = "pcn_footprints"
	LayerCores      = "pcn_cores"
	LayerPairs      = "pcn_pairs"
	LayerBoundaries = "boundaries"
	LayerTeams      = "teams"
)

// areaUnitKinds are the context columns of the areas layer, as in areas.csv.
var areaUnitKinds = []nhs.Kind{nhs.KindRegion, nhs.KindNHSRegion, nhs.KindLA, nhs.KindCCG, nhs.KindSTP, nhs.KindSubICB, nhs.KindICB, nhs.KindRurality, nhs.KindWard}

// pcnUnitKinds are the context columns of the PCN layers, as in pcns.csv.
var pcnUnitKinds = []nhs.Kind{nhs.KindCCG, nhs.KindSubICB, nhs.KindICB}

// Column is the column name of a context kind: its CSV name with "-" made "_", which GIS tools
// take without quoting (sub-icb → sub_icb, nhs-region → nhs_region).
func Column(k nhs.Kind) string { return strings.ReplaceAll(k.String(), "-", "_") }

func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Layers builds the layers, in the order areas, pcn_footprints, pcn_cores, pcn_pairs, boundaries,
// teams.
func Layers(ctx context.Context, in Input) ([]gpkg.Layer, error) {
	d := in.Data
	if in.Threshold < 0 || in.Threshold > 1 {
		return nil, fmt.Errorf("gis: %w", overlap.ErrThreshold)
	}
	if in.Core == 0 {
		in.Core = overlap.DefaultCore
	}
	if in.Dissolver == nil {
		return nil, fmt.Errorf("gis: no dissolver")
	}
	t := overlap.FormatThreshold(in.Threshold)
	am := d.AreaMetrics(nil, in.Threshold)
	pm := d.PCNMetrics(nil, in.Threshold, in.Core, am)
	counts := make([]int, len(d.Areas)+1)
	for _, m := range am {
		counts[min(int(m.PCNs), len(counts)-1)]++
	}
	areas := areasLayer(d, am, counts)
	areas.Description = fmt.Sprintf("Areas of release %s with their PCN metrics; pcns counts the PCNs holding at least %s of an area's registered patients", d.Release, t)

	var fp, core []orb.MultiPolygon
	for p := range d.PCNs {
		if p%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var at []int32
		d.PCNCells(p, func(c overlap.Cell) {
			if c.Patients > 0 && d.Serves(c, in.Threshold) {
				at = append(at, c.Area)
			}
		})
		fp = append(fp, in.Dissolver.Union(at))
		core = append(core, in.Dissolver.Union(d.CoreAreas(p, in.Core)))
	}
	footprints := pcnLayer(d, pm, LayerFootprints, fp)
	footprints.Description = fmt.Sprintf("Each PCN's footprint: the union of the areas where it holds at least %s of the registered patients", t)
	footprints.StyleQML = gpkg.SingleQML(gpkg.Fill{Outline: gpkg.Hex("#2c728e"), Width: 0.5}, "name")
	cores := pcnLayer(d, pm, LayerCores, core)
	cores.Description = fmt.Sprintf("Each PCN's core footprint: the fewest areas holding %s of its resident patients", overlap.FormatThreshold(in.Core))
	cores.StyleQML = gpkg.SingleQML(gpkg.Fill{Colour: gpkg.Colour{R: 0x5e, G: 0xc9, B: 0x62, A: 90}, Outline: gpkg.Hex("#28ae80"), Width: 0.4}, "name")

	out := []gpkg.Layer{areas, footprints, cores, pairsLayer(d, d.Pairs(in.Threshold), t)}
	if len(in.Boundaries) > 0 {
		out = append(out, boundariesLayer(in.Boundaries))
	}
	if len(in.Sets) > 0 {
		out = append(out, teamsLayer(d, in, t))
	}
	return out, nil
}

// Teams is the teams layer alone: the footprint sets of in with their metrics at in.Threshold.
func Teams(in Input) (gpkg.Layer, error) {
	if in.Threshold < 0 || in.Threshold > 1 {
		return gpkg.Layer{}, fmt.Errorf("gis: %w", overlap.ErrThreshold)
	}
	if in.Dissolver == nil {
		return gpkg.Layer{}, fmt.Errorf("gis: no dissolver")
	}
	return teamsLayer(in.Data, in, overlap.FormatThreshold(in.Threshold)), nil
}

func areasLayer(d *overlap.Dataset, am []overlap.AreaMetrics, counts []int) gpkg.Layer {
	l := gpkg.Layer{Name: LayerAreas, Features: true, Fields: []gpkg.Field{
		{Name: "code", Type: gpkg.FieldText}, {Name: "name", Type: gpkg.FieldText},
		{Name: "registered", Type: gpkg.FieldInteger}, {Name: "in_pcn", Type: gpkg.FieldInteger},
		{Name: "pcns_any", Type: gpkg.FieldInteger}, {Name: "pcns", Type: gpkg.FieldInteger},
		{Name: "dominant_pcn", Type: gpkg.FieldText}, {Name: "dominant_pcn_name", Type: gpkg.FieldText},
		{Name: "dominant_share", Type: gpkg.FieldReal}, {Name: "hhi", Type: gpkg.FieldReal},
		{Name: "effective_pcns", Type: gpkg.FieldReal}, {Name: "entropy", Type: gpkg.FieldReal},
	}}
	var kinds []nhs.Kind
	for _, k := range areaUnitKinds {
		if len(d.Units[k]) > 0 {
			kinds = append(kinds, k)
			l.Fields = append(l.Fields, gpkg.Field{Name: Column(k), Type: gpkg.FieldText})
		}
	}
	// complete as areas.csv writes it (overlap.Dataset.Complete).
	l.Fields = append(l.Fields, gpkg.Field{Name: "complete", Type: gpkg.FieldText})
	complete := d.Complete()
	l.Rows = make([]gpkg.Row, len(d.Areas))
	for i := range d.Areas {
		a, m := &d.Areas[i], am[i]
		var dom, domName any
		if m.Dominant != overlap.NoPCN {
			dom, domName = d.PCNs[m.Dominant].Code, d.PCNs[m.Dominant].Name
		}
		v := []any{a.Code, a.Name, a.Registered, a.InPCN, int64(m.PCNsAny), int64(m.PCNs), dom, domName,
			m.DominantShare, m.HHI, m.EffectivePCNs, d.Entropy(i)}
		for _, k := range kinds {
			v = append(v, null(a.Units[k]))
		}
		v = append(v, strconv.FormatBool(complete[i]))
		l.Rows[i] = gpkg.Row{Geom: a.Geom, Values: v}
	}
	l.StyleQML = gpkg.GraduatedQML("pcns", CountClasses(counts), "")
	return l
}

func pcnLayer(d *overlap.Dataset, pm []overlap.PCNMetrics, name string, geoms []orb.MultiPolygon) gpkg.Layer {
	l := gpkg.Layer{Name: name, Features: true, Fields: []gpkg.Field{
		{Name: "code", Type: gpkg.FieldText}, {Name: "name", Type: gpkg.FieldText},
		{Name: "list_size", Type: gpkg.FieldInteger}, {Name: "resident", Type: gpkg.FieldInteger},
		{Name: "practices", Type: gpkg.FieldInteger}, {Name: "areas_any", Type: gpkg.FieldInteger},
		{Name: "areas", Type: gpkg.FieldInteger}, {Name: "core_areas", Type: gpkg.FieldInteger},
		{Name: "containment", Type: gpkg.FieldReal}, {Name: "dominant_areas", Type: gpkg.FieldInteger},
	}}
	var kinds []nhs.Kind
	for _, k := range pcnUnitKinds {
		if len(d.Units[k]) > 0 {
			kinds = append(kinds, k)
			l.Fields = append(l.Fields, gpkg.Field{Name: Column(k), Type: gpkg.FieldText})
		}
	}
	l.Rows = make([]gpkg.Row, len(d.PCNs))
	for i := range d.PCNs {
		p, m := &d.PCNs[i], pm[i]
		v := []any{p.Code, p.Name, p.ListSize, p.Resident, int64(len(p.Practices)), int64(m.AreasAny), int64(m.Areas),
			int64(m.Core), m.Containment, int64(m.Dominates)}
		for _, k := range kinds {
			v = append(v, null(d.PCNUnit(i, k)))
		}
		l.Rows[i] = gpkg.Row{Geom: geoms[i], Values: v}
	}
	return l
}

func pairsLayer(d *overlap.Dataset, pairs []overlap.Pair, t string) gpkg.Layer {
	l := gpkg.Layer{Name: LayerPairs, Description: "Pairs of PCNs that both serve some area at " + t, Fields: []gpkg.Field{
		{Name: "pcn1", Type: gpkg.FieldText}, {Name: "pcn1_name", Type: gpkg.FieldText},
		{Name: "pcn2", Type: gpkg.FieldText}, {Name: "pcn2_name", Type: gpkg.FieldText},
		{Name: "shared_areas", Type: gpkg.FieldInteger}, {Name: "shared_areas_any", Type: gpkg.FieldInteger},
		{Name: "overlap", Type: gpkg.FieldInteger},
	}}
	l.Rows = make([]gpkg.Row, len(pairs))
	for i, p := range pairs {
		a, b := &d.PCNs[p.P1], &d.PCNs[p.P2]
		l.Rows[i] = gpkg.Row{Values: []any{a.Code, a.Name, b.Code, b.Name, int64(p.Shared), int64(p.SharedAny), int64(p.Overlap)}}
	}
	return l
}

func boundariesLayer(bs []Boundary) gpkg.Layer {
	l := gpkg.Layer{Name: LayerBoundaries, Features: true,
		Description: "Context outlines: ingested boundary files, and units dissolved from the areas where most of each area's residents live (dissolved = 1)",
		Fields: []gpkg.Field{
			{Name: "kind", Type: gpkg.FieldText}, {Name: "code", Type: gpkg.FieldText},
			{Name: "name", Type: gpkg.FieldText}, {Name: "dissolved", Type: gpkg.FieldInteger},
		}}
	bs = slices.Clone(bs)
	slices.SortStableFunc(bs, func(x, y Boundary) int { return cmp.Or(cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Code, y.Code)) })
	for _, b := range bs {
		dis := int64(0)
		if b.Dissolved {
			dis = 1
		}
		l.Rows = append(l.Rows, gpkg.Row{Geom: b.Geom, Values: []any{b.Kind, b.Code, null(b.Name), dis}})
	}
	l.StyleQML = gpkg.SingleQML(gpkg.Fill{Outline: gpkg.Hex("#333333"), Width: 0.6}, "")
	return l
}

func teamsLayer(d *overlap.Dataset, in Input, t string) gpkg.Layer {
	l := gpkg.Layer{Name: LayerTeams, Features: true,
		Description: "Footprint sets (team patches, neighbourhoods) with their PCN metrics at " + t + "; score and coverage are the set's",
		Fields: []gpkg.Field{
			{Name: "set", Type: gpkg.FieldText}, {Name: "method", Type: gpkg.FieldText},
			{Name: "team", Type: gpkg.FieldText}, {Name: "registered", Type: gpkg.FieldReal},
			{Name: "in_pcn", Type: gpkg.FieldReal}, {Name: "pcns", Type: gpkg.FieldInteger},
			{Name: "dominant_pcn", Type: gpkg.FieldText}, {Name: "dominant_pcn_name", Type: gpkg.FieldText},
			{Name: "dominant_share", Type: gpkg.FieldReal}, {Name: "hhi", Type: gpkg.FieldReal},
			{Name: "effective_pcns", Type: gpkg.FieldReal},
			{Name: "score", Type: gpkg.FieldReal}, {Name: "coverage", Type: gpkg.FieldReal},
		}}
	sets := slices.Clone(in.Sets)
	slices.SortFunc(sets, func(x, y TeamSet) int { return cmp.Compare(x.Set.Name, y.Set.Name) })
	for _, s := range sets {
		a := s.Model.Alignment(in.Threshold)
		held := map[int][]int32{}
		for _, at := range s.Model.AreaTeams() {
			held[at.Team] = append(held[at.Team], int32(at.Area))
		}
		set := s.Model.Set()
		for i, tm := range a.Teams {
			geom := set.Teams[i].Geom
			if len(geom) == 0 {
				geom = in.Dissolver.Union(held[i])
			}
			var dom, domName any
			if tm.Dominant >= 0 {
				dom, domName = d.PCNs[tm.Dominant].Code, d.PCNs[tm.Dominant].Name
			}
			l.Rows = append(l.Rows, gpkg.Row{Geom: geom, Values: []any{s.Set.Name, s.Set.Method.String(), tm.Name,
				tm.Registered, tm.InPCN, int64(len(tm.PCNs)), dom, domName, tm.DominantShare, tm.HHI, tm.EffectivePCNs, a.Score, a.Coverage}})
		}
	}
	l.StyleQML = gpkg.SingleQML(gpkg.Fill{Outline: gpkg.Hex("#e66100"), Width: 0.8}, "team")
	return l
}
