package overlap

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// DefaultThreshold is the share of an area's registered population a PCN must hold to count as
// serving it: 1%, as in the published research.
const DefaultThreshold = 0.01

// DefaultCore is the share of a PCN's resident patients its core footprint holds.
const DefaultCore = 0.8

// ErrThreshold is returned for a threshold that is not a share between 0 and 1.
var ErrThreshold = errors.New("overlap: threshold must be between 0% and 100%")

// ParseThreshold reads "1%", "0.5 %" or "0.01". A bare number above 1 is rejected rather than guessed
// at: "1" means 100%, and "5" is an error that asks for "5%".
func ParseThreshold(s string) (float64, error) {
	t := strings.TrimSpace(s)
	percent := strings.HasSuffix(t, "%")
	t = strings.TrimSpace(strings.TrimSuffix(t, "%"))
	if !plainDecimal(t) {
		return 0, fmt.Errorf("%w: %q is not a decimal number (write 0.01 or 1%%)", ErrThreshold, s)
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%w: %q is not a number", ErrThreshold, s)
	}
	v += 0 // -0 becomes 0, so it is never written "-0%"
	if percent {
		v /= 100
	}
	if v < 0 || v > 1 {
		if !percent && v > 1 && v <= 100 {
			return 0, fmt.Errorf("%w: %q; write %s%% for a percentage", ErrThreshold, s, t)
		}
		return 0, fmt.Errorf("%w: %q", ErrThreshold, s)
	}
	return v, nil
}

// plainDecimal reports whether s is digits with at most one decimal point and at least one digit: no
// sign, exponent, hex float (0x1p-3), underscore, Inf or NaN, which strconv would otherwise accept.
func plainDecimal(s string) bool {
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0 && len(s) <= 32
}

// FormatThreshold writes a threshold as a percentage, the inverse of ParseThreshold.
func FormatThreshold(t float64) string {
	return strconv.FormatFloat(t*100, 'f', -1, 64) + "%"
}

// AreaMetrics are an area's overlap figures at one threshold.
type AreaMetrics struct {
	// PCNsAny counts PCNs with at least one patient in the area (t = 0).
	PCNsAny int32
	// PCNs counts PCNs with share(a,p) ≥ t.
	PCNs int32
	// Dominant is the PCN with the most patients in the area (ties: the lower code), or NoPCN.
	Dominant int32
	// DominantShare is patients(a, dominant) / registered(a).
	DominantShare float64
	// HHI is Σ q² over the shares among PCN patients only, and EffectivePCNs = 1/HHI; both are 0
	// for an area without PCN patients. (Dataset.Entropy is the third such figure.)
	HHI, EffectivePCNs float64
}

// Share returns share(a,p) = patients(a,p) / registered(a), or 0 for an empty area.
func (d *Dataset) Share(a int, patients int32) float64 {
	if r := d.Areas[a].Registered; r > 0 {
		return float64(patients) / float64(r)
	}
	return 0
}

// Serves reports whether a cell's PCN serves its area at threshold t: share ≥ t and at least one
// patient, so that t = 0 counts exactly the PCNs with patients there.
func (d *Dataset) Serves(c Cell, t float64) bool {
	return c.Patients > 0 && d.Share(int(c.Area), c.Patients) >= t
}

// AreaMetrics computes every area's metrics at threshold t into dst[:0] and returns it.
// It allocates only when dst is too short.
func (d *Dataset) AreaMetrics(dst []AreaMetrics, t float64) []AreaMetrics {
	dst = slices.Grow(dst[:0], len(d.Areas))[:len(d.Areas)]
	for a := range d.Areas {
		dst[a] = d.areaMetrics(a, t)
	}
	return dst
}

// AreaAt computes one area's metrics at threshold t.
func (d *Dataset) AreaAt(a int, t float64) AreaMetrics { return d.areaMetrics(a, t) }

func (d *Dataset) areaMetrics(a int, t float64) AreaMetrics {
	m := AreaMetrics{Dominant: NoPCN}
	inPCN := float64(d.Areas[a].InPCN)
	var best int32
	for _, c := range d.AreaCells(a) {
		if c.Patients <= 0 {
			continue
		}
		m.PCNsAny++
		if d.Serves(c, t) {
			m.PCNs++
		}
		if c.Patients > best {
			best, m.Dominant = c.Patients, c.PCN
		}
		q := float64(c.Patients) / inPCN
		m.HHI += q * q
	}
	if m.Dominant != NoPCN {
		m.DominantShare = d.Share(a, best)
		m.EffectivePCNs = 1 / m.HHI
	}
	return m
}

