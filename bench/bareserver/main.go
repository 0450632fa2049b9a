// Command bareserver is the baseline of bench/serve.sh: a bare net/http server answering every
// request with one file's bytes and the headers pcnmap sends with a cached tile, so that the
// benchmark shows what pcnmap's routing, parsing and cache lookup cost on top of net/http.
//
//	go run ./bench/bareserver ADDR TILE.mvt.gz
package main

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
)

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
	fmt.Fprintln(os.Stderr, http.ListenAndServe(os.Args[1], http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h["Cache-Control"] = []string{"public, max-age=3600"}
		h["Vary"] = []string{"Accept-Encoding"}
		h["Etag"] = []string{`"bench-gz"`}
		h["Content-Type"] = []string{"application/vnd.mapbox-vector-tile"}
		h["Content-Encoding"] = []string{"gzip"}
		h["Content-Length"] = length
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	})))
	os.Exit(1)
}
