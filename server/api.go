package server

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"

	"pcnmap/app"
	"pcnmap/layers"
	"pcnmap/nhs"
	"pcnmap/overlap"
)

// The answers of the JSON API; /api/openapi.json documents them and the tests hold them to it.

// BBox is a bounding box in WGS84 degrees, [west, south, east, north]: what a map needs to fit its
// view to an area or PCN that is not on screen.
type BBox [4]float64

// extend grows b to hold r; a nil b becomes r.
func (b *BBox) extend(r orb.Bound) *BBox {
	if b == nil {
		return &BBox{r.Min[0], r.Min[1], r.Max[0], r.Max[1]}
	}
	b[0], b[1] = min(b[0], r.Min[0]), min(b[1], r.Min[1])
	b[2], b[3] = max(b[2], r.Max[0]), max(b[3], r.Max[1])
	return b
}

// Unit is a context unit an area or PCN belongs to.
type Unit struct {
	Code string `json:"code"`
	Name string `json:"name,omitempty"`
}

// PCNRef names a PCN.
type PCNRef struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// AreaPCN is one PCN's patients in an area.
type AreaPCN struct {
	PCNRef
	Patients int32   `json:"patients"`
	Share    float64 `json:"share"`  // of the area's registered patients
	Serves   bool    `json:"serves"` // share ≥ threshold
}

// Area is the answer of /api/areas/{code}.
type Area struct {
	Code          string  `json:"code"`
	Name          string  `json:"name"`
	Threshold     float64 `json:"threshold"`
	Registered    int64   `json:"registered"`
	InPCN         int64   `json:"in_pcn"`
	PCNs          int32   `json:"pcns"`
	PCNsAny       int32   `json:"pcns_any"`
	Dominant      *PCNRef `json:"dominant_pcn"`
	DominantShare float64 `json:"dominant_share"`
	HHI           float64 `json:"hhi"`
	EffectivePCNs float64 `json:"effective_pcns"`
	Entropy       float64 `json:"entropy"`
	Urban         *bool   `json:"urban"`
	// Complete is false for an area whose residents are only partly counted (overlap.Dataset.Complete:
	// its registered(a) is under half the median area's and the release has no denominators).
	Complete bool            `json:"complete"`
	Units    map[string]Unit `json:"units"`
	BBox     *BBox           `json:"bbox"`
	ByPCN    []AreaPCN       `json:"by_pcn"` // most patients first
}

// Practice is a member practice of a PCN.
type Practice struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	ListSize int64  `json:"list_size"`
}

// PCNArea is one area where a PCN has patients.
type PCNArea struct {
	Code      string  `json:"code"`
	Name      string  `json:"name"`
	Patients  int32   `json:"patients"`
	Share     float64 `json:"share"`      // of the area's registered patients
	ListShare float64 `json:"list_share"` // of the PCN's list size
	Serves    bool    `json:"serves"`
	Dominant  bool    `json:"dominant"`
	Core      bool    `json:"core"`
}

// PCN is the answer of /api/pcns/{code}.
type PCN struct {
	Code        string          `json:"code"`
	Name        string          `json:"name"`
	Threshold   float64         `json:"threshold"`
	CoreShare   float64         `json:"core_share"`
	ListSize    int64           `json:"list_size"`
	Resident    int64           `json:"resident"`
	AreasAny    int32           `json:"areas_any"`
	Areas       int32           `json:"areas"`
	CoreAreas   int32           `json:"core_areas"`
	Containment float64         `json:"containment"`
	Dominates   int32           `json:"dominant_areas"`
	Units       map[string]Unit `json:"units"`
	// BBox holds the areas the PCN serves at the threshold (every area with its patients when it
	// serves none); CoreBBox its core footprint (null when it has no resident patients).
	BBox       *BBox      `json:"bbox"`
	CoreBBox   *BBox      `json:"core_bbox"`
	Practices  []Practice `json:"practices"`
	AreaShares []PCNArea  `json:"area_shares"` // most patients first
}

// Overlap is one PCN that shares patients' areas with another.
type Overlap struct {
	PCNRef
	SharedAreas    int32 `json:"shared_areas"`
	SharedAreasAny int32 `json:"shared_areas_any"`
	Overlap        int64 `json:"overlap"`
}

// Overlaps is the answer of /api/pcns/{code}/overlaps.
type Overlaps struct {
	PCNRef
	Threshold float64   `json:"threshold"`
	Overlaps  []Overlap `json:"overlaps"` // largest overlap first
}