// Entropy is −Σ q ln q over area a's shares q among its PCN patients (0 without any). Like HHI it
// does not change with the threshold; unlike it, it costs a logarithm a cell (half of every area's
// metrics), so it is computed where it is shown, not with the metrics of every area.
func (d *Dataset) Entropy(a int) float64 {
	inPCN := float64(d.Areas[a].InPCN)
	var e float64
	for _, c := range d.AreaCells(a) {
		if c.Patients > 0 {
			q := float64(c.Patients) / inPCN
			e -= q * math.Log(q)
		}
	}
	return e
}

// Counts writes the number of PCNs serving each area at threshold t into dst[:0]: the part of
// AreaMetrics that changes with the threshold, for recolouring a map without the rest.
func (d *Dataset) Counts(dst []int32, t float64) []int32 {
	dst = slices.Grow(dst[:0], len(d.Areas))[:len(d.Areas)]
	for a := range d.Areas {
		var n int32
		for _, c := range d.AreaCells(a) {
			if d.Serves(c, t) {
				n++
			}
		}
		dst[a] = n
	}
	return dst
}

// PCNMetrics are a PCN's footprint figures at one threshold.
type PCNMetrics struct {
	// AreasAny counts areas where the PCN has patients; Areas those where its share is ≥ t.
	AreasAny, Areas int32
	// Core is its core footprint: the fewest areas holding the core share (80% by default) of its
	// resident patients.
	Core int32
	// Containment is the share of its resident patients living in areas where it is dominant.
	Containment float64
	// Dominates counts the areas where it is the dominant PCN.
	Dominates int32
}

// PCNMetrics computes every PCN's metrics at threshold t and core share core into dst[:0].
// am are the area metrics at t, for the dominant PCN of each area; nil computes them here.
func (d *Dataset) PCNMetrics(dst []PCNMetrics, t, core float64, am []AreaMetrics) []PCNMetrics {
	if am == nil {
		am = d.AreaMetrics(nil, t)
	}
	dst = slices.Grow(dst[:0], len(d.PCNs))[:len(d.PCNs)]
	var buf []int32
	for p := range d.PCNs {
		dst[p] = d.pcnMetrics(p, t, core, am, &buf)
	}
	return dst
}

// PCNAt computes one PCN's metrics, the entry p of PCNMetrics: what a document about a few PCNs
// needs without the whole release's. am are the area metrics at t (not nil).
func (d *Dataset) PCNAt(p int, t, core float64, am []AreaMetrics) PCNMetrics {
	var buf []int32
	return d.pcnMetrics(p, t, core, am, &buf)
}

// pcnMetrics computes PCN p's metrics, with *buf as scratch space.
func (d *Dataset) pcnMetrics(p int, t, core float64, am []AreaMetrics, buf *[]int32) PCNMetrics {
	var m PCNMetrics
	var contained int64
	patients := (*buf)[:0]
	for _, c := range d.pcnCellsOf(p) {
		if c.Patients <= 0 {
			continue
		}
		m.AreasAny++
		if d.Serves(c, t) {
			m.Areas++
		}
		if am[c.Area].Dominant == int32(p) {
			m.Dominates++
			contained += int64(c.Patients)
		}
		patients = append(patients, c.Patients)
	}
	*buf = patients
	m.Core = coreAreas(patients, d.PCNs[p].Resident, core)
	if r := d.PCNs[p].Resident; r > 0 {
		m.Containment = float64(contained) / float64(r)
	}
	return m
}

// CoreAreas returns the positions of PCN p's core footprint: its areas by patients, largest first,
// until they hold the core share of its resident patients.
func (d *Dataset) CoreAreas(p int, core float64) []int32 {
	var cells []Cell
	d.PCNCells(p, func(c Cell) {
		if c.Patients > 0 {
			cells = append(cells, c)
		}
	})
	slices.SortFunc(cells, func(x, y Cell) int {
		return cmp.Or(cmp.Compare(y.Patients, x.Patients), cmp.Compare(x.Area, y.Area))
	})
	n := coreCount(cells, d.PCNs[p].Resident, core, func(c Cell) int32 { return c.Patients })
	out := make([]int32, n)
	for i := range out {
		out[i] = cells[i].Area
	}
	return out
}

