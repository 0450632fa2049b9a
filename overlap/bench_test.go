package overlap_test

import (
	"context"
	"testing"

	"pcnmap/fixtures"
	"pcnmap/overlap"
)

// nationalDataset is the January 2021 release of England, built once per process.
func nationalDataset(b *testing.B) *overlap.Dataset { return fixtures.NationalDataset(b) }

// BenchmarkAreaMetrics recomputes every area metric of England at a new threshold (target ≤ 20 ms).
func BenchmarkAreaMetrics(b *testing.B) {
	d := nationalDataset(b)
	dst := d.AreaMetrics(nil, 0)
	thresholds := []float64{0, 0.005, 0.01, 0.02, 0.05, 0.1}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst = d.AreaMetrics(dst, thresholds[i%len(thresholds)])
	}
}

// BenchmarkCounts recomputes only the PCNs-per-area count, what recolouring the map needs.
func BenchmarkCounts(b *testing.B) {
	d := nationalDataset(b)
	dst := d.Counts(nil, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst = d.Counts(dst, 0.01+float64(i%7)/1000)
	}
}

// BenchmarkPCNMetrics computes every PCN's footprint at a threshold.
func BenchmarkPCNMetrics(b *testing.B) {
	d := nationalDataset(b)
	am := d.AreaMetrics(nil, 0.01)
	dst := d.PCNMetrics(nil, 0.01, overlap.DefaultCore, am)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst = d.PCNMetrics(dst, 0.01, overlap.DefaultCore, am)
	}
}

// BenchmarkSummarise computes summary.json's statistics and breakdowns.
func BenchmarkSummarise(b *testing.B) {
	d := nationalDataset(b)
	am := d.AreaMetrics(nil, 0.01)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.Summarise(context.Background(), 0.01, am); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPairs finds every overlapping pair of PCNs at 1%.
func BenchmarkPairs(b *testing.B) {
	d := nationalDataset(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Pairs(0.01)
	}
}
