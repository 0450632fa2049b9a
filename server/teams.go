package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"pcnmap/app"
	"pcnmap/layers"
	"pcnmap/overlap"
	"pcnmap/store"
	"pcnmap/teams"
	"pcnmap/tiles"
)

// teamSets reads the team footprint sets of the served release from the workspace and keeps what is
// derived from each (the resolved model, each area's team, the tile shapes) under the workspace's
// teams version it was read at (store.TeamsVersion). Every write, through this server, another or the
// CLI, bumps the version, so nothing derived before a write is served after it: caches keyed by
// version simply stop being asked for.
type teamSets struct {
	ws      *store.Workspace
	d       *overlap.Dataset
	app     *app.Teams // the use cases: import, load, what-if, save
	entries *memo[teamKey, *teamEntry]
	// membership keeps the release as the last practice moves left it (app.MembershipKey), so the
	// map's next click, which sends them again, resolves the set only: ~40 MB each for England.
	membership *memo[string, *app.Membership]
	// dissolver holds the areas' shared edges, built on the first code-list set drawn.
	dissolver func() *tiles.Dissolver
}

type teamKey struct {
	name string
	gen  uint64
}

func newTeamSets(ws *store.Workspace, d *overlap.Dataset) *teamSets {
	return &teamSets{
		ws: ws, d: d, app: app.NewTeams(ws, d), entries: newMemo[teamKey, *teamEntry](8), membership: newMemo[string, *app.Membership](2),
		dissolver: sync.OnceValue(func() *tiles.Dissolver { return layers.NewDissolver(d.Areas) }),
	}
}

// teamEntry is one set as read at one teams version. Immutable once built, except for the tile shapes,
// prepared on the first tile asked for.
type teamEntry struct {
	gen   uint64
	info  store.TeamSet
	set   *teams.Set
	model *teams.Model // the base of every what-if: cloned, never moved
	areas []teams.AreaTeam
	// before holds the alignment as JSON per threshold: the "before" of every what-if on the set.
	before *memo[alignmentKey, []byte]
	// shapes are the team outlines of the teams layer, prepared on first use.
	shapes    func() (layers.TeamShapes, error)
	variantID string // set name and generation, for tile cache keys
}

// list returns the sets of the release, by name.
func (ts *teamSets) list(ctx context.Context) ([]store.TeamSet, error) {
	return ts.ws.TeamSets(ctx, ts.d.Release)
}

// get returns set name at the workspace's current teams version, reading and resolving it on first
// use.
func (ts *teamSets) get(ctx context.Context, name string) (*teamEntry, error) {
	// The version is read before the set: an entry is never older than its key says.
	gen, err := ts.ws.TeamsVersion(ctx)
	if err != nil {
		return nil, err
	}
	return ts.entries.get(teamKey{name, gen}, func() (*teamEntry, error) {
		sets, err := ts.list(ctx)
		if err != nil {
			return nil, err
		}
		var info *store.TeamSet
		for i := range sets {
			if sets[i].Name == name {
				info = &sets[i]
			}
		}
		if info == nil {
			return nil, fmt.Errorf("%w: no team set %q in release %s", errNotFound, clip(name), ts.d.Release)
		}
		set, m, err := ts.app.Load(ctx, name)
		if err != nil {
			return nil, err
		}
		e := &teamEntry{gen: gen, info: *info, set: set, model: m, areas: m.AreaTeams(),
			variantID: name + "\x00" + strconv.FormatUint(gen, 10), before: newMemo[alignmentKey, []byte](4)}
		e.shapes = sync.OnceValues(func() (layers.TeamShapes, error) { return ts.prepare(e) })
		return e, nil
	})
}

// prepare makes the tile shapes of a set (see layers.PrepareTeams); not with the request's context:
// the shapes are shared by every later request for the set.
func (ts *teamSets) prepare(e *teamEntry) (layers.TeamShapes, error) {
	return layers.PrepareTeams(context.Background(), ts.dissolver(), e.set, e.areas)
}

// The answers of the team routes.

// TeamSet summarises a stored footprint set.
type TeamSet struct {
	Name       string    `json:"name"`
	Source     string    `json:"source"`
	Method     string    `json:"method"`
	ImportedAt time.Time `json:"imported_at"`
	Teams      int       `json:"teams"`
}

// TeamSets is the answer of GET /api/teams.
type TeamSets struct {
	Writable bool      `json:"writable"`
	Sets     []TeamSet `json:"sets"`
}

