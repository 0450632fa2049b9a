//go:build race

package geo

// raceEnabled is set under the race detector, which makes the national-file tests take minutes.
const raceEnabled = true