// coreAreas counts how many areas, largest first, reach the core share of total (coreCount of
// patients sorted largest first). patients is reordered (sorted smallest first): the plain sort of
// int32s, then a walk from the end, is quicker than sorting with a comparison.
func coreAreas(patients []int32, total int64, core float64) int32 {
	if total <= 0 {
		return 0
	}
	slices.Sort(patients)
	need := core * float64(total)
	var sum int64
	for i := len(patients) - 1; i >= 0; i-- {
		sum += int64(patients[i])
		if float64(sum) >= need {
			return int32(len(patients) - i)
		}
	}
	return int32(len(patients))
}

func coreCount[T any](sorted []T, total int64, core float64, patients func(T) int32) int {
	if total <= 0 {
		return 0
	}
	need := core * float64(total)
	var sum int64
	for i, v := range sorted {
		sum += int64(patients(v))
		if float64(sum) >= need {
			return i + 1
		}
	}
	return len(sorted)
}

// Pair is the overlap of two PCNs; P1 < P2.
type Pair struct {
	P1, P2 int32
	// SharedAny counts areas where both have patients; Shared those where both are ≥ t.
	SharedAny, Shared int32
	// Overlap is Σ_a min(patients(a,p1), patients(a,p2)).
	Overlap int64
}

// Pairs returns every pair of PCNs that both serve at least one area at threshold t (both ≥ t
// there), sorted by P1 then P2. Overlap and SharedAny are over all areas.
func (d *Dataset) Pairs(t float64) []Pair { return d.pairs(len(d.Areas), nil, t) }

// PairsIn is Pairs counted over the given areas only (a unit's, say): the pairs that both serve at
// least one of them, with Overlap, SharedAny and Shared summed over them. The one count of pairs
// behind the reports' pcn_pairs.csv and the documents' top pairs.
func (d *Dataset) PairsIn(areas []int32, t float64) []Pair { return d.pairs(len(areas), areas, t) }

// pairs counts the pairs over areas[:n], or over the first n areas when areas is nil.
func (d *Dataset) pairs(n int, areas []int32, t float64) []Pair {
	type acc struct {
		sharedAny, shared int32
		overlap           int64
	}
	m := make(map[int64]*acc)
	for i := range n {
		a := i
		if areas != nil {
			a = int(areas[i])
		}
		cells := d.AreaCells(a)
		for i, c1 := range cells {
			if c1.Patients <= 0 {
				continue
			}
			for _, c2 := range cells[i+1:] {
				if c2.Patients <= 0 {
					continue
				}
				k := int64(c1.PCN)<<32 | int64(c2.PCN)
				x := m[k]
				if x == nil {
					x = &acc{}
					m[k] = x
				}
				x.sharedAny++
				x.overlap += int64(min(c1.Patients, c2.Patients))
				if d.Serves(c1, t) && d.Serves(c2, t) {
					x.shared++
				}
			}
		}
	}
	out := make([]Pair, 0, len(m)/4)
	for k, x := range m {
		if x.shared == 0 {
			continue
		}
		out = append(out, Pair{P1: int32(k >> 32), P2: int32(k & 0xffffffff), SharedAny: x.sharedAny, Shared: x.shared, Overlap: x.overlap})
	}
	slices.SortFunc(out, func(x, y Pair) int { return cmp.Or(cmp.Compare(x.P1, y.P1), cmp.Compare(x.P2, y.P2)) })
	return out
}

// Overlaps returns the pairs that include PCN p (at any threshold: SharedAny ≥ 1), largest overlap
// first; Shared counts areas where both are ≥ t.
func (d *Dataset) Overlaps(p int, t float64) []Pair {
	partner := make(map[int32]*Pair)
	d.PCNCells(p, func(c Cell) {
		if c.Patients <= 0 {
			return
		}
		for _, o := range d.AreaCells(int(c.Area)) {
			if o.PCN == int32(p) || o.Patients <= 0 {
				continue
			}
			x := partner[o.PCN]
			if x == nil {
				x = &Pair{P1: int32(p), P2: o.PCN}
				partner[o.PCN] = x
			}
			x.SharedAny++
			x.Overlap += int64(min(c.Patients, o.Patients))
			if d.Serves(c, t) && d.Serves(o, t) {
				x.Shared++
			}
		}
	})
	out := make([]Pair, 0, len(partner))
	for _, x := range partner {
		out = append(out, *x)
	}
	slices.SortFunc(out, func(x, y Pair) int { return cmp.Or(cmp.Compare(y.Overlap, x.Overlap), cmp.Compare(x.P2, y.P2)) })
	return out
}
