package overlap

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/nhs"
)

// Inputs is everything Build joins. Assign and Members are already resolved (the lookup or the spatial
// assignment; the membership on AsOf), so Build does no I/O and no geometry.
type Inputs struct {
	Release     string
	ExtractDate time.Time
	AsOf        time.Time
	Areas       []geo.Feature
	// Registrations holds the registered patients by practice and LSOA.
	Registrations *nhs.Registrations
	// Members maps practice codes to PCN codes on AsOf; a practice absent from it is in no PCN.
	Members map[string]string
	// PCNNames maps PCN codes to names.
	PCNNames map[string]string
	// Assign maps LSOA codes to area codes.
	Assign map[string]string
	// Points are the LSOAs' points (WGS84), kept in LSOA.Point; optional.
	Points map[string]orb.Point
	// Contexts are the optional context files (LSOA → local authority, CCG, Sub-ICB, rurality …).
	Contexts []*nhs.Context
	// MembershipConflicts is carried into Coverage.
	MembershipConflicts int
	// Outside holds the LSOAs placed in an area outside the study region, counted in
	// Coverage.Outside; their areas are not among Areas.
	Outside map[string]bool
	// Geography and Region are carried into Coverage.
	Geography, Region string
}

// ErrDuplicateArea is returned when two areas share a code.
var ErrDuplicateArea = errors.New("overlap: duplicate area code")

