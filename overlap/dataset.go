// Package overlap joins registrations, PCN membership and areas into one Dataset and computes the
// metrics of DESIGN.md: how many PCNs serve each area, how concentrated each area is, where each PCN's
// patients live and how pairs of PCNs overlap. It is pure computation over in-memory data: no I/O,
// no flags, and a Dataset is read-only once built, so any number of goroutines may share it.
package overlap

import (
	"cmp"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/nhs"
)

// NoPCN marks a practice that belongs to no PCN on the as-of date, or an area with no dominant PCN.
const NoPCN = -1

// Area is one area (an MSOA by default) with the totals that do not depend on a threshold.
type Area struct {
	geo.Feature
	// Registered is registered(a): patients of every practice in the file living in the area,
	// including practices that belong to no PCN.
	Registered int64
	// InPCN is Σ_p patients(a,p): the area's patients whose practice is in a PCN.
	InPCN int64
	// Units holds, per context kind, the code of the unit (local authority, ICB, …) where most of
	// the area's registered residents live; "" when no context file gave that kind, and for the kinds
	// that only profile residents (nhs.Kind.Profile).
	Units [KindCount]string
}

// Urban reports whether most of the area's registered residents live in urban LSOAs.
func (a *Area) Urban() bool { return a.Units[nhs.KindRurality] == "Urban" }

// KindCount is the number of context kinds, the size of Area.Units.
const KindCount = nhs.KindCount

// PCN is a Primary Care Network with at least one member practice on the as-of date.
type PCN struct {
	Code string
	Name string
	// ListSize is every registered patient of its member practices, wherever they live.
	ListSize int64
	// Resident is the part of ListSize living in the areas; core footprint and containment are
	// shares of it.
	Resident  int64
	Practices []int32 // indexes into Dataset.Practices
}

// Practice is a GP practice in the registrations file.
type Practice struct {
	Code     string
	Name     string
	PCN      int32 // index into Dataset.PCNs, or NoPCN
	ListSize int64
}

// LSOA is one LSOA of residence that was assigned to an area.
type LSOA struct {
	Code       string
	Area       int32
	Registered int64
	Units      [KindCount]string
	// Point is where the LSOA is, for placing it in polygons drawn after the ingest (team patches):
	// its population-weighted centroid, else the point on surface of its polygon. HasPoint says
	// whether the ingest had either; a zero Point is a real place (0°, 0°), so it cannot mark absence.
	Point    orb.Point
	HasPoint bool
}

// Row is one assigned registration row: a practice's patients living in one LSOA.
type Row struct {
	Practice int32 // index into Dataset.Practices
	LSOA     int32 // index into Dataset.LSOAs
	Patients int32
}

// Boundary is a context outline (an ICB, a local authority) drawn over the areas; Kind names the
// context kind ("icb", "la", …).
type Boundary struct {
	Kind string
	geo.Feature
}

// Cell is patients(a,p): the patients of one PCN living in one area.
type Cell struct {
	Area     int32
	PCN      int32
	Patients int32
}

// PracticeCell is the patients of one practice living in one area.
type PracticeCell struct {
	Area     int32
	Practice int32
	Patients int64
}

// Count is a number of registration rows and the patients they hold.
type Count struct {
	Rows     int64 `json:"rows"`
	Patients int64 `json:"patients"`
	LSOAs    int   `json:"lsoas,omitempty"`
}

