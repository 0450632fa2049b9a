// Package server serves one release of a workspace over HTTP: Mapbox Vector Tiles of the areas, of one
// PCN's footprint and of the context boundaries, their TileJSON, a JSON API of the overlap metrics
// (documented by the OpenAPI document it serves at /api/openapi.json), health and Prometheus metrics.
// It can also serve a pre-built MBTiles file with the same tile routes.
//
// Assumptions: the Dataset is read-only once handed over, so every request reads it without locks;
// the only mutable state is the tile cache, small per-threshold caches, each guarded by its own mutex,
// and the team sets, which live in the workspace and change at run time: what is derived from them is
// cached under a generation number that every write through the server bumps. echo is used only
// inside this package.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"pcnmap/app"
	"pcnmap/geo"
	"pcnmap/layers"
	"pcnmap/overlap"
	"pcnmap/store"
	"pcnmap/tiles"
)

// Config is the server's configuration. The zero value is usable: every zero field takes the default
// that DefaultConfig shows.
type Config struct {
	// Addr is the TCP address Run listens on.
	Addr string
	// PublicURL, when set, is the base URL ("https://maps.example.org/pcnmap") written into TileJSON
	// tile URLs; otherwise they are host-relative (/tiles/…), never built from the request's Host.
	PublicURL string
	// CORSOrigins are the origins allowed to GET from a browser page elsewhere.
	CORSOrigins []string
	// CacheBytes bounds the tile cache (compressed bytes).
	CacheBytes int64
	// MaxAge is the Cache-Control max-age of tiles, TileJSON and API answers; negative means
	// "no-cache" (clients revalidate with the ETag every time).
	MaxAge time.Duration
	// Timeouts of the HTTP server, and how long Run waits for requests in flight when it stops.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout, ShutdownTimeout time.Duration
	// MaxQuery is the longest raw query string accepted (414 beyond it).
	MaxQuery int
	// MaxBody is the largest request body accepted (413 beyond it) except for uploads: the what-if
	// moves and the rename of a team set.
	MaxBody int64
	// MaxUpload is the largest file POST /api/teams accepts (413 beyond it); zipped shapefiles may
	// declare at most 4 times as much uncompressed.
	MaxUpload int64
	// Token, when set, is the bearer token that writes (team imports, deletes, renames, saved
	// what-ifs) must present; without it writes are refused (403) and reads stay open.
	Token string
	// MaxImports is the number of uploads (POST /api/teams) handled at once; more answer 503 with
	// Retry-After. UploadIdle is the longest an upload may send nothing, UploadMinRate the slowest
	// average it may keep (bytes/s, after its first 10 s); ImportBudget bounds the work after the body
	// has arrived (cleaning, repairing, resolving and saving the polygons: 422 beyond it).
	MaxImports    int
	UploadIdle    time.Duration
	UploadMinRate int64
	ImportBudget  time.Duration
	// MaxHeaderBytes bounds the request line and headers.
	MaxHeaderBytes int
	// Logger receives request logs and errors; nil discards them.
	Logger *slog.Logger
	// Threshold is the default threshold of the areas layer and the API ("1%" or "0.01");
	// "" means overlap.DefaultThreshold.
	Threshold string
	// Warm pre-renders zooms 0..WarmMaxZoom of the areas layer at the default threshold in the
	// background when Serve starts.
	Warm bool
}

// MinTokenLen is the shortest bearer token Config accepts: 16 characters, 128 bits as hex digits' worth
// of guessing an attacker cannot do over HTTP.
const MinTokenLen = 16

// WarmMaxZoom is the highest zoom Config.Warm pre-renders.
const WarmMaxZoom = 10

// LockWait is how long the server's workspace waits behind another process's write lock before the
// request answers 503 with Retry-After (store.Options.LockWait): a second, well inside the time a
// client waits, and longer than a footprint set's save takes.
const LockWait = time.Second

// DefaultConfig returns the defaults New gives to zero fields.
func DefaultConfig() Config {
	return Config{
		Addr:              "127.0.0.1:8080",
		CORSOrigins:       []string{"*"},
		CacheBytes:        64 << 20,
		MaxAge:            time.Hour,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ShutdownTimeout:   10 * time.Second,
		MaxQuery:          2048,
		MaxBody:           256 << 10,
		MaxUpload:         32 << 20,
		MaxHeaderBytes:    64 << 10,
		MaxImports:        2,
		UploadIdle:        10 * time.Second,
		UploadMinRate:     32 << 10,
		ImportBudget:      30 * time.Second,
		Threshold:         overlap.FormatThreshold(overlap.DefaultThreshold),
	}
}

