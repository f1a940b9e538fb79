package s3sim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func ok(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }

func TestThrottlePerPrefix(t *testing.T) {
	now := time.Unix(0, 0)
	th := NewThrottle(http.HandlerFunc(ok), ThrottleConfig{Rate: 10, Burst: 2, Now: func() time.Time { return now }})
	put := func(path string) int {
		rec := httptest.NewRecorder()
		th.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, path, strings.NewReader("x")))
		return rec.Code
	}
	// Burst of 2 per prefix, then 503; another prefix has its own bucket.
	got := []int{put("/b/p/1"), put("/b/p/2"), put("/b/p/3"), put("/b/q/1")}
	want := []int{200, 200, 503, 200}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v; want %v", got, want)
		}
	}
	// Reads are not limited by default.
	rec := httptest.NewRecorder()
	th.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/b/p/1", nil))
	if rec.Code != 200 {
		t.Errorf("GET status %d; want 200", rec.Code)
	}
	// 100ms at 10/s gives one token back.
	now = now.Add(100 * time.Millisecond)
	if c := put("/b/p/4"); c != 200 {
		t.Errorf("after refill status %d; want 200", c)
	}
	if c := put("/b/p/5"); c != 503 {
		t.Errorf("status %d; want 503", c)
	}
	if s := th.Stats(); s.Throttled != 2 || s.Admitted != 4 || s.Requests != 7 {
		t.Errorf("stats %+v; want 7 requests, 4 admitted, 2 throttled", s)
	}
}

func TestSlowDownIsS3sAnswer(t *testing.T) {
	rec := httptest.NewRecorder()
	SlowDown(rec, httptest.NewRequest(http.MethodPut, "/bucket/key", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != 503 || rec.Header().Get("Content-Type") != "application/xml" {
		t.Errorf("status %d, Content-Type %q; want 503 application/xml", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, want := range []string{"<Code>SlowDown</Code>", "<Message>Please reduce your request rate.</Message>", "<Resource>/bucket/key</Resource>", "<RequestId>"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body %s lacks %s", body, want)
		}
	}
}

func TestFaultsSeededRates(t *testing.T) {
	run := func() map[string]int64 {
		f := NewFaults(http.HandlerFunc(ok), FaultConfig{Seed: 7, SlowDownRate: 0.2, ErrorRate: 0.1})
		for range 1000 {
			f.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPut, "/b/k", strings.NewReader("x")))
		}
		return f.Counts()
	}
	a, b := run(), run()
	if a["slowdown"] != b["slowdown"] || a["500"] != b["500"] {
		t.Errorf("same seed gave %v then %v", a, b)
	}
	if a["slowdown"] < 150 || a["slowdown"] > 250 || a["500"] < 60 || a["500"] > 140 || a["none"] < 600 {
		t.Errorf("counts %v far from rates 20%% / 10%%", a)
	}
}

func TestHotKeysRefuseTheFirstWritesOfEachKey(t *testing.T) {
	h := NewHotKeys(http.HandlerFunc(ok), 2)
	put := func(path string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, path, strings.NewReader("x")))
		return rec.Code
	}
	got := []int{put("/b/a"), put("/b/a"), put("/b/c"), put("/b/a"), put("/b/c"), put("/b/c")}
	want := []int{503, 503, 503, 200, 503, 200}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v; want %v", got, want)
		}
	}
	if n := h.Throttled(); n != 4 {
		t.Errorf("Throttled() = %d; want 4", n)
	}
}

func TestThrottleSplitsAHotPrefix(t *testing.T) {
	now := time.Unix(0, 0)
	th := NewThrottle(http.HandlerFunc(ok), ThrottleConfig{Rate: 10, Burst: 1, SplitAfter: 2 * time.Second, MaxRate: 40,
		Now: func() time.Time { return now }})
	put := func() int {
		rec := httptest.NewRecorder()
		th.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, "/b/p/k", strings.NewReader("x")))
		return rec.Code
	}
	// Demand of 100/s against 10/s: after 2 s of refusals the rate doubles,
	// after 2 more it doubles again, then stays at the ceiling.
	admitted := map[int]int{}
	for i := range 800 {
		now = time.Unix(0, 0).Add(time.Duration(i) * 10 * time.Millisecond)
		if put() == 200 {
			admitted[i/200]++
		}
	}
	if r, _ := th.RateOfPrefix("/b/p/"); r != 40 {
		t.Errorf("rate after 8 s hot = %v; want the ceiling, 40", r)
	}
	if admitted[0] > 25 || admitted[3] < 70 {
		t.Errorf("admitted per 2 s: %v; want about 20 at first and about 80 at the end", admitted)
	}
	if s := th.Stats().Splits; s != 2 {
		t.Errorf("Splits = %d; want 2", s)
	}
}

