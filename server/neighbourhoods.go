package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"pcnmap/app"
	"pcnmap/neighbourhoods"
)

// Limits of the neighbourhood design jobs (stated in the README).
const (
	// maxDesignTime caps a job's time_limit; the job's context ends a minute after it at the latest.
	maxDesignTime = 60 * time.Second
	// maxDesignsRunning designs run at once (each keeps a core busy); more answer 429.
	maxDesignsRunning = 2
	// maxDesignJobs are kept for polling; the oldest finished one goes first, and a job is dropped
	// an hour after it finished.
	maxDesignJobs = 32
	designJobTTL  = time.Hour
)

var errBusy = errors.New("too many neighbourhood designs running; try again when one has finished")

// DesignRequest is the body of POST /api/neighbourhoods/design; the fields are the command's flags.
type DesignRequest struct {
	Within     string  `json:"within"`       // KIND:CODE, e.g. icb:E54000057
	From       string  `json:"from"`         // lsoa (default) or msoa
	Size       string  `json:"size"`         // e.g. 30k-50k
	Count      int     `json:"count"`        // exactly N neighbourhoods
	Nest       string  `json:"nest"`         // la (default), none or a unit kind
	Start      string  `json:"start"`        // a stored set to improve
	Seed       uint64  `json:"seed"`         // default 1
	TimeLimitS float64 `json:"time_limit_s"` // default 30, at most 60
	SaveAs     string  `json:"save_as"`      // save the plan as this set
}

// DesignJob is the answer of POST /api/neighbourhoods/design and GET /api/neighbourhoods/jobs/{id}.
type DesignJob struct {
	ID     string        `json:"id"`
	Status string        `json:"status"` // running, done or failed
	Error  string        `json:"error,omitempty"`
	Plan   *DesignResult `json:"plan,omitempty"`
}

// DesignResult is a finished plan: its figures beside the construction, the greedy and the bound.
type DesignResult struct {
	Description   string   `json:"description"`
	Score         float64  `json:"score"`
	Construction  float64  `json:"construction"`
	Bound         float64  `json:"bound"`
	Greedy        *float64 `json:"greedy"` // null when teams suggest cannot run
	GreedyNote    string   `json:"greedy_note,omitempty"`
	GreedyLargest float64  `json:"greedy_largest,omitempty"`
	// GreedyPerMSOA is the greedy's score before its teams were made contiguous over the LSOAs
	// (present when some had fallen apart).
	GreedyPerMSOA  *float64               `json:"greedy_per_msoa,omitempty"`
	BoundaryKm     float64                `json:"boundary_km"`
	TimedOut       bool                   `json:"timed_out"`
	ElapsedS       float64                `json:"elapsed_s"`
	SavedAs        string                 `json:"saved_as,omitempty"`
	Neighbourhoods []DesignNeighbourhood  `json:"neighbourhoods"`
	Merges         []neighbourhoods.Merge `json:"merges,omitempty"` // from a start: teams joined whole
	Moves          []neighbourhoods.Move  `json:"moves,omitempty"`
	Teams          map[string]string      `json:"lsoas"` // LSOA → neighbourhood, to draw the plan before it is saved
	Unmet          []string               `json:"unmet,omitempty"`
}

// DesignNeighbourhood is one neighbourhood of a DesignResult.
type DesignNeighbourhood struct {
	Name       string  `json:"name"`
	Registered float64 `json:"registered"`
	Blocks     int     `json:"blocks"`
	Violation  string  `json:"violation,omitempty"`
}

type designJob struct {
	id       string
	status   string
	err      string
	plan     *DesignResult
	finished time.Time
}

// designJobs holds the jobs: owned by its mutex.
type designJobs struct {
	mu      sync.Mutex
	jobs    map[string]*designJob
	order   []string // by creation
	running int
}