// withDefaults fills zero fields from DefaultConfig and checks the rest.
func (cfg Config) withDefaults() (Config, error) {
	def := DefaultConfig()
	if cfg.Addr == "" {
		cfg.Addr = def.Addr
	}
	if len(cfg.CORSOrigins) == 0 {
		cfg.CORSOrigins = def.CORSOrigins
	}
	if cfg.CacheBytes == 0 {
		cfg.CacheBytes = def.CacheBytes
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = def.MaxAge
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&cfg.ReadHeaderTimeout, def.ReadHeaderTimeout}, {&cfg.ReadTimeout, def.ReadTimeout},
		{&cfg.WriteTimeout, def.WriteTimeout}, {&cfg.IdleTimeout, def.IdleTimeout},
		{&cfg.ShutdownTimeout, def.ShutdownTimeout},
	} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if cfg.MaxQuery == 0 {
		cfg.MaxQuery = def.MaxQuery
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = def.MaxBody
	}
	if cfg.MaxUpload == 0 {
		cfg.MaxUpload = def.MaxUpload
	}
	if cfg.MaxHeaderBytes == 0 {
		cfg.MaxHeaderBytes = def.MaxHeaderBytes
	}
	if cfg.MaxImports == 0 {
		cfg.MaxImports = def.MaxImports
	}
	if cfg.UploadIdle == 0 {
		cfg.UploadIdle = def.UploadIdle
	}
	if cfg.UploadMinRate == 0 {
		cfg.UploadMinRate = def.UploadMinRate
	}
	if cfg.ImportBudget == 0 {
		cfg.ImportBudget = def.ImportBudget
	}
	if cfg.Threshold == "" {
		cfg.Threshold = def.Threshold
	}
	switch {
	case cfg.CacheBytes < 0:
		return cfg, fmt.Errorf("server: cache size %d is negative", cfg.CacheBytes)
	case cfg.MaxQuery < 0 || cfg.MaxBody < 0 || cfg.MaxUpload < 0 || cfg.MaxHeaderBytes < 0:
		return cfg, errors.New("server: request limits must not be negative")
	case cfg.Token != "" && len(cfg.Token) < MinTokenLen:
		return cfg, fmt.Errorf("server: the token has %d characters, at least %d are needed (for example: openssl rand -hex 16)", len(cfg.Token), MinTokenLen)
	case strings.ContainsFunc(cfg.Token, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return cfg, errors.New("server: the token must not hold spaces or control characters")
	}
	return cfg, nil
}

// Data is what a server serves: a release of a workspace, or a pre-built MBTiles file (then the API
// answers 404), not both. Workspace, the open file Dataset was loaded from, enables the team
// footprint routes, which read and write its team sets (of Dataset's release); the caller closes it
// after the server stops.
type Data struct {
	Dataset   *overlap.Dataset
	Workspace *store.Workspace
	// MBTiles is a pre-built tile set: an MBTiles file or a PMTiles archive.
	MBTiles tiles.Archive
}

// Server answers tile, TileJSON and API requests from memory. Create it with New; it is safe for
// concurrent use.
type Server struct {
	cfg       Config
	log       *slog.Logger
	threshold float64 // the default threshold
	tkey      string  // its cache variant

	d        *overlap.Dataset // nil when serving MBTiles
	complete []bool           // d.Complete(), per area
	layers   *layers.Set      // nil when serving MBTiles
	idx      *geo.Index
	search   []searchEntry
	mb       *mbSource // nil when serving a workspace

	teams       *teamSets // nil without a workspace
	designs     designJobs
	cache       *tiles.Cache
	side        *tiles.Cache  // tiles at thresholds other than the default, an eighth of CacheBytes
	imports     chan struct{} // a slot per import under way, MaxImports of them
	counts      *memo[float64, []int32]
	summaries   *memo[float64, payload] // the default threshold's summary alone, so no client can evict it
	sideSums    *memo[float64, payload] // summaries at other thresholds
	metrics     *metrics
	echo        *echo.Echo
	handler     http.Handler // serveHTTP: the fast path of cached tiles, then echo
	heads       tileHeads    // the header values of cached tiles
	tileMetrics tileMetrics
	docs        payload // the OpenAPI document
	hdr         headers
}

// New validates cfg and builds a server for data: with a Dataset it prepares the tile geometry of the
// areas and boundaries (a second or two for England) and the point index.
func New(ctx context.Context, cfg Config, data Data) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	t, err := overlap.ParseThreshold(cfg.Threshold)
	if err != nil {
		return nil, fmt.Errorf("server: default threshold: %w", err)
	}
	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		threshold: t,
		tkey:      thresholdKey(t),
		cache:     tiles.NewCache(cfg.CacheBytes),
		side:      tiles.NewCache(cfg.CacheBytes / 8),
		imports:   make(chan struct{}, cfg.MaxImports),
		counts:    newMemo[float64, []int32](16),
		summaries: newMemo[float64, payload](1),
		sideSums:  newMemo[float64, payload](8),
		hdr:       newHeaders(cfg.MaxAge),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case data.Dataset != nil && data.MBTiles != nil, data.Workspace != nil && data.MBTiles != nil:
		return nil, errors.New("server: serve a workspace or an MBTiles file, not both")
	case data.Workspace != nil && data.Dataset == nil:
		return nil, errors.New("server: a workspace needs the Dataset of the release to serve")
	case data.Dataset != nil:
		s.d = data.Dataset
		s.complete = s.d.Complete()
		if s.layers, err = layers.New(ctx, s.d, layers.Boundaries); err != nil {
			return nil, err
		}
		s.idx = app.AreaIndex(s.d)
		s.search = newSearch(s.d)
		if data.Workspace != nil {
			s.teams = newTeamSets(data.Workspace, s.d)
		}
	case data.MBTiles != nil:
		if s.mb, err = newMBSource(data.MBTiles); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("server: nothing to serve: give a Dataset or an MBTiles file")
	}
	if s.docs, err = openAPIPayload(); err != nil {
		return nil, err
	}
	s.metrics = newMetrics(s.cache, s.side)
	if s.echo, err = s.routes(); err != nil {
		return nil, err
	}
	s.handler = http.HandlerFunc(s.serveHTTP)
	return s, nil
}