// Coverage accounts for every registration row: each lands in exactly one of Assigned, Welsh,
// Scottish, NorthernIrish, Islands, NoLSOA, Closed, Empty, Unassigned, Outside and Unknown, so they
// sum to Total (Categories lists them in that order).
type Coverage struct {
	// Geography is the census geography of the release's LSOAs, "2011" or "2021" ("" when the
	// ingest could not tell).
	Geography string `json:"geography,omitempty"`
	// Region is the study region the release was ingested within (icb:QNC), "" for all areas.
	Region string `json:"region,omitempty"`
	// Denominators names the source of the LSOAs' true totals when the ingest had one; every
	// area is then complete (see Dataset.Complete).
	Denominators string `json:"denominators,omitempty"`
	Total        Count  `json:"total"`
	Assigned     Count  `json:"assigned"`
	// Welsh counts rows whose LSOA is Welsh (W01…).
	Welsh Count `json:"welsh"`
	// Scottish counts rows with a Scottish data zone (S01…).
	Scottish Count `json:"scottish,omitzero"`
	// NorthernIrish counts rows with a Northern Irish area (N21… data zones, 95… super output areas).
	NorthernIrish Count `json:"northern_irish,omitzero"`
	// Islands counts the Channel Islands and the Isle of Man (L99…, M99…).
	Islands Count `json:"islands,omitzero"`
	// NoLSOA counts rows with LSOA NO2011: patients with no recorded LSOA.
	NoLSOA Count `json:"no_lsoa"`
	// Closed counts rows with LSOA CLOSED.
	Closed Count `json:"closed"`
	// Empty counts rows with LSOA EMPTY (the 2021-geography files' patients with no usable LSOA).
	Empty Count `json:"empty,omitzero"`
	// Unassigned counts English LSOAs (E01…) that were not assigned to any area: absent from the
	// lookup, or with a centroid outside every area polygon.
	Unassigned Count `json:"unassigned"`
	// Outside counts English LSOAs placed in an area outside the study region (Region).
	Outside Count `json:"outside,omitzero"`
	// Unknown counts rows whose LSOA code is of no known form.
	Unknown Count `json:"unknown"`
	// NoPCN counts practices in no PCN on the as-of date and their patients (all of whom still
	// count towards registered).
	NoPCN struct {
		Practices int   `json:"practices"`
		Patients  int64 `json:"patients"`
	} `json:"no_pcn"`
	// AbsentMembers counts member practices of a PCN that have no rows in the registrations file.
	AbsentMembers int `json:"absent_members"`
	// MembershipConflicts counts practices with two active PCN relationships on the as-of date;
	// the latest-starting one was used.
	MembershipConflicts int `json:"membership_conflicts"`
	// LookupOutside counts LSOAs that the lookup maps to an area code absent from the polygons.
	LookupOutside int `json:"lookup_outside"`
	// Carried names, per profile kind ("imd", "imd-income", "ruc"), the classes of 2011 LSOAs the
	// ingest carried onto the release's 2021 LSOAs through the LSOA 2011 → 2021 lookup, as the
	// assessment labels them ("IMD 2019 on 2011 LSOAs carried to 2021 (…)"); nil when none was.
	Carried map[string]string `json:"carried,omitempty"`
}

// Category is one line of the coverage accounting.
type Category struct {
	Key, Label string
	Count      Count
}

// Categories lists the coverage categories other than Total, in order, with the labels reports use;
// they add up to Total.
func (c *Coverage) Categories() []Category {
	return []Category{
		{"assigned", "placed in an area", c.Assigned},
		{"welsh", "Welsh LSOAs (W01…)", c.Welsh},
		{"scottish", "Scottish data zones (S01…)", c.Scottish},
		{"northern_irish", "Northern Irish areas (N21…, 95…)", c.NorthernIrish},
		{"islands", "Channel Islands and Isle of Man (L99…, M99…)", c.Islands},
		{"no_lsoa", "no recorded LSOA (NO2011)", c.NoLSOA},
		{"closed", "CLOSED", c.Closed},
		{"empty", "EMPTY", c.Empty},
		{"unassigned", "English LSOAs in no area", c.Unassigned},
		{"outside", "outside the study region", c.Outside},
		{"unknown", "codes of no known form", c.Unknown},
	}
}

