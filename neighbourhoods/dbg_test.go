package neighbourhoods

import (
	"context"
	"slices"
	"testing"

	"pcnmap/nhs"
)

func BenchmarkDbg(b *testing.B) {
	d := national(b)
	icbs := map[string]bool{}
	for _, l := range d.LSOAs {
		icbs[l.Units[nhs.KindICB]] = true
	}
	var codes []string
	for c := range icbs {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, icb := range codes {
		pr, err := Build(d, d.LSOAPolygons, Options{WithinKind: nhs.KindICB, Within: icb})
		if err != nil {
			b.Log(icb, err)
			continue
		}
		plan, _ := pr.Design(context.Background(), Config{Seed: 1})
		b.Logf("%s score %.4f constr %.4f bound %.4f %v", icb, plan.Score, plan.Construction, plan.Bound, plan.Elapsed)
		for _, n := range plan.Neighbourhoods {
			if n.Violation != "" {
				b.Log(icb, n.Name, len(n.Blocks), n.Violation)
			}
		}
	}
}
