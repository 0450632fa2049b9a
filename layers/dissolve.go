package layers

import (
	"pcnmap/geo"
	"pcnmap/nhs"
	"pcnmap/overlap"
	"pcnmap/tiles"
)

// dissolveKinds are the context kinds whose outlines can be dissolved from the areas.
var dissolveKinds = []nhs.Kind{nhs.KindNHSRegion, nhs.KindRegion, nhs.KindICB, nhs.KindSTP, nhs.KindSubICB, nhs.KindCCG, nhs.KindLA}

// boundaries are the features of the boundaries layer: the ingested outlines and, for every other
// context kind the areas were assigned to, each unit's outline dissolved from its areas. A dissolved
// outline follows the areas' edges (an MSOA belongs to the unit where most of its residents live),
// so it is the outline the area metrics were summed over, not the unit's legal boundary.
func boundaries(d *overlap.Dataset) []boundary {
	var out []boundary
	ingested := map[string]bool{}
	for _, b := range d.Boundaries {
		out = append(out, boundary{Boundary: b})
		ingested[b.Kind] = true
	}
	var dv *tiles.Dissolver
	for _, k := range dissolveKinds {
		if ingested[k.String()] || len(d.Units[k]) == 0 {
			continue
		}
		if dv == nil {
			dv = NewDissolver(d.Areas)
		}
		for _, f := range dissolve(dv, d, k) {
			out = append(out, boundary{Boundary: overlap.Boundary{Kind: k.String(), Feature: f}, dissolved: true})
		}
	}
	return out
}

// NewDissolver is tiles.NewDissolver over the areas' polygons.
func NewDissolver(areas []overlap.Area) *tiles.Dissolver {
	features := make([]geo.Feature, len(areas))
	for i := range areas {
		features[i] = areas[i].Feature
	}
	return tiles.NewDissolver(features)
}

// dissolve returns the outline of every unit of kind k, named from d.Units, sorted by code.
func dissolve(dv *tiles.Dissolver, d *overlap.Dataset, k nhs.Kind) []geo.Feature {
	out := dv.DissolveBy(func(a int32) string { return d.Areas[a].Units[k] })
	for i := range out {
		out[i].Name = d.Units[k][out[i].Code]
	}
	return out
}