// Source is one input file of a release, by base name: workspaces move between machines.
type Source struct {
	Role string `json:"role"`
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// Dataset is one release joined and ready for metrics. Areas, PCNs and Practices are sorted by code;
// Cells are sorted by area then PCN.
type Dataset struct {
	Release     string
	ExtractDate time.Time
	AsOf        time.Time
	Areas       []Area
	PCNs        []PCN
	Practices   []Practice
	LSOAs       []LSOA
	// Rows are the registration rows whose LSOA is in an area; Cells and every total derive from them.
	Rows  []Row
	Cells []Cell
	// NoPCNCells are the residents of each area registered with practices in no PCN, by practice, sorted
	// by area then practice: what Aggregate derives from Rows beside Cells (a row of such a practice
	// makes an entry even with no patients), and what a partial load reads in the rows' stead.
	NoPCNCells []PracticeCell
	Boundaries []Boundary
	// LSOAPolygons are the polygons of the release's LSOAs (sorted by code) when the ingest was given
	// them, for apportioning LSOAs between team polygons by area. The store saves them with the
	// release but Load leaves this nil (they are ~80 MB for England): read the ones needed with
	// store.Workspace.LSOAPolygons.
	LSOAPolygons []geo.Feature
	Coverage     Coverage
	// Sources are the files the release was read from; Notes what reading them found worth saying
	// (repaired polygons, spatial-assignment differences, membership conflicts).
	Sources []Source
	Notes   []string
	// Units names the context units: Units[kind][code] is the unit's name.
	Units [KindCount]map[string]string
	// Aliases gives, per kind, the other codes the context files know a unit of Units by (the NHS
	// three-letter ICB code QNC for E54000010): Aliases[kind][other] is the code Units keeps.
	Aliases [KindCount]map[string]string

	areaStart []int32 // Cells[areaStart[a]:areaStart[a+1]] are area a's cells
	pcnCells  []Cell  // Cells copied in PCN then area order, so that a PCN's walk is sequential
	pcnStart  []int32 // pcnCells[pcnStart[p]:pcnStart[p+1]] are PCN p's cells
	areaCode  map[string]int32
	pcnCode   map[string]int32
}

// AreaCells returns patients(a,·): area a's cells, sorted by PCN. The slice is shared.
func (d *Dataset) AreaCells(a int) []Cell {
	return d.Cells[d.areaStart[a]:d.areaStart[a+1]]
}

// PCNCells calls fn with each cell of PCN p in area order.
func (d *Dataset) PCNCells(p int, fn func(c Cell)) {
	for _, c := range d.pcnCellsOf(p) {
		fn(c)
	}
}

// pcnCellsOf returns PCN p's cells in area order (a copy of theirs in Cells; shared, not to be changed).
func (d *Dataset) pcnCellsOf(p int) []Cell {
	return d.pcnCells[d.pcnStart[p]:d.pcnStart[p+1]]
}

// Area returns the position of the area with the given code.
func (d *Dataset) Area(code string) (int, bool) {
	i, ok := d.areaCode[code]
	return int(i), ok
}

// PCN returns the position of the PCN with the given code.
func (d *Dataset) PCN(code string) (int, bool) {
	i, ok := d.pcnCode[code]
	return int(i), ok
}

// Index builds the derived lookups (cell offsets, the PCN-major order, code maps) from Areas, PCNs
// and Cells. Build calls it; a loader that fills a Dataset field by field must call it once before use.
func (d *Dataset) Index() {
	byAreaPCN := func(x, y Cell) int { return cmp.Or(cmp.Compare(x.Area, y.Area), cmp.Compare(x.PCN, y.PCN)) }
	if !slices.IsSortedFunc(d.Cells, byAreaPCN) { // Aggregate makes them in order
		slices.SortFunc(d.Cells, byAreaPCN)
	}
	d.areaStart = offsets(len(d.Areas), len(d.Cells), func(i int) int32 { return d.Cells[i].Area })
	// The PCN-major order by a counting sort: stable, so each PCN's cells stay in area order.
	d.pcnStart = offsets(len(d.PCNs), len(d.Cells), func(i int) int32 { return d.Cells[i].PCN })
	next := append([]int32(nil), d.pcnStart[:len(d.PCNs)]...)
	d.pcnCells = make([]Cell, len(d.Cells))
	for _, c := range d.Cells {
		d.pcnCells[next[c.PCN]] = c
		next[c.PCN]++
	}
	d.areaCode = make(map[string]int32, len(d.Areas))
	for i := range d.Areas {
		d.areaCode[d.Areas[i].Code] = int32(i)
	}
	d.pcnCode = make(map[string]int32, len(d.PCNs))
	for i := range d.PCNs {
		d.pcnCode[d.PCNs[i].Code] = int32(i)
	}
}

// offsets returns, for keys 0..n-1 of a list of m entries sorted by key, where each key's run starts;
// the last element is m.
func offsets(n, m int, key func(i int) int32) []int32 {
	start := make([]int32, n+1)
	for i := 0; i < m; i++ {
		start[key(i)+1]++
	}
	for k := 1; k <= n; k++ {
		start[k] += start[k-1]
	}
	return start
}

// CompleteShare is the completeness rule of an area without denominators: it is complete when its
// registered(a) is at least this share of the median registered(a) of the release's areas. Below it
// are the areas whose residents mostly register with practices the file does not hold: a border
// MSOA of an ICB's own extract, or one on the Welsh border.
const CompleteShare = 0.5

// Complete says, per area, whether its registered(a) can be trusted as its population: always with
// denominators (Coverage.Denominators), else by CompleteShare.
func (d *Dataset) Complete() []bool {
	out := make([]bool, len(d.Areas))
	if d.Coverage.Denominators != "" {
		for i := range out {
			out[i] = true
		}
		return out
	}
	reg := make([]int64, len(d.Areas))
	for i := range d.Areas {
		reg[i] = d.Areas[i].Registered
	}
	slices.Sort(reg)
	var median float64
	if n := len(reg); n > 0 {
		median = float64(reg[n/2])
		if n%2 == 0 {
			median = float64(reg[n/2-1]+reg[n/2]) / 2
		}
	}
	for i := range d.Areas {
		out[i] = float64(d.Areas[i].Registered) >= CompleteShare*median
	}
	return out
}