// Build joins the inputs into a Dataset. Every registration row is accounted for in Coverage.
func Build(ctx context.Context, in Inputs) (*Dataset, error) {
	if in.Registrations == nil {
		return nil, errors.New("overlap: no registrations")
	}
	d := &Dataset{Release: in.Release, ExtractDate: in.ExtractDate, AsOf: in.AsOf}
	d.Coverage.MembershipConflicts = in.MembershipConflicts
	d.Coverage.Geography, d.Coverage.Region = in.Geography, in.Region

	d.Areas = make([]Area, len(in.Areas))
	for i, f := range in.Areas {
		d.Areas[i] = Area{Feature: f}
	}
	slices.SortFunc(d.Areas, func(x, y Area) int { return strings.Compare(x.Code, y.Code) })
	for i := 1; i < len(d.Areas); i++ {
		if d.Areas[i].Code == d.Areas[i-1].Code {
			return nil, fmt.Errorf("%w: %s", ErrDuplicateArea, d.Areas[i].Code)
		}
	}

	// PCNs: those with at least one member practice on the as-of date.
	pcnCodes := make([]string, 0, 1500)
	seen := make(map[string]bool)
	for _, p := range in.Members {
		if p != "" && !seen[p] {
			seen[p] = true
			pcnCodes = append(pcnCodes, p)
		}
	}
	slices.Sort(pcnCodes)
	d.PCNs = make([]PCN, len(pcnCodes))
	pcnIndex := make(map[string]int32, len(pcnCodes))
	for i, c := range pcnCodes {
		d.PCNs[i] = PCN{Code: c, Name: in.PCNNames[c]}
		pcnIndex[c] = int32(i)
	}

	reg := in.Registrations
	order := make([]int32, len(reg.Practices)) // position in d.Practices of each file practice
	d.Practices = make([]Practice, len(reg.Practices))
	{
		perm := make([]int, len(reg.Practices))
		for i := range perm {
			perm[i] = i
		}
		slices.SortFunc(perm, func(x, y int) int { return strings.Compare(reg.Practices[x].Code, reg.Practices[y].Code) })
		for pos, i := range perm {
			p := reg.Practices[i]
			pcn := int32(NoPCN)
			if code, ok := in.Members[p.Code]; ok && code != "" {
				pcn = pcnIndex[code]
			}
			d.Practices[pos] = Practice{Code: p.Code, Name: p.Name, PCN: pcn}
			order[i] = int32(pos)
		}
	}
	inFile := make(map[string]bool, len(reg.Practices))
	for _, p := range reg.Practices {
		inFile[p.Code] = true
	}
	for practice, pcn := range in.Members {
		if pcn != "" && !inFile[practice] {
			d.Coverage.AbsentMembers++
		}
	}

	areaIndex := make(map[string]int32, len(d.Areas))
	for i := range d.Areas {
		areaIndex[d.Areas[i].Code] = int32(i)
	}

	// Classify each LSOA of the file once: an area, or one of the coverage categories.
	const (
		welsh = -2 - iota
		noLSOA
		closed
		unassigned
		unknown
		scottish
		northernIrish
		islands
		empty
		outside
	)
	lsoaArea := make([]int32, len(reg.LSOAs))
	lsoaPos := make([]int32, len(reg.LSOAs)) // position in d.LSOAs, for assigned LSOAs
	for i, code := range reg.LSOAs {
		lsoaPos[i] = -1
		if areaCode, ok := in.Assign[code]; ok {
			if a, ok := areaIndex[areaCode]; ok {
				lsoaArea[i] = a
				continue
			}
			if strings.HasPrefix(code, "E01") {
				// An English LSOA the lookup places in an area the polygons lack; a Welsh LSOA
				// mapped to a Welsh MSOA is simply Welsh.
				d.Coverage.LookupOutside++
			}
		}
		switch {
		case strings.HasPrefix(code, "W01"):
			lsoaArea[i] = welsh
		case strings.HasPrefix(code, "S01"):
			lsoaArea[i] = scottish
		case strings.HasPrefix(code, "N21"), strings.HasPrefix(code, "95") && len(code) >= 6:
			lsoaArea[i] = northernIrish
		case strings.HasPrefix(code, "L99"), strings.HasPrefix(code, "M99"):
			lsoaArea[i] = islands
		case code == "NO2011":
			lsoaArea[i] = noLSOA
		case code == "CLOSED":
			lsoaArea[i] = closed
		case code == "EMPTY":
			lsoaArea[i] = empty
		case in.Outside[code]:
			lsoaArea[i] = outside
		case strings.HasPrefix(code, "E01"):
			lsoaArea[i] = unassigned
		default:
			lsoaArea[i] = unknown
		}
	}
	assigned := make([]int32, 0, len(reg.LSOAs))
	for i, a := range lsoaArea {
		if a >= 0 {
			assigned = append(assigned, int32(i))
		}
	}
	slices.SortFunc(assigned, func(x, y int32) int { return strings.Compare(reg.LSOAs[x], reg.LSOAs[y]) })
	d.LSOAs = make([]LSOA, len(assigned))
	for pos, i := range assigned {
		d.LSOAs[pos] = LSOA{Code: reg.LSOAs[i], Area: lsoaArea[i]}
		d.LSOAs[pos].Point, d.LSOAs[pos].HasPoint = in.Points[reg.LSOAs[i]]
		lsoaPos[i] = int32(pos)
	}

	categories := map[int32]*Count{
		welsh: &d.Coverage.Welsh, noLSOA: &d.Coverage.NoLSOA, closed: &d.Coverage.Closed,
		unassigned: &d.Coverage.Unassigned, unknown: &d.Coverage.Unknown,
		scottish: &d.Coverage.Scottish, northernIrish: &d.Coverage.NorthernIrish, islands: &d.Coverage.Islands,
		empty: &d.Coverage.Empty, outside: &d.Coverage.Outside,
	}
	lsoaSeen := make([]bool, len(reg.LSOAs))
	d.Rows = make([]Row, 0, len(reg.Rows))
	for n, r := range reg.Rows {
		if n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		patients := int64(r.Patients)
		d.Coverage.Total.Rows++
		d.Coverage.Total.Patients += patients
		d.Practices[order[r.Practice]].ListSize += patients
		a := lsoaArea[r.LSOA]
		c := &d.Coverage.Assigned
		if a < 0 {
			c = categories[a]
		} else {
			d.Rows = append(d.Rows, Row{Practice: order[r.Practice], LSOA: lsoaPos[r.LSOA], Patients: r.Patients})
		}
		c.Rows++
		c.Patients += patients
		if !lsoaSeen[r.LSOA] {
			lsoaSeen[r.LSOA] = true
			c.LSOAs++
		}
	}
	for i := range d.Practices {
		if p := &d.Practices[i]; p.PCN == NoPCN {
			d.Coverage.NoPCN.Practices++
			d.Coverage.NoPCN.Patients += p.ListSize
		}
	}
	if err := d.Aggregate(); err != nil {
		return nil, err
	}
	d.classify(in.Contexts)
	return d, nil
}