func TestPartitionFall(t *testing.T) {
	t0 := time.Unix(0, 0)
	tests := map[string]struct {
		rate, to    float64
		after       time.Duration
		firstAt     time.Duration // of the first Admit, after the partition's creation
		wantBefore  int           // admitted in the 5 s after the first Admit, about
		wantAfter   int           // admitted in the 5 s after that, about
		wantRateEnd float64
	}{
		"falls 5 s after the first request": {rate: 100, to: 20, after: 5 * time.Second,
			wantBefore: 10 + 500, wantAfter: 2 + 100, wantRateEnd: 20},
		"measured from the first request, not the creation": {rate: 100, to: 20, after: 5 * time.Second, firstAt: 3 * time.Second,
			wantBefore: 10 + 500, wantAfter: 2 + 100, wantRateEnd: 20},
		"from unlimited": {rate: 0, to: 50, after: 5 * time.Second,
			wantBefore: 5000, wantAfter: 1 + 250, wantRateEnd: 50},
		"no fall without a rate to fall to": {rate: 100, to: 0, after: 5 * time.Second,
			wantBefore: 10 + 500, wantAfter: 500, wantRateEnd: 100},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := NewPartition(tc.rate, tc.rate/10, 0, 0, t0)
			p.Fall(tc.after, tc.to)
			// Demand of 1,000/s for 10 s from the first request.
			var got [2]int
			for i := range 10_000 {
				if p.Admit(t0.Add(tc.firstAt + time.Duration(i)*time.Millisecond)) {
					got[i/5000]++
				}
			}
			if !near(got[0], tc.wantBefore) || !near(got[1], tc.wantAfter) {
				t.Errorf("admitted %d then %d; want about %d then %d", got[0], got[1], tc.wantBefore, tc.wantAfter)
			}
			if r := p.Rate(); r != tc.wantRateEnd {
				t.Errorf("Rate() = %v; want %v", r, tc.wantRateEnd)
			}
		})
	}
}

// near reports whether got is within 2 % (and 2) of want.
func near(got, want int) bool {
	d := float64(got - want)
	return d >= -2-0.02*float64(want) && d <= 2+0.02*float64(want)
}

func TestThrottleCapacityFalls(t *testing.T) {
	now := time.Unix(0, 0)
	th := NewThrottle(http.HandlerFunc(ok), ThrottleConfig{Rate: 400, Burst: 40, FallAt: 5 * time.Second, FallTo: 100,
		Now: func() time.Time { return now }})
	admitted := map[int]int{}
	for i := range 10_000 { // 1,000/s for 10 s
		now = time.Unix(0, 0).Add(time.Duration(i) * time.Millisecond)
		rec := httptest.NewRecorder()
		th.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, "/b/p/k", strings.NewReader("x")))
		if rec.Code == 200 {
			admitted[i/5000]++
		}
	}
	if !near(admitted[0], 40+2000) || !near(admitted[1], 10+500) {
		t.Errorf("admitted %d in the first 5 s, %d in the next; want about 2040 and 510", admitted[0], admitted[1])
	}
	if r, _ := th.RateOfPrefix("/b/p/"); r != 100 {
		t.Errorf("RateOfPrefix after the fall = %v; want 100", r)
	}
}

func TestInOutage(t *testing.T) {
	const every, length = 2 * time.Second, 300 * time.Millisecond
	tests := []struct {
		elapsed, every, length time.Duration
		want                   bool
	}{
		{0, every, length, false},
		{1699 * time.Millisecond, every, length, false},
		{1700 * time.Millisecond, every, length, true},
		{1999 * time.Millisecond, every, length, true},
		{2000 * time.Millisecond, every, length, false},
		{5800 * time.Millisecond, every, length, true},
		{-100 * time.Millisecond, every, length, false},
		{1900 * time.Millisecond, 0, length, false},
		{1900 * time.Millisecond, every, 0, false},
		{100 * time.Millisecond, every, every, true},
	}
	for _, tc := range tests {
		if got := InOutage(tc.elapsed, tc.every, tc.length); got != tc.want {
			t.Errorf("InOutage(%v, %v, %v) = %v; want %v", tc.elapsed, tc.every, tc.length, got, tc.want)
		}
	}
}

func TestFaultsOutages(t *testing.T) {
	start := time.Unix(100, 0)
	now := start
	f := NewFaults(http.HandlerFunc(ok), FaultConfig{OutageEvery: 2 * time.Second, OutageFor: 300 * time.Millisecond,
		Now: func() time.Time { return now }})
	tests := []struct {
		at     time.Duration // since the first request
		method string
		want   int
	}{
		{0, http.MethodPut, 200},
		{1600 * time.Millisecond, http.MethodPut, 200},
		{1800 * time.Millisecond, http.MethodPut, 503},
		{1850 * time.Millisecond, http.MethodGet, 200}, // reads pass
		{1900 * time.Millisecond, http.MethodDelete, 503},
		{2100 * time.Millisecond, http.MethodPut, 200},
		{3750 * time.Millisecond, http.MethodPut, 503},
	}
	for _, tc := range tests {
		now = start.Add(tc.at)
		rec := httptest.NewRecorder()
		f.ServeHTTP(rec, httptest.NewRequest(tc.method, "/b/p/k", strings.NewReader("x")))
		if rec.Code != tc.want {
			t.Errorf("%s at %v = %d; want %d", tc.method, tc.at, rec.Code, tc.want)
		}
		if tc.want == 503 && !strings.Contains(rec.Body.String(), "<Code>SlowDown</Code>") {
			t.Errorf("%s at %v answered %s; want SlowDown", tc.method, tc.at, rec.Body)
		}
	}
	if c := f.Counts(); c["slowdown"] != 3 || c["none"] != 4 {
		t.Errorf("Counts() = %v; want 3 slowdown, 4 none", c)
	}
}
