package server

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// inlineScript matches the inline scripts of the page (a <script> without src), whose hashes the
// Content-Security-Policy allows, so that nothing else inline runs.
var inlineScript = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

// contentSecurityPolicy allows the page only its own origin: scripts, styles, the MapLibre worker (the
// CSP build, loaded from /assets, never from a blob), fetches (and the origin of --public-url, where
// the TileJSON sends tile requests), images (data: for MapLibre's control icons in its CSS, blob: for
// canvas exports), the page's inline boot script by its hash, and no framing.
func contentSecurityPolicy(page []byte, publicURL string) string {
	scripts := []string{"'self'"}
	for _, m := range inlineScript.FindAllSubmatch(page, -1) {
		sum := sha256.Sum256(m[1])
		scripts = append(scripts, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	connect := "'self'"
	if u, err := url.Parse(publicURL); err == nil && u.Scheme != "" && u.Host != "" {
		connect += " " + u.Scheme + "://" + u.Host
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src " + strings.Join(scripts, " "),
		"style-src 'self'",
		"img-src 'self' data: blob:",
		"worker-src 'self'",
		"connect-src " + connect,
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; ")
}

// setSecurityHeaders sets the headers every answer carries: the policy, no MIME sniffing, no framing (for browsers
// without frame-ancestors), no referrer.
func (s *Server) setSecurityHeaders(h http.Header) {
	h["Content-Security-Policy"] = s.hdr.csp
	h["X-Content-Type-Options"] = s.hdr.nosniff
	h["X-Frame-Options"] = s.hdr.deny
	h["Referrer-Policy"] = s.hdr.noReferrer
}