// classify gives each LSOA its context units (applying parent hierarchies, so a Sub-ICB lookup also
// gives ICB and NHS region), then gives each area, per kind, the unit where most of its registered
// residents live; not for the kinds that only profile residents (nhs.Kind.Profile: the IMD decile,
// the rural-urban class), which LSOAs alone keep.
func (d *Dataset) classify(contexts []*nhs.Context) {
	for k := range d.Units {
		d.Units[k] = make(map[string]string)
	}
	var hierarchies []nhs.Hierarchy
	for _, c := range contexts {
		for _, cl := range c.Classifications {
			// In LSOA order, so that when a unit is named differently on two rows the name kept is
			// the same on every run.
			for i := range d.LSOAs {
				u, ok := cl.LSOA[d.LSOAs[i].Code]
				if !ok {
					continue
				}
				d.LSOAs[i].Units[cl.Kind] = u.Code
				if _, named := d.Units[cl.Kind][u.Code]; !named {
					name := u.Name
					if cl.Kind == nhs.KindRurality {
						name = u.Code // the unit is Urban or Rural; the RUC11 class names its LSOAs, not it
					}
					d.Units[cl.Kind][u.Code] = name
				}
			}
		}
		hierarchies = append(hierarchies, c.Hierarchies...)
	}
	// Parents may chain (CCG → STP); apply until nothing changes.
	for changed := true; changed; {
		changed = false
		for _, h := range hierarchies {
			for i := range d.LSOAs {
				l := &d.LSOAs[i]
				if l.Units[h.To] != "" || l.Units[h.From] == "" {
					continue
				}
				if u, ok := h.Parent[l.Units[h.From]]; ok {
					l.Units[h.To] = u.Code
					d.Units[h.To][u.Code] = u.Name
					changed = true
				}
			}
		}
	}
	// The other codes of the units the release has, so that a region can be named by them later.
	for k := range d.Aliases {
		d.Aliases[k] = make(map[string]string)
	}
	for _, c := range contexts {
		for k, m := range c.Aliases {
			if int(k) >= KindCount {
				continue
			}
			for other, code := range m {
				if _, ok := d.Units[k][code]; ok && other != code {
					d.Aliases[k][other] = code
				}
			}
		}
	}
	type vote struct {
		registered int64
		lsoas      int
	}
	for k := range KindCount {
		if len(d.Units[k]) == 0 || nhs.Kind(k).Profile() {
			continue // a class of LSOAs (the IMD decile) profiles residents: an area gets none
		}
		votes := make([]map[string]vote, len(d.Areas))
		for _, l := range d.LSOAs {
			u := l.Units[k]
			if u == "" {
				continue
			}
			if votes[l.Area] == nil {
				votes[l.Area] = make(map[string]vote, 2)
			}
			v := votes[l.Area][u]
			v.registered += l.Registered
			v.lsoas++
			votes[l.Area][u] = v
		}
		for a, m := range votes {
			best, bv := "", vote{-1, 0}
			for u, v := range m {
				if c := cmp.Or(cmp.Compare(v.registered, bv.registered), cmp.Compare(v.lsoas, bv.lsoas), strings.Compare(best, u)); c > 0 {
					best, bv = u, v
				}
			}
			d.Areas[a].Units[k] = best
		}
	}
}

