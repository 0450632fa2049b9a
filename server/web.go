package server

import (
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"pcnmap/web"
)

// webFile is one file of the page. Its payload (ETag, gzipped bytes) is made on first request: the
// bundle is a megabyte, and most servers made in tests never serve it.
type webFile struct {
	body      []byte
	ctype     string
	immutable bool // the name carries a hash of the content (assets/app-HASH.js)

	once sync.Once
	p    payload
	err  error
}

func (f *webFile) payload() (payload, error) {
	f.once.Do(func() { f.p, f.err = newPayload(f.body, f.ctype).compressed() })
	return f.p, f.err
}

// webSite reads the page's files from fsys by URL path ("index.html", "assets/app-HASH.js"): the
// bundle when it was built, else the placeholder.
func webSite(fsys fs.FS) (map[string]*webFile, error) {
	root := web.Dist
	if _, err := fs.Stat(fsys, path.Join(web.Dist, "index.html")); err != nil {
		root = web.Placeholder
	}
	files := map[string]*webFile{}
	err := fs.WalkDir(fsys, root, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(name, root+"/")
		files[rel] = &webFile{body: b, ctype: webContentType(rel), immutable: strings.HasPrefix(rel, "assets/")}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("server: embedded web files: %w", err)
	}
	if files["index.html"] == nil {
		return nil, fmt.Errorf("server: embedded web files: no index.html in %s", root)
	}
	return files, nil
}

func webContentType(name string) string {
	switch path.Ext(name) {
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".txt":
		return "text/plain; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// webRoutes serves the map page at / and its files beside it (/assets/app-HASH.js, /favicon.svg).
// Hashed assets may be cached for a year; the page itself is revalidated by ETag on every load, so a
// new binary's page is picked up at once. Paths not in the bundle answer the usual JSON 404.
func (s *Server) webRoutes(e *echo.Echo) error { return s.webRoutesFrom(e, web.Files) }

func (s *Server) webRoutesFrom(e *echo.Echo, fsys fs.FS) error {
	files, err := webSite(fsys)
	if err != nil {
		return err
	}
	s.hdr.csp = []string{contentSecurityPolicy(files["index.html"].body, s.cfg.PublicURL)}
	serve := func(c echo.Context, name string) error {
		f, ok := files[name]
		if !ok {
			return fmt.Errorf("%w: no file %q", errNotFound, clip(name))
		}
		p, err := f.payload()
		if err != nil {
			return err
		}
		h := c.Response().Header()
		if f.immutable {
			h.Set(echo.HeaderCacheControl, "public, max-age=31536000, immutable")
		} else {
			h.Set(echo.HeaderCacheControl, "no-cache")
		}
		return s.write(c, p)
	}
	get := []string{http.MethodGet, http.MethodHead}
	e.Match(get, "/", func(c echo.Context) error { return serve(c, "index.html") })
	e.Match(get, "/assets/*", func(c echo.Context) error { return serve(c, "assets/"+c.Param("*")) })
	for name := range files {
		if name != "index.html" && !strings.Contains(name, "/") {
			e.Match(get, "/"+name, func(c echo.Context) error { return serve(c, name) })
		}
	}
	return nil
}
