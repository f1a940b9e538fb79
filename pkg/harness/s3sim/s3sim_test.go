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