// TeamSetDetail is the answer of GET /api/teams/{set}.
type TeamSetDetail struct {
	TeamSet
	TeamList []TeamSize `json:"team_list"`
	Areas    []AreaTeam `json:"areas"`
}

// TeamSize is a team's number of LSOAs and practices.
type TeamSize struct {
	Name      string `json:"name"`
	LSOAs     int    `json:"lsoas"`
	Practices int    `json:"practices"`
}

// AreaTeam is the team holding most of an area's registered patients, and its share of them.
type AreaTeam struct {
	Code  string  `json:"code"`
	Team  string  `json:"team"`
	Share float64 `json:"share"`
}

// Claim is an LSOA (or practice) that several teams claim.
type Claim struct {
	Code  string   `json:"code"`
	Teams []string `json:"teams"`
	// Shares are each team's weight of the LSOA (teams.Claim); nil for a practice.
	Shares []float64 `json:"shares,omitempty"`
}

// ImportResult is the answer of POST /api/teams.
type ImportResult struct {
	Set       TeamSet  `json:"set"`
	Uncovered []string `json:"uncovered"`
	// Contested lists the LSOAs (or practices) split between teams, with each team's share.
	Contested []Claim `json:"contested"`
	// Missing counts LSOAs of the release that could not be placed: no point, no polygon.
	Missing int `json:"missing"`
}

// Alignment is a set's alignment with the PCNs at a threshold (see package teams for the definitions).
type Alignment struct {
	Set       string  `json:"set"`
	Threshold float64 `json:"threshold"`
	Score     float64 `json:"score"`
	Coverage  float64 `json:"coverage"`
	// CoveragePCNs is the number of PCNs Coverage is measured over (teams.Alignment).
	CoveragePCNs int           `json:"coverage_pcns"`
	Teams        []TeamFigures `json:"teams"`
	// PCNs and Matrix are left out of what-if answers asked for with detail=teams.
	PCNs   []PCNSplit  `json:"pcns,omitempty"`
	Matrix *TeamMatrix `json:"matrix,omitempty"`
}

// TeamFigures are one team's figures.
type TeamFigures struct {
	Name          string    `json:"name"`
	Registered    float64   `json:"registered"`
	InPCN         float64   `json:"in_pcn"`
	PCNs          []TeamPCN `json:"pcns"` // share ≥ threshold, largest first
	Dominant      *PCNRef   `json:"dominant_pcn"`
	DominantShare float64   `json:"dominant_share"`
	HHI           float64   `json:"hhi"`
	EffectivePCNs float64   `json:"effective_pcns"`
}

// TeamPCN is a PCN's patients in a team.
type TeamPCN struct {
	PCNRef
	Patients float64 `json:"patients"`
	Share    float64 `json:"share"`
}

// PCNSplit is how a PCN's resident patients split over the teams.
type PCNSplit struct {
	PCNRef
	Resident     int64     `json:"resident"`
	InTeam       []float64 `json:"in_team"` // same order as Alignment.Teams
	Outside      float64   `json:"outside"`
	Teams        int       `json:"teams"`
	DominantTeam *string   `json:"dominant_team"`
}

// TeamMatrix is patients(T,p): one row per team, one column per PCN of PCNs, then the patients of
// practices in no PCN.
type TeamMatrix struct {
	PCNs []string    `json:"pcns"`
	Rows [][]float64 `json:"rows"`
}

// WhatIfRequest is the body of POST /api/teams/{set}/whatif: area moves, practice moves, or both.
type WhatIfRequest struct {
	Moves         []Move         `json:"moves"`
	PracticeMoves []PracticeMove `json:"practice_moves,omitempty"`
	SaveAs        string         `json:"save_as,omitempty"`
}

// PracticeMove moves a practice from one PCN to another, in memory only (a membership what-if).
type PracticeMove struct {
	Practice string `json:"practice"`
	From     string `json:"from"`
	To       string `json:"to"`
}

// PracticeChange is the effect of one practice move on the two PCNs it touches: their list sizes in
// the release and after all the practice moves of the what-if.
type PracticeChange struct {
	Practice string     `json:"practice"`
	Name     string     `json:"name"`
	ListSize int64      `json:"list_size"`
	From     PCNListRef `json:"from"`
	To       PCNListRef `json:"to"`
	// Small: the PCN left falls under 30,000 patients.
	Small bool `json:"small"`
}