// SearchResult is one match of /api/search.
type SearchResult struct {
	Type string `json:"type"` // "area" or "pcn"
	Code string `json:"code"`
	Name string `json:"name"`
	// BBox is the area's, or the PCN's core footprint at the default core share.
	BBox *BBox `json:"bbox"`
}

// SearchResults is the answer of /api/search.
type SearchResults struct {
	Query   string         `json:"query"`
	Results []SearchResult `json:"results"`
}

// Lookup is the answer of /api/lookup.
type Lookup struct {
	Lon  float64 `json:"lon"`
	Lat  float64 `json:"lat"`
	Area Area    `json:"area"`
}

func (s *Server) handleArea(c echo.Context) error {
	t, _, err := s.thresholdParam(c.QueryParam("threshold"))
	if err != nil {
		return err
	}
	a, ok := s.d.Area(strings.ToUpper(c.Param("code")))
	if !ok {
		return fmt.Errorf("%w: no area %q", errNotFound, clip(c.Param("code")))
	}
	return s.writeJSON(c, s.area(a, t), true)
}

// area describes area a at threshold t.
func (s *Server) area(a int, t float64) Area {
	d := s.d
	ar := &d.Areas[a]
	m := d.AreaAt(a, t)
	out := Area{
		Code: ar.Code, Name: ar.Name, Threshold: t, Registered: ar.Registered, InPCN: ar.InPCN,
		PCNs: m.PCNs, PCNsAny: m.PCNsAny, DominantShare: m.DominantShare, HHI: m.HHI,
		EffectivePCNs: m.EffectivePCNs, Entropy: d.Entropy(a), Complete: s.complete[a], Units: s.units(&ar.Units),
		BBox: (*BBox)(nil).extend(ar.Bound), ByPCN: []AreaPCN{},
	}
	if m.Dominant != overlap.NoPCN {
		out.Dominant = &PCNRef{d.PCNs[m.Dominant].Code, d.PCNs[m.Dominant].Name}
	}
	if ar.Units[nhs.KindRurality] != "" {
		u := ar.Urban()
		out.Urban = &u
	}
	for _, c := range app.AreaPCNs(d, a, t) {
		p := &d.PCNs[c.PCN]
		out.ByPCN = append(out.ByPCN, AreaPCN{PCNRef: PCNRef{p.Code, p.Name}, Patients: c.Patients, Share: c.Share, Serves: c.Serves})
	}
	return out
}

// units names an area's context units by kind.
func (s *Server) units(u *[overlap.KindCount]string) map[string]Unit {
	out := map[string]Unit{}
	for k, code := range u {
		if code != "" {
			out[nhs.Kind(k).String()] = Unit{Code: code, Name: s.d.Units[k][code]}
		}
	}
	return out
}

func (s *Server) handlePCN(c echo.Context) error {
	t, _, err := s.thresholdParam(c.QueryParam("threshold"))
	if err != nil {
		return err
	}
	core := overlap.DefaultCore
	if v := c.QueryParam("core"); v != "" {
		if core, err = overlap.ParseThreshold(v); err != nil {
			return err
		}
		if core == 0 {
			return fmt.Errorf("%w: core must be a share above 0%%", errBadRequest)
		}
	}
	p, ok := s.d.PCN(strings.ToUpper(c.Param("code")))
	if !ok {
		return fmt.Errorf("%w: no PCN %q", errNotFound, clip(c.Param("code")))
	}
	return s.writeJSON(c, s.pcn(p, t, core), true)
}

