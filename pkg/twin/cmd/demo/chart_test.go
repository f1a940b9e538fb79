package main

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestRates(t *testing.T) {
	at := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	// 10 throttled between 0.5 s and 1.5 s, 4 more by 2 s.
	s := []sample{{At: at(0.5)}, {At: at(1.5), Throttled: 10}, {At: at(2), Throttled: 14}}
	segs := rates(segments(s, time.Second), func(x sample) float64 { return float64(x.Throttled) })
	if len(segs) != 1 {
		t.Fatalf("rates = %d segments; want 1", len(segs))
	}
	got := segs[0]
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
	m := runMetrics{Sums: map[string]float64{"Uploaded": 296, "Duplicates": 4, "Failed": 20}, PerSecond: map[string][]float64{
		"Uploaded": {20, 30, 25, 25, 40, 10, 25}, "Duplicates": {0, 0, 4}, "Retries": {0, 5, 9, 2}, "Failed": {0, 10, 10},
	}}
	file := filepath.Join(t.TempDir(), "run.png")
	if out := os.Getenv("DEMO_CHART_OUT"); out != "" {
		file = out // to look at it
	}
	// 150 s without samples, then two more.
	samples = append(samples, sample{At: 170 * time.Second, DLQ: 3}, sample{At: 170*time.Second + 500*time.Millisecond, DLQ: 3})
	if err := writeChart(file, chartData{Title: "test", Rate: 25, Samples: samples, Every: recordEvery, Metrics: m, Stored: 300}); err != nil {
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
		t.Errorf("chart is %v; want 9 × 11 inches", b)
	}
}

// TestGapSplitsSeries: samples further apart than gapFactor intervals
// split a series in two, and nothing is drawn between them.
func TestGapSplitsSeries(t *testing.T) {
	at := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	s := []sample{{At: at(0), Visible: 5}, {At: at(0.5), Visible: 6, Admitted: 10}, {At: at(1), Visible: 7, Admitted: 20},
		{At: at(151), Visible: 1, Admitted: 500}, {At: at(151.5), Visible: 0, Admitted: 510}}
	segs := segments(s, gapFactor*recordEvery)
	if len(segs) != 2 || len(segs[0]) != 3 || len(segs[1]) != 2 {
		t.Fatalf("segments = %v; want the 3 samples before the gap and the 2 after", segs)
	}
	if g := gaps(segs); len(g) != 1 || g[0] != [2]float64{1, 151} {
		t.Errorf("gaps = %v; want [[1 151]]", g)
	}
	for name, series := range map[string]int{
		"level": len(level(segs, func(x sample) float64 { return float64(x.Visible) })),
		"rates": len(rates(segs, func(x sample) float64 { return float64(x.Admitted) })),
	} {
		if series != 2 {
			t.Errorf("%s = %d lines; want 2, one each side of the gap", name, series)
		}
	}
	for _, line := range rates(segs, func(x sample) float64 { return float64(x.Admitted) }) {
		for _, p := range line {
			if p.X > 2 && p.X < 151 {
				t.Errorf("rates draws %v inside the gap", p)
			}
		}
	}
	// Samples closer than the limit stay one line.
	if segs := segments(s[:3], gapFactor*recordEvery); len(segs) != 1 {
		t.Errorf("segments without a gap = %d; want 1", len(segs))
	}
}

// TestSecondTicks: the time axis is labelled in whole seconds, about ten
// ticks at most.
func TestSecondTicks(t *testing.T) {
	whole := regexp.MustCompile(`^\d+ s$`)
	for _, hi := range []float64{7.3, 23, 250, 1234.5} {
		ticks := secondTicks.Ticks(0, hi)
		if len(ticks) < 2 || len(ticks) > maxTimeTicks+1 {
			t.Errorf("secondTicks(0, %v) = %d ticks; want 2 to %d", hi, len(ticks), maxTimeTicks+1)
		}
		for _, tk := range ticks {
			if !whole.MatchString(tk.Label) || tk.Value != math.Trunc(tk.Value) {
				t.Errorf("secondTicks(0, %v): tick %v %q; want a whole number of seconds", hi, tk.Value, tk.Label)
			}
		}
	}
	var labels []string
	for _, tk := range secondTicks.Ticks(0, 250) {
		labels = append(labels, tk.Label)
	}
	if got := strings.Join(labels, ","); got != "0 s,30 s,60 s,90 s,120 s,150 s,180 s,210 s,240 s" {
		t.Errorf("secondTicks(0, 250) = %s", got)
	}
}

// TestWholeTicks: counts are labelled in whole numbers, even where a
// round step would be 1.5.
func TestWholeTicks(t *testing.T) {
	for _, hi := range []float64{4, 6, 8, 40, 300} {
		for _, tk := range wholeTicks.Ticks(0, hi) {
			if tk.Value != math.Trunc(tk.Value) {
				t.Errorf("wholeTicks(0, %v): tick %v; want whole numbers", hi, tk.Value)
			}
		}
	}
}

// TestStoredLine: the stored line counts duplicates as the summary does,
// and its label gives the summary's count.
func TestStoredLine(t *testing.T) {
	per := sumOf([]float64{100, 150, 46}, []float64{0, 1, 2, 1})
	total := 0.0
	for _, v := range per {
		total += v
	}
	if total != 300 {
		t.Errorf("Uploaded + Duplicates per second sum to %v; want 300", total)
	}
	tests := map[string]struct {
		up, dup float64
		stored  int
		want    string
	}{
		"agree":       {296, 4, 300, "stored: 300 messages (metric Uploaded 296 + Duplicates 4)"},
		"found twice": {296, 6, 300, "stored: 300 messages (metric Uploaded 296 + Duplicates 6: some found stored more than once)"},
		"not known":   {296, 4, -1, "records stored (metric Uploaded 296 + Duplicates 4)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := storedLabel(map[string]float64{"Uploaded": tc.up, "Duplicates": tc.dup}, tc.stored); got != tc.want {
				t.Errorf("storedLabel = %q; want %q", got, tc.want)
			}
		})
	}
}
