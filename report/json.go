package report

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"path/filepath"

	"pcnmap/overlap"
)

// JSONFiles are the names the JSON format creates: the CSV files' rows as arrays of objects with the
// same names and values, and the same summary.json.
var JSONFiles = []string{"areas.json", "pcns.json", "pcn_pairs.json", "summary.json"}

// round6 rounds to the six decimals the CSV files write, so both formats say the same.
func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

type areaJSON struct {
	Code          string            `json:"code"`
	Name          string            `json:"name"`
	Registered    int64             `json:"registered"`
	InPCN         int64             `json:"in_pcn"`
	PCNsAny       int32             `json:"pcns_any"`
	PCNs          int32             `json:"pcns"`
	Dominant      string            `json:"dominant_pcn"`
	DominantName  string            `json:"dominant_pcn_name"`
	DominantShare float64           `json:"dominant_share"`
	HHI           float64           `json:"hhi"`
	EffectivePCNs float64           `json:"effective_pcns"`
	Entropy       float64           `json:"entropy"`
	Units         map[string]string `json:"units,omitempty"`
}

type pcnJSON struct {
	Code        string            `json:"code"`
	Name        string            `json:"name"`
	ListSize    int64             `json:"list_size"`
	Resident    int64             `json:"resident"`
	Practices   int               `json:"practices"`
	AreasAny    int32             `json:"areas_any"`
	Areas       int32             `json:"areas"`
	Core        int32             `json:"core_areas"`
	Containment float64           `json:"containment"`
	Dominates   int32             `json:"dominant_areas"`
	Units       map[string]string `json:"units,omitempty"`
}

type pairJSON struct {
	PCN1      string `json:"pcn1"`
	PCN1Name  string `json:"pcn1_name"`
	PCN2      string `json:"pcn2"`
	PCN2Name  string `json:"pcn2_name"`
	Shared    int32  `json:"shared_areas"`
	SharedAny int32  `json:"shared_areas_any"`
	Overlap   int64  `json:"overlap"`
}

// writeJSON writes JSONFiles. Maps are encoded with sorted keys, so the files are deterministic.
func writeJSON(ctx context.Context, dir string, d *overlap.Dataset, opt Options, am []overlap.AreaMetrics, pm []overlap.PCNMetrics, s *overlap.Summary) error {
	kinds := usedKinds(d)
	areas := make([]areaJSON, len(d.Areas))
	for i := range d.Areas {
		a, m := &d.Areas[i], am[i]
		r := areaJSON{Code: a.Code, Name: a.Name, Registered: a.Registered, InPCN: a.InPCN, PCNsAny: m.PCNsAny, PCNs: m.PCNs,
			DominantShare: round6(m.DominantShare), HHI: round6(m.HHI), EffectivePCNs: round6(m.EffectivePCNs), Entropy: round6(d.Entropy(i))}
		if m.Dominant != overlap.NoPCN {
			r.Dominant, r.DominantName = d.PCNs[m.Dominant].Code, d.PCNs[m.Dominant].Name
		}
		for _, k := range kinds {
			if r.Units == nil {
				r.Units = make(map[string]string, len(kinds))
			}
			r.Units[k.String()] = a.Units[k]
		}
		areas[i] = r
	}
	pcnKinds := pcnUnitKinds(d)
	pcns := make([]pcnJSON, len(d.PCNs))
	for i := range d.PCNs {
		p, m := &d.PCNs[i], pm[i]
		r := pcnJSON{Code: p.Code, Name: p.Name, ListSize: p.ListSize, Resident: p.Resident, Practices: len(p.Practices),
			AreasAny: m.AreasAny, Areas: m.Areas, Core: m.Core, Containment: round6(m.Containment), Dominates: m.Dominates}
		for _, k := range pcnKinds {
			if r.Units == nil {
				r.Units = make(map[string]string, len(pcnKinds))
			}
			r.Units[k.String()] = d.PCNUnit(i, k)
		}
		pcns[i] = r
	}
	pairs := d.Pairs(opt.Threshold)
	pj := make([]pairJSON, len(pairs))
	for i, p := range pairs {
		a, b := &d.PCNs[p.P1], &d.PCNs[p.P2]
		pj[i] = pairJSON{a.Code, a.Name, b.Code, b.Name, p.Shared, p.SharedAny, p.Overlap}
	}
	values := map[string]any{"areas.json": areas, "pcns.json": pcns, "pcn_pairs.json": pj, "summary.json": s}
	for _, name := range JSONFiles {
		if err := ctx.Err(); err != nil {
			return err
		}
		v := values[name]
		if err := writeFile(filepath.Join(dir, name), func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(v)
		}); err != nil {
			return err
		}
	}
	return nil
}
