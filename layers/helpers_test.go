package layers

import (
	"testing"

	"pcnmap/fixtures"
	"pcnmap/overlap"
)

func fixtureDataset(tb testing.TB) *overlap.Dataset {
	tb.Helper()
	d, err := fixtures.Dataset()
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func nationalDataset(tb testing.TB) *overlap.Dataset { return fixtures.NationalDataset(tb) }