// PCNListRef is a PCN and its list size before and after a membership what-if.
type PCNListRef struct {
	PCNRef
	ListBefore int64 `json:"list_before"`
	ListAfter  int64 `json:"list_after"`
}

// Move moves an LSOA or an MSOA from one team to another ("" for no team).
type Move struct {
	Code string `json:"code"`
	From string `json:"from"`
	To   string `json:"to"`
}

// WhatIf is the answer of POST /api/teams/{set}/whatif; Before is an Alignment, kept encoded per
// set and threshold (with hundreds of teams it is megabytes of JSON).
type WhatIf struct {
	Before json.RawMessage `json:"before"`
	After  *Alignment      `json:"after"`
	// PracticeChanges, one per practice move, in order; absent without practice moves.
	PracticeChanges []PracticeChange `json:"practice_changes,omitempty"`
}

// RenameRequest is the body of PATCH /api/teams/{set}.
type RenameRequest struct {
	Name string `json:"name"`
}

// teamRoutes adds the team footprint routes; without a workspace they answer 404.
func (s *Server) teamRoutes(e *echo.Echo) {
	get := []string{http.MethodGet, http.MethodHead}
	e.Match(get, "/api/teams", s.needTeams(s.handleTeamSets))
	e.POST("/api/teams", s.needTeams(s.writer(s.handleImport)))
	e.Match(get, "/api/teams/:set", s.needTeams(s.handleTeamSet))
	e.DELETE("/api/teams/:set", s.needTeams(s.writer(s.handleDeleteTeams)))
	e.PATCH("/api/teams/:set", s.needTeams(s.writer(s.handleRenameTeams)))
	e.Match(get, "/api/teams/:set/alignment", s.needTeams(s.handleAlignment))
	e.POST("/api/teams/:set/whatif", s.needTeams(s.handleWhatIf)) // the token only to save
}

// needTeams answers 404 when the server has no workspace.
func (s *Server) needTeams(h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.teams == nil {
			if s.d == nil {
				return errNoWorkspace
			}
			return errNoTeams
		}
		return h(c)
	}
}

// writer lets a request through only with the configured bearer token.
func (s *Server) writer(h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.authorize(c); err != nil {
			return err
		}
		return h(c)
	}
}

