package main

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRates(t *testing.T) {
	at := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	// 10 throttled between 0.5 s and 1.5 s, 4 more by 2 s.
	s := []sample{{At: at(0.5)}, {At: at(1.5), Throttled: 10}, {At: at(2), Throttled: 14}}
	got := rates(s, func(x sample) float64 { return float64(x.Throttled) })
	want := []float64{5, 9} // second 0: half of the 10; second 1: the other half and the 4
	if len(got) != 2*len(want) {
		t.Fatalf("rates = %v; want steps of %v", got, want)
	}
	for i, w := range want {
		if got[2*i].Y != w || got[2*i+1].Y != w || got[2*i].X != float64(i) {
			t.Errorf("rates second %d = %v; want %v", i, got[2*i], w)
		}
	}
}

func TestNiceCeil(t *testing.T) {
	for v, want := range map[float64]float64{0.3: 1, 7: 8, 27: 30, 41: 50, 190: 200, 260: 300, 1000: 1000} {
		if got := niceCeil(v); got != want {
			t.Errorf("niceCeil(%v) = %v; want %v", v, got, want)
		}
	}
}

// TestWriteChart draws a run from made-up samples and metrics: the file is
// a PNG of the chart's size.
func TestWriteChart(t *testing.T) {
	var samples []sample
	for i := range 40 {
		x := float64(i) / 2
		samples = append(samples, sample{
			At: time.Duration(x * float64(time.Second)), Visible: int(200 * math.Exp(-x/4)), InFlight: 30,
			Admitted: int64(25 * x), Throttled: int64(3 * x), DLQ: i / 30 * 3,
		})
	}
	m := runMetrics{Sums: map[string]float64{"Uploaded": 300}, PerSecond: map[string][]float64{
		"Uploaded": {20, 30, 25, 25, 40, 10, 25}, "Retries": {0, 5, 9, 2},
	}}
	file := filepath.Join(t.TempDir(), "run.png")
	if out := os.Getenv("DEMO_CHART_OUT"); out != "" {
		file = out // to look at it
	}
	if err := writeChart(file, chartData{Title: "test", Rate: 25, Samples: samples, Metrics: m}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("chart is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 600 {
		t.Errorf("chart is %v; want 9 × 9 inches", b)
	}
}
