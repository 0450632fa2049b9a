package server

import (
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDesignJob: a design started over HTTP needs the token, answers 202 with a job, and the job
// ends with the plan, saved as a set that the assessment then reads.
func TestDesignJob(t *testing.T) {
	ts := newTeamServer(t, Config{Token: testToken})
	body := `{"within":"la:E08000009","time_limit_s":20,"save_as":"Trafford plan"}`
	if res, _ := ts.do(t, http.MethodPost, "/api/neighbourhoods/design", strings.NewReader(body), "Content-Type: application/json"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("design without the token: %d, want 401", res.StatusCode)
	}
	auth := "Authorization: Bearer " + testToken
	for name, bad := range map[string]string{
		"no region":  `{}`,
		"bad band":   `{"within":"la:E08000009","size":"50k-30k"}`,
		"bad nest":   `{"within":"la:E08000009","nest":"ward"}`,
		"long limit": `{"within":"la:E08000009","time_limit_s":600}`,
		"no limit":   `{"within":"la:E08000009","time_limit_s":1e-12}`,
		"unknown":    `{"within":"la:E08000009","colour":"red"}`,
	} {
		if res, b := ts.do(t, http.MethodPost, "/api/neighbourhoods/design", strings.NewReader(bad), "Content-Type: application/json", auth); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", name, res.StatusCode, b)
		}
	}
	res, b := ts.do(t, http.MethodPost, "/api/neighbourhoods/design", strings.NewReader(body), "Content-Type: application/json", auth)
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("design: %d %s", res.StatusCode, b)
	}
	job := decode[DesignJob](t, b)
	loc := res.Header.Get("Location")
	deadline := time.Now().Add(2 * time.Minute)
	for job.Status == "running" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		res, b = ts.do(t, http.MethodGet, loc, nil, auth)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("poll: %d %s", res.StatusCode, b)
		}
		job = decode[DesignJob](t, b)
	}
	if job.Status != "done" || job.Plan == nil {
		t.Fatalf("job %+v", job)
	}
	p := job.Plan
	if len(p.Neighbourhoods) != 6 || p.Score <= 0 || p.Score > p.Bound || p.Greedy == nil || len(p.Teams) != 138 || p.SavedAs != "Trafford plan" {
		t.Errorf("plan: %d neighbourhoods, score %.4f, bound %.4f, greedy %v, %d LSOAs, saved %q", len(p.Neighbourhoods), p.Score, p.Bound, p.Greedy, len(p.Teams), p.SavedAs)
	}
	res, b = ts.do(t, http.MethodGet, "/api/teams/Trafford%20plan/neighbourhoods?size=30k-50k", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("assess: %d %s", res.StatusCode, b)
	}
	checkAgainstOpenAPI(t, openAPIRouter(t), res, b)
	a := decode[struct {
		Score          float64 `json:"score"`
		Neighbourhoods []struct {
			Name        string `json:"name"`
			InBand      bool   `json:"in_band"`
			Deprivation *struct {
				Deciles []float64 `json:"deciles"`
				Core20  float64   `json:"core20"`
				Unknown float64   `json:"unknown"`
			} `json:"deprivation"`
			Income *struct {
				Deciles []float64 `json:"deciles"`
				Unknown float64   `json:"unknown"`
			} `json:"income"`
			Employment any `json:"employment"`
			RuralUrban []struct {
				Code  string  `json:"code"`
				Share float64 `json:"share"`
			} `json:"rural_urban"`
		} `json:"neighbourhoods"`
		Missing []string `json:"missing"`
	}](t, b)
	if len(a.Neighbourhoods) != 6 || a.Score != p.Score || a.Missing != nil {
		t.Errorf("assessment: %d neighbourhoods, score %v, missing %q; the plan had %v", len(a.Neighbourhoods), a.Score, a.Missing, p.Score)
	}
	// The fixture has IMD deciles and rural-urban classes for every Trafford LSOA: each profile
	// accounts for all of a neighbourhood's residents.
	for _, n := range a.Neighbourhoods {
		if n.Deprivation == nil || len(n.Deprivation.Deciles) != 10 || len(n.RuralUrban) == 0 {
			t.Errorf("%s: deprivation %+v, rural-urban %+v", n.Name, n.Deprivation, n.RuralUrban)
			continue
		}
		// The fixture's lookup gives IMD_INCOME too, and no employment decile.
		if n.Income == nil || len(n.Income.Deciles) != 10 || n.Employment != nil {
			t.Errorf("%s: income %+v, employment %+v", n.Name, n.Income, n.Employment)
		} else {
			sum := n.Income.Unknown
			for _, v := range n.Income.Deciles {
				sum += v
			}
			if math.Abs(sum-1) > 1e-9 {
				t.Errorf("%s: income deciles and unknown add up to %v", n.Name, sum)
			}
		}
		sum, classes := n.Deprivation.Unknown, 0.0
		for _, v := range n.Deprivation.Deciles {
			sum += v
		}
		for _, c := range n.RuralUrban {
			classes += c.Share
		}
		if math.Abs(sum-1) > 1e-9 || math.Abs(classes-1) > 1e-9 || math.Abs(n.Deprivation.Core20-n.Deprivation.Deciles[0]-n.Deprivation.Deciles[1]) > 1e-12 {
			t.Errorf("%s: deciles and unknown add up to %v, classes to %v, core20 %v", n.Name, sum, classes, n.Deprivation.Core20)
		}
	}
	if res, _ := ts.do(t, http.MethodGet, "/api/neighbourhoods/jobs/nope", nil, auth); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown job: %d, want 404", res.StatusCode)
	}
	// A design whose use case fails ends as a failed job with the reason.
	res, b = ts.do(t, http.MethodPost, "/api/neighbourhoods/design", strings.NewReader(`{"within":"la:E08000009","count":40,"size":"30k-50k"}`), "Content-Type: application/json", auth)
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("design: %d %s", res.StatusCode, b)
	}
	job = decode[DesignJob](t, b)
	for job.Status == "running" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		_, b = ts.do(t, http.MethodGet, res.Header.Get("Location"), nil, auth)
		job = decode[DesignJob](t, b)
	}
	if job.Status != "failed" || !strings.Contains(job.Error, "cannot cover") {
		t.Errorf("impossible design: %+v", job)
	}
}

