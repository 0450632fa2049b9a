package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer collects a command's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestServeSmoke starts `pcnmap serve` in-process on a free port over the fixture workspace, gets
// /healthz and a tile, and stops it as Ctrl-C would.
func TestServeSmoke(t *testing.T) {
	db := filepath.Join(t.TempDir(), "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv", "--centroids", fixtureDir+"lsoa-centroids.csv")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, &env{stdout: io.Discard, stderr: &stderr}, []string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--warm"})
	}()
	addr := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`)
	var base string
	for deadline := time.Now().Add(30 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addr.FindStringSubmatch(stderr.String()); m != nil {
			base = "http://" + m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped early: %v\n%s", err, stderr.String())
		default:
		}
	}
	if base == "" {
		t.Fatalf("serve never said where it listens:\n%s", stderr.String())
	}
	for path, want := range map[string]int{"/healthz": 200, "/tiles/areas/10/505/331.mvt": 200, "/api/areas/E02001259": 200, "/tiles/areas/99/0/0.mvt": 400} {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s = %d %s, want %d", path, res.StatusCode, b, want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after the interrupt", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop within 15 s of the interrupt")
	}
	if log := stderr.String(); !strings.Contains(log, "msg=request") || !strings.Contains(log, "status=200") {
		t.Errorf("no request log lines:\n%s", log)
	}
}

// TestServeUsage checks the command-line mistakes serve refuses.
func TestServeUsage(t *testing.T) {
	for name, args := range map[string][]string{
		"neither":          {"serve"},
		"both":             {"serve", "--db", "a.db", "--mbtiles", "b.mbtiles"},
		"release mbtiles":  {"serve", "--mbtiles", "b.mbtiles", "--release", "x"},
		"bad log":          {"serve", "--db", "a.db", "--log", "xml"},
		"bad cache":        {"serve", "--db", "a.db", "--cache-mb", "0"},
		"stray argument":   {"serve", "--db", "a.db", "extra"},
		"tiles no sub":     {"tiles"},
		"tiles bad zoom":   {"tiles", "export", "--db", "a.db", "--out", "x", "--maxzoom", "13"},
		"tiles bad thresh": {"tiles", "export", "--db", "a.db", "--out", "x", "--threshold", "5"},
	} {
		if _, err := pcnmap(t, args...); !errorsIsUsage(err) {
			t.Errorf("%s: pcnmap %s: %v, want a usage error", name, strings.Join(args, " "), err)
		}
	}
}
