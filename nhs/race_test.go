//go:build race

package nhs

// raceEnabled: the race detector makes the national-file tests ten times slower.
const raceEnabled = true