// TestDesignJobsBounded: at most maxDesignsRunning run at once, and finished jobs make room.
func TestDesignJobsBounded(t *testing.T) {
	var j designJobs
	var started []*designJob
	for range maxDesignsRunning {
		jb, err := j.start()
		if err != nil {
			t.Fatal(err)
		}
		started = append(started, jb)
	}
	if _, err := j.start(); !errors.Is(err, errBusy) {
		t.Fatalf("start beyond %d running: %v, want errBusy", maxDesignsRunning, err)
	}
	for i := 0; i < maxDesignJobs+5; i++ {
		j.finish(started[0], &DesignResult{}, nil)
		jb, err := j.start()
		if err != nil {
			t.Fatalf("start %d after one finished: %v", i, err)
		}
		started[0] = jb
	}
	if len(j.jobs) > maxDesignJobs {
		t.Errorf("%d jobs kept, at most %d", len(j.jobs), maxDesignJobs)
	}
}

// FuzzParseDesign: any body is refused or gives a request within the stated limits, never a panic.
func FuzzParseDesign(f *testing.F) {
	for _, s := range []string{`{"within":"la:E08000009"}`, `{"within":"icb:E54000057","size":"30k-50k","count":3,"nest":"none","time_limit_s":5}`, `{`, `{"within":"la:"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := parseDesign(b)
		if err != nil {
			return
		}
		if req.Config.TimeLimit < time.Second || req.Config.TimeLimit > maxDesignTime || req.Options.Count < 0 || req.Options.Within == "" {
			t.Errorf("parseDesign(%q) = %+v", b, req)
		}
	})
}
