package report

import (
	"context"
	"testing"

	"pcnmap/fixtures"
	"pcnmap/nhs"
	"pcnmap/overlap"
)

// nationalDataset builds the January 2021 release for England from the national files, with the
// Sub-ICB → ICB contexts the ICB reports need and the rural-urban classification.
func nationalDataset(b *testing.B) *overlap.Dataset { return fixtures.NationalDataset(b) }

// BenchmarkICBReportsNational writes the HTML documents of all 42 ICBs of England and their index,
// from the joined dataset (the workspace load is not timed): the target is under 30 s.
func BenchmarkICBReportsNational(b *testing.B) {
	d := nationalDataset(b)
	if n := len(d.Units[nhs.KindICB]); n != 42 {
		b.Fatalf("%d ICBs, want 42", n)
	}
	dir := b.TempDir()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() { // ns/op is the time for all 42 reports (target under 30 s)
		if _, err := Write(context.Background(), dir, d, Options{Threshold: overlap.DefaultThreshold, Format: FormatHTML, By: nhs.KindICB}); err != nil {
			b.Fatal(err)
		}
	}
}
