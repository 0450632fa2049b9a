package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"pcnmap/app"
	"pcnmap/server"
	"pcnmap/store"
	"pcnmap/tiles"
)

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "(--db W.db [--release NAME] | --mbtiles FILE | --pmtiles FILE) [--addr 127.0.0.1:8080] [--warm] [flags]\n\n"+
		"Serves vector tiles (/tiles/{areas,pcn,boundaries}/{z}/{x}/{y}.mvt and /tiles/{layer}.json), the JSON\n"+
		"API under /api/ (documented at /api/openapi.json), /healthz and /metrics, until interrupted.\n"+
		"Team footprint sets are read and, with --token (or $PCNMAP_TOKEN), written under /api/teams.\n"+
		"With --db it loads one release into memory and renders tiles on demand (cached). With --mbtiles\n"+
		"it serves a file written by `pcnmap tiles export` (or any vector MBTiles) on the same tile\n"+
		"routes, under the names of the file's vector layers; the API then answers 404. --pmtiles does\n"+
		"the same for a PMTiles v3 archive (`pcnmap tiles export --format pmtiles`). --db, --mbtiles and\n"+
		"--pmtiles are exclusive. Request logs go to stderr.")
	db := fs.String("db", "", "workspace `file`")
	release := fs.String("release", "", "release `name` (default: the newest)")
	mbtiles := fs.String("mbtiles", "", "serve this MBTiles `file` instead of a workspace")
	pmtiles := fs.String("pmtiles", "", "serve this PMTiles `file` instead of a workspace")
	def := server.DefaultConfig()
	addr := fs.String("addr", def.Addr, "`host:port` to listen on (port 0: any free port)")
	warm := fs.Bool("warm", false, fmt.Sprintf("pre-render zooms 0-%d of the areas layer at the default threshold in the background", server.WarmMaxZoom))
	var origins list
	fs.Var(&origins, "cors-origin", "`origin` allowed to fetch from browser pages elsewhere (repeatable; default *)")
	cacheMB := fs.Int("cache-mb", int(def.CacheBytes>>20), "tile cache size in `MB` (compressed tiles)")
	maxAge := fs.Int("max-age", int(def.MaxAge/time.Second), "Cache-Control max-age in `seconds` of tiles and answers (0: clients revalidate every time)")
	threshold := fs.String("threshold", def.Threshold, "default threshold of the areas layer and the API: 1% or 0.01")
	publicURL := fs.String("public-url", "", "base `URL` clients reach the server at, for TileJSON tile URLs behind a proxy (default: from each request)")
	logFormat := fs.String("log", "text", "log `format`: text or json")
	quiet := fs.Bool("quiet", false, "log warnings and errors only, not every request")
	memLimit := fs.Int("mem-limit", 256, "soft limit in `MB` for the Go heap (the GC works harder near it; 0: none); GOMEMLIMIT overrides it")
	token := fs.String("token", "", "bearer `token` that team-set writes (import, delete, rename, saved what-if) must present (visible in ps: prefer --token-file or $PCNMAP_TOKEN); without one, writes are refused")
	tokenFile := fs.String("token-file", "", "read the bearer token from this `file` (its first line), instead of --token")
	maxUpload := fs.Int("max-upload-mb", int(def.MaxUpload>>20), "largest team footprint file accepted by POST /api/teams, in `MB`")
	if err := parse(fs, args); err != nil {
		return err
	}
	given := 0
	for _, s := range []string{*db, *mbtiles, *pmtiles} {
		if s != "" {
			given++
		}
	}
	if given != 1 {
		return fmt.Errorf("%w: serve: give one of --db, --mbtiles and --pmtiles", errUsage)
	}
	archive := *mbtiles
	if archive == "" {
		archive = *pmtiles
	}
	if archive != "" && *release != "" {
		return fmt.Errorf("%w: serve: --release needs --db", errUsage)
	}
	if *cacheMB <= 0 || *maxAge < 0 || *memLimit < 0 || *maxUpload <= 0 {
		return fmt.Errorf("%w: serve: --cache-mb and --max-upload-mb must be positive, --max-age and --mem-limit not negative", errUsage)
	}
	if *tokenFile != "" {
		if *token != "" {
			return fmt.Errorf("%w: serve: give --token or --token-file, not both", errUsage)
		}
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return fmt.Errorf("serve: --token-file: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		if *token = strings.TrimSpace(line); *token == "" {
			return fmt.Errorf("%w: serve: --token-file %s is empty", errUsage, *tokenFile)
		}
	}
	if *token == "" {
		*token = os.Getenv("PCNMAP_TOKEN")
	}
	if *token != "" && archive != "" {
		return fmt.Errorf("%w: serve: --token needs --db: a tile archive has no team sets to write", errUsage)
	}
	if *memLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		// The default GC target is twice the live heap: for England that is ~150 MB of dataset, tile
		// geometry and point index, plus the tile cache, so without a limit RSS drifts towards 350 MB.
		debug.SetMemoryLimit(int64(*memLimit) << 20)
	}
	level := slog.LevelInfo
	if *quiet {
		level = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: level}
	var logger *slog.Logger
	switch *logFormat {
	case "text":
		logger = slog.New(slog.NewTextHandler(e.stderr, opts))
	case "json":
		logger = slog.New(slog.NewJSONHandler(e.stderr, opts))
	default:
		return fmt.Errorf("%w: serve: --log %q: text or json", errUsage, *logFormat)
	}
	cfg := server.Config{
		Addr: *addr, PublicURL: *publicURL, CORSOrigins: origins, CacheBytes: int64(*cacheMB) << 20,
		MaxAge: time.Duration(*maxAge) * time.Second, Logger: logger, Threshold: *threshold, Warm: *warm,
		Token: *token, MaxUpload: int64(*maxUpload) << 20,
	}
	if *maxAge == 0 {
		cfg.MaxAge = -1 // Config's zero means the default; negative means no-cache
	}

	start := time.Now()
	var data server.Data
	what := ""
	if *db != "" {
		// The workspace stays open: the team routes read and write its footprint sets.
		w, err := store.OpenWith(ctx, *db, store.Options{LockWait: server.LockWait})
		if err != nil {
			return err
		}
		defer w.Close()
		d, err := w.Load(ctx, *release)
		if err != nil {
			return err
		}
		data.Dataset, data.Workspace = d, w
		what = "release " + d.Release
		if c, err := app.Choice(ctx, w, *release, d.Release); err == nil {
			what = c
		}
	} else if *mbtiles != "" {
		mb, err := tiles.OpenMBTiles(ctx, *mbtiles)
		if err != nil {
			return err
		}
		defer mb.Close()
		data.MBTiles = mb
		what = *mbtiles
	} else {
		pm, err := tiles.OpenPMTiles(*pmtiles)
		if err != nil {
			return err
		}
		defer pm.Close()
		data.MBTiles = pm
		what = *pmtiles
	}
	s, err := server.New(ctx, cfg, data)
	if err != nil {
		return err
	}
	// Preparing the tile geometry needs several times the memory the server keeps; give the
	// difference back to the system now rather than whenever the scavenger gets to it.
	debug.FreeOSMemory()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintf(e.stderr, "pcnmap: serving %s on http://%s/ (ready in %s; Ctrl-C stops)\n", what, ln.Addr(), time.Since(start).Round(time.Millisecond))
	return s.Serve(ctx, ln)
}