// Handler returns the server's HTTP handler, for tests and for embedding behind another mux.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers requests on ln until ctx ends, then stops accepting connections and waits up to
// Config.ShutdownTimeout for the requests in flight. It returns nil after a graceful shutdown. With
// Config.Warm it pre-renders the low zooms of the areas layer in the background meanwhile.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	warmCtx, stopWarm := context.WithCancel(ctx)
	defer stopWarm()
	if s.cfg.Warm && s.layers != nil {
		go func() {
			st, err := s.Warm(warmCtx, WarmMaxZoom)
			switch {
			case errors.Is(err, context.Canceled):
			case err != nil:
				s.log.Error("warm-up failed", "err", err)
			default:
				s.log.Info("warm-up done", "tiles", st.Tiles, "empty", st.Empty, "zooms", "0-"+strconv.Itoa(WarmMaxZoom), "took", st.Took.Round(time.Millisecond).String())
			}
		}()
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.log.Info("serving", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	stopWarm()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	s.log.Info("stopped")
	return nil
}

// routes builds the echo instance: every route, the middleware and the one error handler.
func (s *Server) routes() (*echo.Echo, error) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Logger.SetOutput(io.Discard)
	e.HTTPErrorHandler = s.errorHandler
	// Pre middleware runs before routing, so what it catches covers unknown routes too.
	s.hdr.nosniff, s.hdr.deny, s.hdr.noReferrer = []string{"nosniff"}, []string{"DENY"}, []string{"no-referrer"}
	s.hdr.csp = []string{contentSecurityPolicy(nil, s.cfg.PublicURL)} // until webRoutes reads the page
	e.Pre(s.front)
	e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins:  s.cfg.CORSOrigins,
		AllowMethods:  []string{http.MethodGet, http.MethodHead, http.MethodOptions},
		ExposeHeaders: []string{"ETag"},
		MaxAge:        86400,
	}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit: strconv.FormatInt(s.cfg.MaxBody, 10) + "B",
		// The upload route applies Config.MaxUpload itself.
		Skipper: func(c echo.Context) bool { return c.Path() == "/api/teams" && c.Request().Method == http.MethodPost },
	}))

	get := []string{http.MethodGet, http.MethodHead}
	e.Match(get, "/tiles/:layer/:z/:x/:y", s.handleTile)
	e.Match(get, "/tiles/:file", s.handleTileJSON)
	api := func(path string, h echo.HandlerFunc) { e.Match(get, path, s.needDataset(h)) }
	api("/api/areas/:code", s.handleArea)
	api("/api/pcns/:code", s.handlePCN)
	api("/api/pcns/:code/overlaps", s.handleOverlaps)
	api("/api/summary", s.handleSummary)
	api("/api/search", s.handleSearch)
	api("/api/lookup", s.handleLookup)
	s.teamRoutes(e)
	s.neighbourhoodRoutes(e)
	e.Match(get, "/api/openapi.json", func(c echo.Context) error { return s.write(c, s.docs) })
	e.Match(get, "/healthz", s.handleHealth)
	e.Match(get, "/metrics", echo.WrapHandler(s.metrics.handler()))
	if err := s.webRoutes(e); err != nil {
		return nil, err
	}
	for _, r := range e.Routes() {
		s.metrics.routes[r.Path] = true
	}
	return e, nil
}

// needDataset answers the API routes with 404 when the server holds no workspace.
func (s *Server) needDataset(h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.d == nil {
			return errNoWorkspace
		}
		return h(c)
	}
}

// health is the /healthz answer.
type health struct {
	Status  string `json:"status"`
	Release string `json:"release,omitempty"`
	Areas   int    `json:"areas,omitempty"`
	PCNs    int    `json:"pcns,omitempty"`
	MBTiles bool   `json:"mbtiles,omitempty"`
}

func (s *Server) handleHealth(c echo.Context) error {
	h := health{Status: "ok", MBTiles: s.mb != nil}
	if s.d != nil {
		h.Release, h.Areas, h.PCNs = s.d.Release, len(s.d.Areas), len(s.d.PCNs)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return s.writeJSON(c, h, false)
}
