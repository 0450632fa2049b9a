package teams

// Alignment is a set's metrics at one threshold (see the package doc for the definitions).
type Alignment struct {
	Threshold float64
	Teams     []TeamMetrics
	// PCNs are the PCNs with patients in at least one team, in PCN code order.
	PCNs []PCNMetrics
	// Matrix[t][p] is patients(T,p) for p indexing Dataset.PCNs; Matrix[t][len(PCNs)] holds the
	// patients of practices in no PCN. Fractional under the area method.
	Matrix [][]float64
	// Score is the alignment score.
	Score float64
	// Coverage is measured within the set's own footprint: of the PCNs the teams deal with (those
	// holding ≥ t of some team's registered population), the share of their resident patients who
	// live in a team. Dividing by every PCN of the release instead would make a local authority's
	// teams look like a failure on a national workspace (0.4% for Trafford's localities on England,
	// where this gives 0.565); counting every PCN with any patient in a team would still give 0.064.
	Coverage float64
	// CoveragePCNs is the number of PCNs Coverage is measured over.
	CoveragePCNs int
}

// TeamMetrics are one team's figures.
type TeamMetrics struct {
	Name       string
	Registered float64 // registered(T)
	InPCN      float64 // Σ_p patients(T,p)
	// PCNs hold at least the threshold share of registered(T), largest first (ties by PCN code).
	PCNs          []Share
	Dominant      int // index into Dataset.PCNs, or overlap.NoPCN
	DominantShare float64
	HHI           float64
	EffectivePCNs float64
}

// Share is one PCN's part of a team.
type Share struct {
	PCN      int
	Patients float64
	Share    float64
}

// PCNMetrics are one PCN's split over the teams.
type PCNMetrics struct {
	PCN      int
	Resident int64
	// InTeam[t] is the share of its resident patients living in team t; Outside the rest.
	InTeam  []float64
	Outside float64
	// Teams is the number of teams holding at least the threshold share of its resident patients.
	Teams        int
	DominantTeam int // -1 when none holds any
}

// Alignment computes the metrics at threshold t from the current matrix: O(teams × PCNs), so it can
// follow every what-if move.
func (m *Model) Alignment(t float64) *Alignment {
	np := len(m.d.PCNs)
	a := &Alignment{Threshold: t, Matrix: make([][]float64, len(m.matrix)), Teams: make([]TeamMetrics, len(m.matrix))}
	for i, row := range m.matrix {
		a.Matrix[i] = append([]float64(nil), row...)
		for j := range row {
			if row[j] < 1e-9 && row[j] > -1e-9 {
				a.Matrix[i][j] = 0 // rounding left by moves
			}
		}
	}
	for i, row := range a.Matrix {
		tm := &a.Teams[i]
		tm.Name = m.set.Teams[i].Name
		tm.Dominant = -1
		for p, v := range row {
			tm.Registered += v
			if p < np {
				tm.InPCN += v
			}
		}
		best := 0.0
		for p := 0; p < np; p++ {
			v := row[p]
			if v <= 0 {
				continue
			}
			if v > best {
				best, tm.Dominant = v, p
			}
			if tm.InPCN > 0 {
				q := v / tm.InPCN
				tm.HHI += q * q
			}
			if tm.Registered > 0 && v/tm.Registered >= t {
				tm.PCNs = append(tm.PCNs, Share{PCN: p, Patients: v, Share: v / tm.Registered})
			}
		}
		if tm.Registered > 0 {
			tm.DominantShare = best / tm.Registered
		}
		if tm.HHI > 0 {
			tm.EffectivePCNs = 1 / tm.HHI
		}
		sortShares(tm.PCNs)
	}
	// The PCNs the teams deal with: those holding ≥ t of some team.
	dealt := make([]bool, np)
	for i := range a.Teams {
		for _, sh := range a.Teams[i].PCNs {
			dealt[sh.PCN] = true
		}
	}
	var inTeams, best, resident, dealtIn float64
	for p := 0; p < np; p++ {
		var sum, max float64
		dom := -1
		for i := range a.Matrix {
			v := a.Matrix[i][p]
			sum += v
			if v > max {
				max, dom = v, i
			}
		}
		if dealt[p] {
			resident += float64(m.d.PCNs[p].Resident)
			dealtIn += sum
			a.CoveragePCNs++
		}
		if sum <= 0 {
			continue
		}
		inTeams += sum
		best += max
		pm := PCNMetrics{PCN: p, Resident: m.d.PCNs[p].Resident, InTeam: make([]float64, len(a.Matrix)), DominantTeam: dom, Outside: 1}
		for i := range a.Matrix {
			if pm.Resident > 0 {
				pm.InTeam[i] = a.Matrix[i][p] / float64(pm.Resident)
			}
			pm.Outside -= pm.InTeam[i]
			if a.Matrix[i][p] > 0 && pm.InTeam[i] >= t {
				pm.Teams++
			}
		}
		if pm.Outside < 1e-12 {
			pm.Outside = 0
		}
		a.PCNs = append(a.PCNs, pm)
	}
	if inTeams > 0 {
		a.Score = best / inTeams
	}
	if resident > 0 {
		a.Coverage = dealtIn / resident
	}
	return a
}

// sortShares orders shares largest first, ties by PCN index (PCNs are sorted by code).
func sortShares(s []Share) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && (s[j].Patients > s[j-1].Patients || (s[j].Patients == s[j-1].Patients && s[j].PCN < s[j-1].PCN)); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
