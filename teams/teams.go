// Package teams holds community-team footprint sets (a trust's district-nursing patches, a council's
// localities, a proposal) and measures how well they line up with PCNs.
//
// A Set names its teams and, for each, either the LSOAs it covers with a weight (the share of the LSOA's
// registered patients that belong to the team: 1 for a whole LSOA, less when an LSOA is apportioned
// between teams) or the GP practices it is aligned to. Sets refer to LSOAs and practices by code, so a
// set outlives a release; a Model resolves it against one overlap.Dataset.
//
// Definitions, for a team T, a PCN p and threshold t (patients are registration rows placed in an area;
// a row counts towards T with the weight of its LSOA in T, or wholly when its practice is one of T's):
//
//   - registered(T): patients living in T, including those of practices in no PCN.
//   - patients(T,p): patients of p's member practices living in T (the team × PCN matrix).
//   - share(T,p) = patients(T,p) / registered(T); the PCNs of T are those with share ≥ t (inclusive).
//   - dominant PCN of T: the one with most patients in T (ties to the lower PCN code), and its share.
//   - HHI(T) = Σ_p q², q = patients(T,p) / Σ_p patients(T,p), among PCN patients only as for areas;
//     effective PCNs = 1/HHI (0 when T has no PCN patients).
//   - For a PCN p, resident(p) is its patients living in any area; in(p,T) = patients(T,p)/resident(p),
//     outside(p) = 1 − Σ_T in(p,T); the teams p deals with at t are those with in(p,T) ≥ t; its dominant
//     team is the one holding most of its patients (ties to the earlier team).
//   - alignment score = Σ_p max_T patients(T,p) / Σ_p Σ_T patients(T,p): the share of the PCN patients
//     living in the teams who live in their PCN's dominant team. It is 1 exactly when no PCN's patients
//     are split between teams (teams that are unions of whole PCNs), and 1/k when every PCN is split
//     evenly over k teams. It ignores patients outside every team; coverage reports those.
//   - coverage (within the set's footprint) = Σ_{p∈D} Σ_T patients(T,p) / Σ_{p∈D} resident(p), where D
//     is the PCNs the teams deal with: those with share(T,p) ≥ t for some team T. It is 1 when the
//     teams hold every patient of their PCNs, whatever the size of the workspace around them.
package teams

import (
	"errors"
	"fmt"
	"time"

	"github.com/paulmach/orb"
)

// Sentinel errors; every error of the package wraps one of them with the file, row or feature.
var (
	// ErrInput: a source file that cannot be used (wrong columns, bad polygon, duplicate team…).
	ErrInput = errors.New("teams: invalid input")
	// ErrUnknownCode: an LSOA, MSOA or practice code absent from the release.
	ErrUnknownCode = errors.New("teams: unknown code")
	// ErrNoTeam: a team name that the set does not hold.
	ErrNoTeam = errors.New("teams: no such team")
	// ErrNoPoints: polygons by centroid with neither centroids, LSOA polygons nor stored LSOA points.
	ErrNoPoints = fmt.Errorf("%w: no LSOA points", ErrInput)
	// ErrNoPolygons: polygons by area without the LSOA polygons.
	ErrNoPolygons = fmt.Errorf("%w: no LSOA polygons", ErrInput)
)

// Method says how a set's teams were given or their LSOAs assigned.
type Method uint8

const (
	MethodUnset Method = iota
	// MethodCentroid: polygons; each LSOA goes to the team whose polygon holds its population-weighted centroid.
	MethodCentroid
	// MethodArea: polygons; each LSOA's patients are shared over the team polygons in proportion to
	// the part of the LSOA's area each covers.
	MethodArea
	// MethodLSOA: a CSV of team → LSOA codes.
	MethodLSOA
	// MethodMSOA: a CSV of team → MSOA (area) codes; each stands for all its LSOAs.
	MethodMSOA
	// MethodPractice: a CSV of team → practice codes; a team holds every patient of its practices.
	MethodPractice
	// MethodEdited: the result of what-if moves on another set.
	MethodEdited
	// MethodSuggested: a grouping of whole PCNs proposed by Model.Suggest.
	MethodSuggested
	// MethodDesigned: a neighbourhood plan made by package neighbourhoods (contiguous, banded, nested).
	MethodDesigned
)

var methodNames = [...]string{"", "centroid", "area", "lsoa", "msoa", "practice", "edited", "suggested", "designed"}

func (m Method) String() string {
	if int(m) < len(methodNames) {
		return methodNames[m]
	}
	return fmt.Sprintf("Method(%d)", m)
}

// ParseMethod is the inverse of String.
func ParseMethod(s string) (Method, error) {
	for i, n := range methodNames {
		if i > 0 && n == s {
			return Method(i), nil
		}
	}
	return MethodUnset, fmt.Errorf("%w: method %q (want centroid, area, lsoa, msoa, practice, edited, suggested or designed)", ErrInput, s)
}

// Set is one footprint set.
type Set struct {
	Name       string
	Source     string // the file it was imported from, by base name
	Method     Method
	ImportedAt time.Time
	Teams      []Team
}

// Team is one team: LSOAs with weights, or practices (never both).
type Team struct {
	Name      string
	LSOAs     []Weight
	Practices []string
	// Geom is the team's polygon as imported (WGS84; read-only), kept for drawing it; nil for sets
	// given as code lists, and for edited sets, whose LSOAs no longer follow the polygon.
	Geom orb.MultiPolygon
}

// Weight is the share of an LSOA's patients that belong to a team, in (0, 1].
type Weight struct {
	LSOA   string
	Weight float64
}

// Team returns the position of the team with the given name.
func (s *Set) Team(name string) (int, bool) {
	for i := range s.Teams {
		if s.Teams[i].Name == name {
			return i, true
		}
	}
	return -1, false
}

// Clone returns a deep copy, for edits that must not touch the original; the read-only polygons are shared.
func (s *Set) Clone() *Set {
	c := *s
	c.Teams = make([]Team, len(s.Teams))
	for i, t := range s.Teams {
		c.Teams[i] = Team{Name: t.Name, LSOAs: append([]Weight(nil), t.LSOAs...), Practices: append([]string(nil), t.Practices...), Geom: t.Geom}
	}
	return &c
}
