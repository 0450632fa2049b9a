//go:build race

package ingest

// raceEnabled: the race detector makes the national-file tests ten times slower.
const raceEnabled = true
