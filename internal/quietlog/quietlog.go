// Package quietlog silences the standard logger while packages initialise.
//
// go-spatial/geom v0.1.0 (whose makevalid geo uses to repair polygons) prints "Debug false" and
// changes the standard logger's flags in an init function of its triangulation package. Go
// initialises packages in import-path order where dependencies allow (the spec's rule since Go 1.21),
// and this package needs only io and log, so it runs first and sends the standard logger to
// io.Discard; Restore, called from main, puts the logger back as the standard library sets it up.
package quietlog

import (
	"io"
	"log"
	"os"
)

func init() { log.SetOutput(io.Discard) }

// Restore sends the standard logger to stderr with its default flags again.
func Restore() {
	log.SetOutput(os.Stderr)
	log.SetFlags(log.LstdFlags)
}