// pcn describes PCN p at threshold t with core share core. Its figures are those of
// overlap.PCNMetrics, computed for the one PCN.
func (s *Server) pcn(p int, t, core float64) PCN {
	d := s.d
	pc := &d.PCNs[p]
	out := PCN{
		Code: pc.Code, Name: pc.Name, Threshold: t, CoreShare: core, ListSize: pc.ListSize, Resident: pc.Resident,
		Units: map[string]Unit{}, Practices: make([]Practice, 0, len(pc.Practices)), AreaShares: []PCNArea{},
	}
	for _, k := range []nhs.Kind{nhs.KindCCG, nhs.KindSubICB, nhs.KindICB} {
		if u := d.PCNUnit(p, k); u != "" {
			out.Units[k.String()] = Unit{Code: u, Name: d.Units[k][u]}
		}
	}
	for _, i := range pc.Practices {
		pr := &d.Practices[i]
		out.Practices = append(out.Practices, Practice{pr.Code, pr.Name, pr.ListSize})
	}
	coreSet := map[int32]bool{}
	for _, a := range d.CoreAreas(p, core) {
		coreSet[a] = true
		out.CoreBBox = out.CoreBBox.extend(d.Areas[a].Bound)
	}
	var anyBBox *BBox
	out.CoreAreas = int32(len(coreSet))
	var contained int64
	d.PCNCells(p, func(cell overlap.Cell) {
		if cell.Patients <= 0 {
			return
		}
		a := &d.Areas[cell.Area]
		dom := s.layers.Dominant[cell.Area] == int32(p)
		serves := d.Serves(cell, t)
		out.AreasAny++
		anyBBox = anyBBox.extend(a.Bound)
		if serves {
			out.Areas++
			out.BBox = out.BBox.extend(a.Bound)
		}
		if dom {
			out.Dominates++
			contained += int64(cell.Patients)
		}
		out.AreaShares = append(out.AreaShares, PCNArea{
			Code: a.Code, Name: a.Name, Patients: cell.Patients,
			Share: d.Share(int(cell.Area), cell.Patients), ListShare: layers.Ratio(int64(cell.Patients), pc.ListSize),
			Serves: serves, Dominant: dom, Core: coreSet[cell.Area],
		})
	})
	out.Containment = layers.Ratio(contained, pc.Resident)
	if out.BBox == nil {
		out.BBox = anyBBox
	}
	slices.SortStableFunc(out.AreaShares, func(x, y PCNArea) int {
		return cmp.Or(cmp.Compare(y.Patients, x.Patients), cmp.Compare(x.Code, y.Code))
	})
	return out
}

func (s *Server) handleOverlaps(c echo.Context) error {
	t, _, err := s.thresholdParam(c.QueryParam("threshold"))
	if err != nil {
		return err
	}
	p, ok := s.d.PCN(strings.ToUpper(c.Param("code")))
	if !ok {
		return fmt.Errorf("%w: no PCN %q", errNotFound, clip(c.Param("code")))
	}
	return s.writeJSON(c, s.overlaps(p, t), true)
}

func (s *Server) overlaps(p int, t float64) Overlaps {
	d := s.d
	out := Overlaps{PCNRef: PCNRef{d.PCNs[p].Code, d.PCNs[p].Name}, Threshold: t, Overlaps: []Overlap{}}
	for _, x := range d.Overlaps(p, t) {
		o := &d.PCNs[x.P2]
		out.Overlaps = append(out.Overlaps, Overlap{
			PCNRef: PCNRef{o.Code, o.Name}, SharedAreas: x.Shared, SharedAreasAny: x.SharedAny, Overlap: x.Overlap,
		})
	}
	return out
}

func (s *Server) handleSummary(c echo.Context) error {
	t, _, err := s.thresholdParam(c.QueryParam("threshold"))
	if err != nil {
		return err
	}
	p, err := s.summary(c.Request().Context(), t)
	if err != nil {
		return err
	}
	return s.write(c, p)
}

// summary is the report's summary.json at threshold t, kept per threshold encoded, gzipped and with
// its ETag: it takes tens of milliseconds for England, and the gzip of its 331 KB as long again. The
// default threshold's is held apart from the others, so that a stream of requests at thresholds of the
// clients' choosing (answered exactly, not rounded: these are numbers people quote) cannot evict it.
func (s *Server) summary(ctx context.Context, t float64) (payload, error) {
	m := s.summaries
	if t != s.threshold {
		m = s.sideSums
	}
	return m.get(t, func() (payload, error) {
		sum, err := s.d.Summarise(ctx, t, nil)
		if err != nil {
			return payload{}, err
		}
		b, err := json.Marshal(sum)
		if err != nil {
			return payload{}, fmt.Errorf("server: encode summary: %w", err)
		}
		return newPayload(append(b, '\n'), mimeJSON).compressed()
	})
}

// searchEntry is an area or PCN as search matches it.
type searchEntry struct {
	pcn        bool
	code, name string
	lowerCode  string
	lowerName  string
	bbox       *BBox
}

