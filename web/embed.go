// Package web holds the map page: its TypeScript sources in src/, its browser tests in test/, and the
// bundle that `make web` (npm ci, then node build.mjs) writes to dist/, which is not committed. Files
// embeds dist/ once it is built, and the committed dist-placeholder/ always, so the module compiles on a
// fresh clone; without the bundle the server serves the placeholder, which says how to build the map.
package web

import "embed"

// Files holds dist/ (when built) and dist-placeholder/.
//
//go:embed all:dist*
var Files embed.FS

// The roots inside Files: the bundle, and the page served when it was not built.
const (
	Dist        = "dist"
	Placeholder = "dist-placeholder"
)