// pcnLists sets each PCN's list size and member practices afresh from the practices, and clears its
// resident count for the caller to add up.
func (d *Dataset) pcnLists() error {
	for i := range d.PCNs {
		d.PCNs[i].ListSize, d.PCNs[i].Resident, d.PCNs[i].Practices = 0, 0, nil
	}
	for i, p := range d.Practices {
		if p.PCN == NoPCN {
			continue
		}
		if int(p.PCN) >= len(d.PCNs) || p.PCN < 0 {
			return fmt.Errorf("overlap: practice %s: PCN index %d out of range", p.Code, p.PCN)
		}
		pcn := &d.PCNs[p.PCN]
		pcn.ListSize += p.ListSize
		pcn.Practices = append(pcn.Practices, int32(i))
	}
	return nil
}

// Aggregate derives every total from Rows and the practices' PCNs: registered(a), the LSOAs'
// registered, the cells patients(a,p), PCN list sizes and member lists, then indexes the cells.
// Build calls it; a loader that fills Areas, PCNs, Practices, LSOAs and Rows calls it once.
func (d *Dataset) Aggregate() error {
	for i := range d.Areas {
		d.Areas[i].Registered, d.Areas[i].InPCN = 0, 0
	}
	for i := range d.LSOAs {
		d.LSOAs[i].Registered = 0
	}
	if err := d.pcnLists(); err != nil {
		return err
	}
	// Bucket the PCN rows by area (a counting sort), then add up each area's rows in a dense
	// per-PCN accumulator that is cleared through the list of PCNs it touched.
	// Dense copies of each LSOA's area and each practice's PCN: the rows look them up 840k times
	// for England, and the LSOA and practice structs are far bigger than the two fields.
	lsoaArea := make([]int32, len(d.LSOAs))
	for i := range d.LSOAs {
		l := &d.LSOAs[i]
		if int(l.Area) >= len(d.Areas) || l.Area < 0 {
			lsoaArea[i] = -1 // an error if a row uses it
			continue
		}
		lsoaArea[i] = l.Area
	}
	pcnOf := make([]int32, len(d.Practices))
	for i := range d.Practices {
		pcnOf[i] = d.Practices[i].PCN
	}
	areaReg := make([]int64, len(d.Areas))
	lsoaReg := make([]int64, len(d.LSOAs))
	byArea := make([]int32, len(d.Areas)+1)
	var noPCN []PracticeCell
	for _, r := range d.Rows {
		if int(r.LSOA) >= len(d.LSOAs) || int(r.Practice) >= len(d.Practices) || r.LSOA < 0 || r.Practice < 0 || r.Patients < 0 {
			return fmt.Errorf("overlap: registration row %+v out of range", r)
		}
		a := lsoaArea[r.LSOA]
		if a < 0 {
			l := &d.LSOAs[r.LSOA]
			return fmt.Errorf("overlap: LSOA %s: area index %d out of range", l.Code, l.Area)
		}
		lsoaReg[r.LSOA] += int64(r.Patients)
		areaReg[a] += int64(r.Patients)
		if pcnOf[r.Practice] != NoPCN {
			byArea[a+1]++
		} else {
			noPCN = append(noPCN, PracticeCell{Area: a, Practice: r.Practice, Patients: int64(r.Patients)})
		}
	}
	d.NoPCNCells = mergePracticeCells(noPCN)
	for i := range d.LSOAs {
		d.LSOAs[i].Registered = lsoaReg[i]
	}
	for a := range d.Areas {
		d.Areas[a].Registered = areaReg[a]
	}
	for a := 1; a < len(byArea); a++ {
		byArea[a] += byArea[a-1]
	}
	// Each PCN row's PCN and patients, bucketed by area: read in order below, not through the rows.
	type pcnPatients struct{ pcn, patients int32 }
	next := append([]int32(nil), byArea[:len(d.Areas)]...)
	order := make([]pcnPatients, byArea[len(d.Areas)])
	for _, r := range d.Rows {
		if p := pcnOf[r.Practice]; p != NoPCN {
			a := lsoaArea[r.LSOA]
			order[next[a]] = pcnPatients{p, r.Patients}
			next[a]++
		}
	}
	sum := make([]int64, len(d.PCNs))
	var touched []int32
	d.Cells = d.Cells[:0]
	for a := range d.Areas {
		touched = touched[:0]
		for _, r := range order[byArea[a]:byArea[a+1]] {
			p := r.pcn
			if sum[p] == 0 {
				touched = append(touched, p)
			}
			sum[p] += int64(r.patients)
		}
		slices.Sort(touched)
		for _, p := range touched {
			v := sum[p]
			sum[p] = 0
			if v == 0 {
				continue
			}
			if v > 1<<31-1 {
				return fmt.Errorf("overlap: area %s: %d patients overflow a cell", d.Areas[a].Code, v)
			}
			d.Cells = append(d.Cells, Cell{Area: int32(a), PCN: p, Patients: int32(v)})
			d.Areas[a].InPCN += v
			d.PCNs[p].Resident += v
		}
	}
	d.Index()
	return nil
}

