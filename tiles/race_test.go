//go:build race

package tiles

// raceEnabled is set when the tests run under the race detector, which slows the raster checks
// forty-fold: they then run on a sample of the tiles.
const raceEnabled = true
