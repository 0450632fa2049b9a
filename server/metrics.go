package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"pcnmap/tiles"
)

// metrics are the server's Prometheus metrics, in a registry of its own (no global registry, so
// several servers, as in tests, don't collide).
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	bytes    *prometheus.CounterVec
	// routes are the registered route patterns: the route label takes only these values (and
	// "unmatched"), so a scan of random paths cannot blow up the label set. Written once by routes.
	routes map[string]bool
}

func newMetrics(cache, side *tiles.Cache) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pcnmap_http_requests_total", Help: "HTTP requests by route pattern and status.",
		}, []string{"route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pcnmap_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pcnmap_http_response_bytes_total", Help: "Bytes of response bodies, by route pattern.",
		}, []string{"route"}),
		routes: map[string]bool{},
	}
	m.reg.MustRegister(m.requests, m.duration, m.bytes,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.reg.MustRegister(cacheMetrics("", "the cache", cache)...)
	m.reg.MustRegister(cacheMetrics("side_", "the side cache (tiles at thresholds other than the default)", side)...)
	return m
}

// cacheMetrics are a tile cache's counters and gauges, named pcnmap_tile_KIND…; where says which cache
// in the help.
func cacheMetrics(kind, where string, cache *tiles.Cache) []prometheus.Collector {
	prefix := "pcnmap_tile_" + kind
	stat := func(name, help string, v func(tiles.CacheStats) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: prefix + name, Help: help + where + "."}, func() float64 { return v(cache.Stats()) })
	}
	gauge := func(name, help string, v func(tiles.CacheStats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: prefix + name, Help: help + where + "."}, func() float64 { return v(cache.Stats()) })
	}
	return []prometheus.Collector{
		stat("cache_hits_total", "Tiles answered from ", func(s tiles.CacheStats) float64 { return float64(s.Hits) }),
		stat("cache_misses_total", "Tile lookups not in ", func(s tiles.CacheStats) float64 { return float64(s.Misses) }),
		stat("renders_total", "Tiles rendered (at most one per cold tile however many ask) for ", func(s tiles.CacheStats) float64 { return float64(s.Renders) }),
		stat("cache_evictions_total", "Tiles evicted from ", func(s tiles.CacheStats) float64 { return float64(s.Evictions) }),
		gauge("cache_entries", "Tiles in ", func(s tiles.CacheStats) float64 { return float64(s.Entries) }),
		gauge("cache_bytes", "Bytes held by ", func(s tiles.CacheStats) float64 { return float64(s.Bytes) }),
	}
}

// observe counts one answered request.
func (m *metrics) observe(route string, status int, size int64, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
	if size > 0 {
		m.bytes.WithLabelValues(route).Add(float64(size))
	}
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