// mergePracticeCells sorts cs by area then practice and adds up the entries of one area and practice.
func mergePracticeCells(cs []PracticeCell) []PracticeCell {
	slices.SortFunc(cs, func(x, y PracticeCell) int {
		return cmp.Or(cmp.Compare(x.Area, y.Area), cmp.Compare(x.Practice, y.Practice))
	})
	out := cs[:0]
	for _, c := range cs {
		if n := len(out); n > 0 && out[n-1].Area == c.Area && out[n-1].Practice == c.Practice {
			out[n-1].Patients += c.Patients
			continue
		}
		out = append(out, c)
	}
	return slices.Clip(out)
}

// AggregateCells is Aggregate for a Dataset whose Cells and NoPCNCells were read as they were
// derived, without the Rows: it sets every total Aggregate sets but the LSOAs' (each area's
// registered residents and those in a PCN, each PCN's list size, practices and resident patients)
// from them and the practices' PCNs, and indexes the dataset. The cells must be sorted by area then
// PCN and the practice cells by area then practice, each pair once, as Aggregate leaves them.
func (d *Dataset) AggregateCells() error {
	for i := range d.Areas {
		d.Areas[i].Registered, d.Areas[i].InPCN = 0, 0
	}
	if err := d.pcnLists(); err != nil {
		return err
	}
	for i, c := range d.Cells {
		if c.Area < 0 || int(c.Area) >= len(d.Areas) || c.PCN < 0 || int(c.PCN) >= len(d.PCNs) || c.Patients < 0 {
			return fmt.Errorf("overlap: cell %+v out of range", c)
		}
		if i > 0 {
			if p := d.Cells[i-1]; p.Area > c.Area || (p.Area == c.Area && p.PCN >= c.PCN) {
				return fmt.Errorf("overlap: cell %+v after %+v: not in order", c, p)
			}
		}
		d.Areas[c.Area].InPCN += int64(c.Patients)
		d.Areas[c.Area].Registered += int64(c.Patients)
		d.PCNs[c.PCN].Resident += int64(c.Patients)
	}
	for i, c := range d.NoPCNCells {
		if c.Area < 0 || int(c.Area) >= len(d.Areas) || c.Practice < 0 || int(c.Practice) >= len(d.Practices) || c.Patients < 0 {
			return fmt.Errorf("overlap: practice cell %+v out of range", c)
		}
		if d.Practices[c.Practice].PCN != NoPCN {
			return fmt.Errorf("overlap: practice cell %+v: practice %s is in a PCN", c, d.Practices[c.Practice].Code)
		}
		if i > 0 {
			if p := d.NoPCNCells[i-1]; p.Area > c.Area || (p.Area == c.Area && p.Practice >= c.Practice) {
				return fmt.Errorf("overlap: practice cell %+v after %+v: not in order", c, p)
			}
		}
		d.Areas[c.Area].Registered += c.Patients
	}
	d.Index()
	return nil
}
