// Command bareserver is the baseline of bench/serve.sh: a bare net/http server answering every
// request with one file's bytes and the headers pcnmap sends with a cached tile (its security headers
// included, a policy of the same length), under the timeouts pcnmap serve sets, so that the benchmark
// shows what pcnmap's routing, parsing and cache lookup cost on top of net/http.
//
//	go run ./bench/bareserver ADDR TILE.mvt.gz
package main

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"
)

// csp is as long as the policy pcnmap serve sends (its script hash differs with the page).
const csp = `default-src 'self'; script-src 'self' 'sha256-xXeCmAKYnqZQXmQtPIAh2V706BSUjLWodhfeye3tLJo='; style-src 'self'; img-src 'self' data: blob:; worker-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: bareserver ADDR TILE.mvt.gz")
		os.Exit(2)
	}
	body, err := os.ReadFile(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bareserver:", err)
		os.Exit(1)
	}
	length := []string{strconv.Itoa(len(body))}
	hs := &http.Server{
		Addr:              os.Args[1],
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			h := w.Header()
			h["Cache-Control"] = []string{"public, max-age=3600"}
			h["Content-Encoding"] = []string{"gzip"}
			h["Content-Length"] = length
			h["Content-Security-Policy"] = []string{csp}
			h["Content-Type"] = []string{"application/vnd.mapbox-vector-tile"}
			h["Etag"] = []string{`"fe029894a1b7e1b599215122f73e607e-gz"`}
			h["Referrer-Policy"] = []string{"no-referrer"}
			h["Vary"] = []string{"Origin", "Accept-Encoding"}
			h["X-Content-Type-Options"] = []string{"nosniff"}
			h["X-Frame-Options"] = []string{"DENY"}
			w.WriteHeader(http.StatusOK)
			w.Write(body)
		}),
	}
	fmt.Fprintln(os.Stderr, hs.ListenAndServe())
	os.Exit(1)
}