func (j *designJobs) start() (*designJob, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.jobs == nil {
		j.jobs = map[string]*designJob{}
	}
	if j.running >= maxDesignsRunning {
		return nil, errBusy
	}
	// Drop expired jobs, then the oldest finished one while full.
	keep := j.order[:0]
	for _, id := range j.order {
		if jb := j.jobs[id]; jb.status != "running" && time.Since(jb.finished) > designJobTTL {
			delete(j.jobs, id)
			continue
		}
		keep = append(keep, id)
	}
	j.order = keep
	for len(j.order) >= maxDesignJobs {
		dropped := false
		for i, id := range j.order {
			if j.jobs[id].status != "running" {
				delete(j.jobs, id)
				j.order = append(j.order[:i], j.order[i+1:]...)
				dropped = true
				break
			}
		}
		if !dropped {
			return nil, errBusy
		}
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("server: job id: %w", err)
	}
	jb := &designJob{id: hex.EncodeToString(b[:]), status: "running"}
	j.jobs[jb.id] = jb
	j.order = append(j.order, jb.id)
	j.running++
	return jb, nil
}

func (j *designJobs) finish(jb *designJob, plan *DesignResult, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.running--
	jb.finished = time.Now()
	if err != nil {
		jb.status, jb.err = "failed", clientError(err)
		return
	}
	jb.status, jb.plan = "done", plan
}

func (j *designJobs) get(id string) (DesignJob, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	jb, ok := j.jobs[id]
	if !ok {
		return DesignJob{}, false
	}
	return DesignJob{ID: jb.id, Status: jb.status, Error: jb.err, Plan: jb.plan}, true
}

// clientError is what a failed job says: the message of errors the client caused, else "internal error".
func clientError(err error) string {
	code, msg := status(err)
	if code >= 500 {
		return "internal error"
	}
	return msg
}

// neighbourhoodRoutes adds the design jobs and the assessment; without a workspace they answer 404.
func (s *Server) neighbourhoodRoutes(e *echo.Echo) {
	get := []string{http.MethodGet, http.MethodHead}
	e.POST("/api/neighbourhoods/design", s.needTeams(s.writer(s.handleDesign)))
	e.Match(get, "/api/neighbourhoods/jobs/:id", s.needTeams(s.writer(s.handleDesignJob)))
	e.Match(get, "/api/teams/:set/neighbourhoods", s.needTeams(s.handleAssess))
}

// parseDesign turns a request body into the use case's request, refusing what the command refuses.
func parseDesign(b []byte) (app.DesignRequest, error) {
	var r DesignRequest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return app.DesignRequest{}, jsonErr(err)
	}
	var req app.DesignRequest
	var err error
	bad := func(field string, err error) (app.DesignRequest, error) {
		return app.DesignRequest{}, fmt.Errorf("%w: %s: %v", errBadRequest, field, err)
	}
	if req.Options.WithinKind, req.Options.Within, err = neighbourhoods.ParseWithin(r.Within); err != nil {
		return bad("within", err)
	}
	if r.Within == "" {
		return bad("within", errors.New("a region is required (KIND:CODE, e.g. icb:E54000057)"))
	}
	if r.From == "" {
		r.From = "lsoa"
	}
	if req.Options.Blocks, err = neighbourhoods.ParseBlocks(r.From); err != nil {
		return bad("from", err)
	}
	if r.Size != "" {
		if req.Options.Band, err = neighbourhoods.ParseBand(r.Size); err != nil {
			return bad("size", err)
		}
	}
	if r.Nest == "" {
		r.Nest = "la"
	}
	if req.Options.Nest, req.Options.NoNest, err = neighbourhoods.ParseNest(r.Nest); err != nil {
		return bad("nest", err)
	}
	if r.Count < 0 || r.Count > 10000 {
		return bad("count", fmt.Errorf("%d is not between 0 and 10000", r.Count))
	}
	req.Options.Count = r.Count
	limit := 30 * time.Second
	if r.TimeLimitS != 0 {
		if !(r.TimeLimitS >= 1 && r.TimeLimitS <= maxDesignTime.Seconds()) {
			return bad("time_limit_s", fmt.Errorf("%g is not between 1 and %g", r.TimeLimitS, maxDesignTime.Seconds()))
		}
		limit = time.Duration(r.TimeLimitS * float64(time.Second))
	}
	if r.Seed == 0 {
		r.Seed = 1
	}
	if r.SaveAs != "" {
		if err := checkSetName(r.SaveAs); err != nil {
			return app.DesignRequest{}, err
		}
	}
	req.Config = neighbourhoods.Config{Seed: r.Seed, TimeLimit: limit}
	req.Start, req.SaveAs = r.Start, r.SaveAs
	return req, nil
}

