package prevlimiter

import (
	"math"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	t0 := time.Unix(0, 0)
	l := NewLimiter(LimiterConfig{Beta: 0.5, Alpha: 1, Gamma: -1, Window: time.Second})
	if wait := l.Take(t0); wait != 0 {
		t.Fatalf("before any throttle Take = %v; want 0", wait)
	}
	// 100 successes in one second, then a throttle: rate = 0.5 × 100/s.
	for i := range 100 {
		at := t0.Add(time.Duration(i) * 10 * time.Millisecond)
		l.Succeeded(at, at, 2) // retries: no first attempt admitted, so a 4th refusal is the rate
	}
	now := t0.Add(time.Second)
	l.Throttled(now, now, 4)
	if rate, on := l.Rate(); !on || rate < 45 || rate > 55 {
		t.Fatalf("after throttle Rate = %v, %v; want about 50, true", rate, on)
	}
	// A throttle of a request sent before the cut does not cut again.
	l.Throttled(now.Add(-time.Millisecond), now.Add(time.Millisecond), 4)
	if rate, _ := l.Rate(); rate < 45 {
		t.Errorf("stale throttle cut the rate to %v", rate)
	}
	// Right after the cut the bucket is empty: callers are told to wait
	// 1/rate and take nothing; the one that comes back first gets the slot
	// and the next is told to wait another 1/rate.
	rate, _ := l.Rate()
	gap := time.Duration(float64(time.Second) / rate)
	near := func(got, want time.Duration) bool { return got > want-time.Millisecond && got < want+time.Millisecond }
	w1, w2 := l.Take(now), l.Take(now)
	if !near(w1, gap) || w2 != w1 {
		t.Errorf("Take, Take at the cut = %v, %v; want %v twice", w1, w2, gap)
	}
	if w := l.Take(now.Add(w1)); w != 0 {
		t.Errorf("Take after waiting %v = %v; want 0", w1, w)
	}
	if w := l.Take(now.Add(w1)); !near(w, gap) {
		t.Errorf("second Take after waiting = %v; want %v", w, gap)
	}
	rate0, _ := l.Rate()
	l.Succeeded(now.Add(2*time.Second), now.Add(2*time.Second), 1)
	if rate, _ := l.Rate(); rate <= rate0 {
		t.Errorf("rate after success %v; want above %v", rate, rate0)
	}
}

func TestLimiterFirstThrottleWithoutSuccess(t *testing.T) {
	t0 := time.Unix(0, 0)
	l := NewLimiter(LimiterConfig{})
	l.Take(t0)
	// Nothing has succeeded yet: a first attempt refused is not evidence of
	// the rate (a hot key is refused the same way); it is only backed off.
	for attempt := 1; attempt < 4; attempt++ {
		l.Throttled(t0, t0.Add(time.Duration(attempt)*time.Millisecond), attempt)
		if _, on := l.Rate(); on {
			t.Fatalf("limiting after attempt %d refused with nothing succeeded yet; want not until attempt 4", attempt)
		}
	}
	l.Throttled(t0, t0.Add(5*time.Millisecond), 4)
	// No success yet: one success over the first slot (100ms) = 10/s, × 0.85.
	if rate, on := l.Rate(); !on || rate < 8.4 || rate > 8.6 {
		t.Errorf("Rate after a first throttle with no success = %v, %v; want 8.5, true", rate, on)
	}
}

func TestLimiterClimbsFastUntilTheSecondThrottle(t *testing.T) {
	t0 := time.Unix(0, 0)
	l := NewLimiter(LimiterConfig{Beta: 0.5, Alpha: 1, Gamma: 0.1, StartGamma: 0.5, Window: time.Second})
	for i := range 100 {
		at := t0.Add(time.Duration(i) * 10 * time.Millisecond)
		l.Succeeded(at, at, 2) // retries: no first attempt admitted, so a 4th refusal is the rate
	}
	now := t0.Add(time.Second)
	l.Throttled(now, now, 4) // first: 0.5 × the measured success rate
	rate := func() float64 { r, _ := l.Rate(); return r }
	near := func(got, want float64) bool { return got > want-0.01 && got < want+0.01 }
	r1 := rate()
	now = now.Add(time.Second)
	l.Succeeded(now, now, 1)
	if got, want := rate(), r1+1+0.5*r1; !near(got, want) {
		t.Errorf("a second after the first throttle, rate = %v; want %v (Alpha + StartGamma×rate)", got, want)
	}
	l.Throttled(now, now, 4)
	r2 := rate()
	now = now.Add(time.Second)
	l.Succeeded(now, now, 1)
	if got, want := rate(), r2+1+0.1*r2; !near(got, want) {
		t.Errorf("a second after the second throttle, rate = %v; want %v (Alpha + Gamma×rate)", got, want)
	}
}

func TestLimiterClimbsFastAfterQuiet(t *testing.T) {
	t0 := time.Unix(0, 0)
	l := NewLimiter(LimiterConfig{Alpha: 1, Gamma: 0.01, StartGamma: 0.5, Quiet: 5 * time.Second})
	l.Throttled(t0, t0, 4)
	l.Throttled(t0.Add(time.Second), t0.Add(time.Second), 4) // second throttle: slow climb from here
	r0, _ := l.Rate()
	l.Succeeded(t0.Add(3*time.Second), t0.Add(3*time.Second), 1)
	r1, _ := l.Rate()
	if want := r0 + 2*(1+0.01*r0); math.Abs(r1-want) > 1e-6 {
		t.Fatalf("2s after the second throttle, rate %v; want %v (slow climb)", r1, want)
	}
	// 5s after the last throttle the climb is fast again.
	l.Succeeded(t0.Add(7*time.Second), t0.Add(7*time.Second), 1)
	r2, _ := l.Rate()
	if want := r1 + 4*(1+0.5*r1); math.Abs(r2-want) > 1e-6 {
		t.Errorf("6s after the last throttle, rate %v; want %v (fast climb)", r2, want)
	}
}