func newSearch(d *overlap.Dataset) []searchEntry {
	out := make([]searchEntry, 0, len(d.Areas)+len(d.PCNs))
	for i := range d.Areas {
		a := &d.Areas[i]
		out = append(out, searchEntry{code: a.Code, name: a.Name, lowerCode: strings.ToLower(a.Code), lowerName: strings.ToLower(a.Name),
			bbox: (*BBox)(nil).extend(a.Bound)})
	}
	for i := range d.PCNs {
		p := &d.PCNs[i]
		var bbox *BBox
		for _, a := range d.CoreAreas(i, overlap.DefaultCore) {
			bbox = bbox.extend(d.Areas[a].Bound)
		}
		out = append(out, searchEntry{pcn: true, code: p.Code, name: p.Name, lowerCode: strings.ToLower(p.Code), lowerName: strings.ToLower(p.Name), bbox: bbox})
	}
	return out
}

const (
	searchLimit    = 20
	searchMaxLimit = 100
	searchMaxQuery = 100
)

func (s *Server) handleSearch(c echo.Context) error {
	q := c.QueryParam("q")
	limit := searchLimit
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > searchMaxLimit {
			return fmt.Errorf("%w: limit must be 1 to %d", errBadRequest, searchMaxLimit)
		}
		limit = n
	}
	res, err := s.find(q, limit)
	if err != nil {
		return err
	}
	return s.writeJSON(c, res, true)
}

// find matches q, case-insensitively, against the prefixes of codes, of names, and of the words of
// names, in that order of rank; within a rank areas come before PCNs, then by code.
func (s *Server) find(q string, limit int) (SearchResults, error) {
	q = strings.TrimSpace(q)
	switch {
	case q == "":
		return SearchResults{}, fmt.Errorf("%w: q is required", errBadRequest)
	case len(q) > searchMaxQuery:
		return SearchResults{}, fmt.Errorf("%w: q is longer than %d bytes", errBadRequest, searchMaxQuery)
	}
	lq := strings.ToLower(q)
	type hit struct {
		rank int
		e    *searchEntry
	}
	var hits []hit
	for i := range s.search {
		e := &s.search[i]
		rank := 0
		switch {
		case e.lowerCode == lq:
			rank = 1
		case strings.HasPrefix(e.lowerCode, lq):
			rank = 2
		case strings.HasPrefix(e.lowerName, lq):
			rank = 3
		case strings.Contains(e.lowerName, " "+lq) || strings.Contains(e.lowerName, "("+lq) || strings.Contains(e.lowerName, "-"+lq):
			rank = 4
		default:
			continue
		}
		hits = append(hits, hit{rank, e})
	}
	slices.SortFunc(hits, func(x, y hit) int {
		px, py := 0, 0
		if x.e.pcn {
			px = 1
		}
		if y.e.pcn {
			py = 1
		}
		return cmp.Or(cmp.Compare(x.rank, y.rank), cmp.Compare(px, py), cmp.Compare(x.e.code, y.e.code))
	})
	out := SearchResults{Query: q, Results: make([]SearchResult, 0, min(limit, len(hits)))}
	for _, h := range hits[:min(limit, len(hits))] {
		typ := "area"
		if h.e.pcn {
			typ = "pcn"
		}
		out.Results = append(out.Results, SearchResult{Type: typ, Code: h.e.code, Name: h.e.name, BBox: h.e.bbox})
	}
	return out, nil
}

func (s *Server) handleLookup(c echo.Context) error {
	t, _, err := s.thresholdParam(c.QueryParam("threshold"))
	if err != nil {
		return err
	}
	lon, err := coordParam("lon", c.QueryParam("lon"), 180)
	if err != nil {
		return err
	}
	lat, err := coordParam("lat", c.QueryParam("lat"), 90)
	if err != nil {
		return err
	}
	l, err := s.lookup(lon, lat, t)
	if err != nil {
		return err
	}
	return s.writeJSON(c, l, true)
}

// lookup finds the area at a point.
func (s *Server) lookup(lon, lat, t float64) (Lookup, error) {
	a, err := app.Locate(s.idx, orb.Point{lon, lat})
	if err != nil {
		return Lookup{}, err
	}
	return Lookup{Lon: lon, Lat: lat, Area: s.area(a, t)}, nil
}

// coordParam parses a longitude or latitude within ±limit degrees.
func coordParam(name, v string, limit float64) (float64, error) {
	if v == "" {
		return 0, fmt.Errorf("%w: %s is required", errBadRequest, name)
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) > limit {
		return 0, fmt.Errorf("%w: %s=%q is not a number of degrees within ±%g", errBadRequest, name, clip(v), limit)
	}
	return f, nil
}