func (s *Server) handleDesign(c echo.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	req, err := parseDesign(b)
	if err != nil {
		return err
	}
	jb, err := s.designs.start()
	if err != nil {
		return err
	}
	ws, d := s.teams.ws, s.d
	go func() {
		// Not the request's context: the job outlives the request, bounded by its own deadline.
		ctx, cancel := context.WithTimeout(context.Background(), req.Config.TimeLimit+time.Minute)
		defer cancel()
		req.Now = time.Now()
		ds, err := app.DesignNeighbourhoods(ctx, ws, d, req)
		var out *DesignResult
		if err == nil {
			out = designResult(ds, req.SaveAs)
		} else {
			s.log.Info("neighbourhood design failed", "job", jb.id, "err", err)
		}
		s.designs.finish(jb, out, err)
	}()
	c.Response().Header().Set(echo.HeaderLocation, "/api/neighbourhoods/jobs/"+url.PathEscape(jb.id))
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return s.writeJSONStatus(c, http.StatusAccepted, DesignJob{ID: jb.id, Status: "running"})
}

func designResult(ds *app.Design, savedAs string) *DesignResult {
	p := ds.Plan
	r := &DesignResult{
		Description: p.Set.Source, Score: p.Score, Construction: p.Construction, Bound: p.Bound,
		GreedyNote: ds.GreedyNote, BoundaryKm: p.Boundary, TimedOut: p.TimedOut, ElapsedS: p.Elapsed.Seconds(),
		SavedAs: savedAs, Merges: p.Merges, Moves: p.Moves, Teams: map[string]string{},
		Neighbourhoods: make([]DesignNeighbourhood, 0, len(p.Neighbourhoods)),
	}
	if ds.Greedy != nil {
		r.Greedy, r.GreedyLargest = &ds.Greedy.Score, ds.Greedy.Largest
		if ds.Greedy.Split > 0 {
			r.GreedyPerMSOA = &ds.Greedy.PerMSOA
		}
	}
	for _, n := range p.Neighbourhoods {
		r.Neighbourhoods = append(r.Neighbourhoods, DesignNeighbourhood{Name: n.Name, Registered: n.Registered, Blocks: len(n.Blocks), Violation: n.Violation})
	}
	for _, t := range p.Set.Teams {
		for _, w := range t.LSOAs {
			r.Teams[w.LSOA] = t.Name
		}
	}
	for _, u := range ds.Problem.Units {
		if u.Reason != "" {
			r.Unmet = append(r.Unmet, u.Reason)
		}
	}
	return r
}

func (s *Server) handleDesignJob(c echo.Context) error {
	j, ok := s.designs.get(c.Param("id"))
	if !ok {
		return fmt.Errorf("%w: no design job %q (jobs are kept an hour after they finish)", errNotFound, clip(c.Param("id")))
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return s.writeJSON(c, j, false)
}

func (s *Server) handleAssess(c echo.Context) error {
	t, _, err := s.thresholdParam(c.QueryParam("threshold"))
	if err != nil {
		return err
	}
	name, err := setParam(c)
	if err != nil {
		return err
	}
	band := neighbourhoods.Band{Min: 30000, Max: 50000}
	if v := c.QueryParam("size"); v != "" {
		if band, err = neighbourhoods.ParseBand(v); err != nil {
			return fmt.Errorf("%w: size: %v", errBadRequest, err)
		}
	}
	a, err := app.AssessNeighbourhoods(c.Request().Context(), s.teams.ws, s.d, name, t, band)
	if err != nil {
		return err
	}
	noCache(c)
	return s.writeJSON(c, a, false)
}
