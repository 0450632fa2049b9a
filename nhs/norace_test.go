//go:build !race

package nhs

const raceEnabled = false