// authorize checks the bearer token of a write: 403 when the server has none, 401 (with
// WWW-Authenticate) when the request's is missing or wrong. The comparison takes constant time.
func (s *Server) authorize(c echo.Context) error {
	if s.cfg.Token == "" {
		return errForbidden
	}
	// The scheme is case-insensitive (RFC 7235 §2.1): "bearer" and "BEARER" are Bearer.
	scheme, got, ok := strings.Cut(strings.TrimSpace(c.Request().Header.Get(echo.HeaderAuthorization)), " ")
	ok = ok && strings.EqualFold(scheme, "Bearer")
	if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(s.cfg.Token)) != 1 {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="pcnmap"`)
		return errUnauthorized
	}
	return nil
}

// noCache marks an answer that changes with the team sets: clients revalidate it with its ETag.
func noCache(c echo.Context) { c.Response().Header().Set(echo.HeaderCacheControl, "no-cache") }

// setParam reads the {set} path parameter.
func setParam(c echo.Context) (string, error) {
	name, err := url.PathUnescape(c.Param("set"))
	if err != nil {
		return "", fmt.Errorf("%w: set name %q is not a valid path segment", errBadRequest, clip(c.Param("set")))
	}
	return name, nil
}

// checkSetName refuses set names that cannot live in a URL path segment or a terminal line.
func checkSetName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("%w: the set needs a name (in an import form, send the name field before the file)", errBadRequest)
	case len(name) > 100:
		return fmt.Errorf("%w: set name %q is longer than 100 bytes", errBadRequest, clip(name))
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("%w: set name %q starts or ends with spaces", errBadRequest, clip(name))
	case strings.ContainsAny(name, `/\%`) || strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: set name %q has a /, \\, %% or control character", errBadRequest, clip(name))
	}
	return nil
}

func summary(info store.TeamSet) TeamSet {
	return TeamSet{Name: info.Name, Source: info.Source, Method: info.Method.String(), ImportedAt: info.ImportedAt, Teams: info.Teams}
}

// location is the URL of a set.
func location(name string) string { return "/api/teams/" + url.PathEscape(name) }

func (s *Server) handleTeamSets(c echo.Context) error {
	sets, err := s.teams.list(c.Request().Context())
	if err != nil {
		return err
	}
	out := TeamSets{Writable: s.cfg.Token != "", Sets: make([]TeamSet, 0, len(sets))}
	for _, info := range sets {
		out.Sets = append(out.Sets, summary(info))
	}
	noCache(c)
	return s.writeJSON(c, out, false)
}

func (s *Server) handleTeamSet(c echo.Context) error {
	name, err := setParam(c)
	if err != nil {
		return err
	}
	e, err := s.teams.get(c.Request().Context(), name)
	if err != nil {
		return err
	}
	out := TeamSetDetail{TeamSet: summary(e.info), TeamList: make([]TeamSize, len(e.set.Teams)), Areas: make([]AreaTeam, len(e.areas))}
	for i, t := range e.set.Teams {
		out.TeamList[i] = TeamSize{Name: t.Name, LSOAs: len(t.LSOAs), Practices: len(t.Practices)}
	}
	for i, at := range e.areas {
		out.Areas[i] = AreaTeam{Code: s.d.Areas[at.Area].Code, Team: e.set.Teams[at.Team].Name, Share: layers.Round(at.Share, 4)}
	}
	noCache(c)
	return s.writeJSON(c, out, false)
}

func (s *Server) handleAlignment(c echo.Context) error {
	t, _, err := s.thresholdParam(c.QueryParam("threshold"))
	if err != nil {
		return err
	}
	name, err := setParam(c)
	if err != nil {
		return err
	}
	e, err := s.teams.get(c.Request().Context(), name)
	if err != nil {
		return err
	}
	noCache(c)
	return s.writeJSON(c, s.alignment(name, e.model.Alignment(t), false), false)
}

// alignment converts teams' figures into the API's.
func (s *Server) alignment(name string, a *teams.Alignment, teamsOnly bool) *Alignment {
	d := s.d
	ref := func(p int) PCNRef { return PCNRef{d.PCNs[p].Code, d.PCNs[p].Name} }
	out := &Alignment{Set: name, Threshold: a.Threshold, Score: a.Score, Coverage: a.Coverage, CoveragePCNs: a.CoveragePCNs,
		Teams: make([]TeamFigures, len(a.Teams))}
	for i, tm := range a.Teams {
		f := TeamFigures{Name: tm.Name, Registered: patients(tm.Registered), InPCN: patients(tm.InPCN), PCNs: make([]TeamPCN, len(tm.PCNs)),
			DominantShare: tm.DominantShare, HHI: tm.HHI, EffectivePCNs: tm.EffectivePCNs}
		if tm.Dominant >= 0 {
			r := ref(tm.Dominant)
			f.Dominant = &r
		}
		for j, sh := range tm.PCNs {
			f.PCNs[j] = TeamPCN{PCNRef: ref(sh.PCN), Patients: patients(sh.Patients), Share: sh.Share}
		}
		out.Teams[i] = f
	}
	if teamsOnly {
		return out
	}
	out.PCNs = make([]PCNSplit, len(a.PCNs))
	out.Matrix = &TeamMatrix{PCNs: make([]string, len(a.PCNs)), Rows: make([][]float64, len(a.Matrix))}
	for i, pm := range a.PCNs {
		sp := PCNSplit{PCNRef: ref(pm.PCN), Resident: pm.Resident, InTeam: pm.InTeam, Outside: pm.Outside, Teams: pm.Teams}
		if pm.DominantTeam >= 0 {
			sp.DominantTeam = &a.Teams[pm.DominantTeam].Name
		}
		out.PCNs[i] = sp
		out.Matrix.PCNs[i] = d.PCNs[pm.PCN].Code
	}
	for t, row := range a.Matrix {
		r := make([]float64, 0, len(a.PCNs)+1)
		for _, pm := range a.PCNs {
			r = append(r, patients(row[pm.PCN]))
		}
		out.Matrix.Rows[t] = append(r, patients(row[len(d.PCNs)]))
	}
	return out
}

// patients rounds a patient count, fractional under the area method or after moves, to 3 decimals.
func patients(v float64) float64 { return math.Round(v*1000) / 1000 }

func (s *Server) handleDeleteTeams(c echo.Context) error {
	name, err := setParam(c)
	if err != nil {
		return err
	}
	err = s.teams.ws.DeleteTeams(c.Request().Context(), s.d.Release, name)
	if errors.Is(err, store.ErrNoTeamSet) {
		return fmt.Errorf("%w: no team set %q in release %s", errNotFound, clip(name), s.d.Release)
	}
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) handleRenameTeams(c echo.Context) error {
	name, err := setParam(c)
	if err != nil {
		return err
	}
	var req RenameRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := checkSetName(req.Name); err != nil {
		return err
	}
	ctx := c.Request().Context()
	err = s.teams.ws.RenameTeams(ctx, s.d.Release, name, req.Name)
	if errors.Is(err, store.ErrNoTeamSet) {
		return fmt.Errorf("%w: no team set %q in release %s", errNotFound, clip(name), s.d.Release)
	}
	if err != nil {
		return err
	}
	e, err := s.teams.get(ctx, req.Name)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, location(req.Name))
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return s.writeJSON(c, summary(e.info), false)
}

// maxMoves bounds a what-if: the page sends every move made since the set was opened.
const maxMoves = 10000

// maxPracticeMoves bounds a what-if's practice moves (England has about 6,500 practices in PCNs; a
// realignment moves a handful).
const maxPracticeMoves = 1000

// decodeJSON reads a JSON request body into v (see decodeStrict).
func decodeJSON(c echo.Context, v any) error { return decodeStrict(c.Request().Body, v) }

// decodeStrict decodes one JSON value from r into v, refusing unknown fields and trailing data.
func decodeStrict(r io.Reader, v any) error {
	// An object and nothing else: json would decode null into a struct as if nothing were missing.
	br := bufio.NewReader(r)
	for {
		c, err := br.ReadByte()
		if err != nil {
			return fmt.Errorf("%w: the body is empty; send a JSON object", errBadRequest)
		}
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			continue
		}
		br.UnreadByte()
		if c != '{' {
			return fmt.Errorf("%w: the body must be a JSON object", errBadRequest)
		}
		break
	}
	dec := json.NewDecoder(br)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonErr(err)
	}
	if dec.More() {
		return fmt.Errorf("%w: the body holds more than one JSON value", errBadRequest)
	}
	return nil
}

// jsonErr words a decoding error for the client, keeping the body-limit error as it is (413).
func jsonErr(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) || errors.Is(err, errTooLarge) {
		return err
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return err
	}
	return fmt.Errorf("%w: the body is not the JSON expected: %v", errBadRequest, err)
}

// parseWhatIf checks a what-if body: at most maxMoves moves, each with a code, from and to differing.
func parseWhatIf(b []byte) (WhatIfRequest, error) {
	var req WhatIfRequest
	if err := decodeStrict(bytes.NewReader(b), &req); err != nil {
		return req, err
	}
	if len(req.Moves) > maxMoves {
		return req, fmt.Errorf("%w: %d moves, at most %d", errBadRequest, len(req.Moves), maxMoves)
	}
	for i, m := range req.Moves {
		switch {
		case strings.TrimSpace(m.Code) == "" || len(m.Code) > 20:
			return req, fmt.Errorf("%w: move %d: code %q is not an LSOA or MSOA code", errBadRequest, i+1, clip(m.Code))
		case m.From == m.To:
			return req, fmt.Errorf("%w: move %d: from and to are both %q", errBadRequest, i+1, clip(m.From))
		}
	}
	if len(req.PracticeMoves) > maxPracticeMoves {
		return req, fmt.Errorf("%w: %d practice moves, at most %d", errBadRequest, len(req.PracticeMoves), maxPracticeMoves)
	}
	for i, m := range req.PracticeMoves {
		switch {
		case strings.TrimSpace(m.Practice) == "" || len(m.Practice) > 20:
			return req, fmt.Errorf("%w: practice move %d: practice %q is not a practice code", errBadRequest, i+1, clip(m.Practice))
		case strings.TrimSpace(m.From) == "" || strings.TrimSpace(m.To) == "":
			return req, fmt.Errorf("%w: practice move %d: from and to must both be PCN codes", errBadRequest, i+1)
		case strings.EqualFold(strings.TrimSpace(m.From), strings.TrimSpace(m.To)):
			return req, fmt.Errorf("%w: practice move %d: from and to are both %q", errBadRequest, i+1, clip(m.From))
		}
	}
	if req.SaveAs != "" {
		if len(req.PracticeMoves) > 0 {
			return req, fmt.Errorf("%w: save_as cannot keep practice moves: the release keeps the membership of its ePCN file; save the area moves alone", errBadRequest)
		}
		if err := checkSetName(req.SaveAs); err != nil {
			return req, err
		}
	}
	return req, nil
}

// whatIfDetail parses a what-if's detail parameter: "full" (the default) answers whole alignments;
// "teams" only the scores and the teams' figures, which is all a map needs after each click and, for
// hundreds of teams, a hundredth of the bytes (the matrix is teams × PCNs).
func whatIfDetail(v string) (teamsOnly bool, err error) {
	switch v {
	case "", "full":
		return false, nil
	case "teams":
		return true, nil
	}
	return false, fmt.Errorf("%w: detail=%q: want full or teams", errBadRequest, clip(v))
}

func (s *Server) handleWhatIf(c echo.Context) error {
	t, _, err := s.thresholdParam(c.QueryParam("threshold"))
	if err != nil {
		return err
	}
	name, err := setParam(c)
	if err != nil {
		return err
	}
	b, err := readBody(c)
	if err != nil {
		return err
	}
	req, err := parseWhatIf(b)
	if err != nil {
		return err
	}
	if req.SaveAs != "" {
		if err := s.authorize(c); err != nil {
			return err
		}
	}
	ctx := c.Request().Context()
	e, err := s.teams.get(ctx, name)
	if err != nil {
		return err
	}
	teamsOnly, err := whatIfDetail(c.QueryParam("detail"))
	if err != nil {
		return err
	}
	out, edited, err := s.whatIf(e, name, req.Moves, req.PracticeMoves, t, teamsOnly)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	if req.SaveAs == "" {
		return s.writeJSON(c, out, false)
	}
	if _, err := s.teams.app.SaveEdited(ctx, edited, req.SaveAs, name); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, location(req.SaveAs))
	return s.writeJSONStatus(c, http.StatusCreated, out)
}

// alignmentKey names one encoding of a set's alignment: at threshold t, with every part or the teams only.
type alignmentKey struct {
	t         float64
	teamsOnly bool
}

// whatIf applies moves to a clone of the set's model, then the practice moves to a copy of the
// release, and gives the alignment before and after them, at threshold t; teamsOnly leaves out the
// per-PCN split and the matrix (see WhatIfDetail).
func (s *Server) whatIf(e *teamEntry, name string, moves []Move, practiceMoves []PracticeMove, t float64, teamsOnly bool) (WhatIf, *teams.Model, error) {
	mvs := make([]app.Move, len(moves))
	for i, mv := range moves {
		mvs[i] = app.Move(mv)
	}
	m, err := app.WhatIf(e.model, mvs)
	if err != nil {
		return WhatIf{}, nil, err
	}
	var changes []PracticeChange
	if len(practiceMoves) > 0 {
		pms := make([]overlap.Membership, len(practiceMoves))
		for i, mv := range practiceMoves {
			pms[i] = overlap.Membership(mv)
		}
		w, err := s.teams.membership.get(app.MembershipKey(pms), func() (*app.Membership, error) { return app.NewMembership(s.d, pms) })
		if err != nil {
			return WhatIf{}, nil, err
		}
		if m, err = w.Model(m); err != nil {
			return WhatIf{}, nil, err
		}
		ref := func(code string, list [2]int64) PCNListRef {
			p, _ := s.d.PCN(code)
			return PCNListRef{PCNRef: PCNRef{code, s.d.PCNs[p].Name}, ListBefore: list[0], ListAfter: list[1]}
		}
		for _, c := range w.Changes {
			changes = append(changes, PracticeChange{Practice: c.Practice, Name: c.Name, ListSize: c.ListSize,
				From: ref(c.From, c.FromList), To: ref(c.To, c.ToList), Small: c.Small})
		}
	}
	before, err := e.before.get(alignmentKey{t, teamsOnly}, func() ([]byte, error) {
		b, err := json.Marshal(s.alignment(name, e.model.Alignment(t), teamsOnly))
		if err != nil {
			return nil, fmt.Errorf("server: encode alignment: %w", err)
		}
		return b, nil
	})
	if err != nil {
		return WhatIf{}, nil, err
	}
	return WhatIf{Before: before, After: s.alignment(name, m.Alignment(t), teamsOnly), PracticeChanges: changes}, m, nil
}

// readBody reads a small request body, already bounded by Config.MaxBody.
func readBody(c echo.Context) ([]byte, error) {
	b, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return nil, jsonErr(err)
	}
	return b, nil
}

// writeJSONStatus writes v with a status other than 200 (201 for what was created).
func (s *Server) writeJSONStatus(c echo.Context, code int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("server: encode answer: %w", err)
	}
	return c.JSONBlob(code, append(b, '\n'))
}
