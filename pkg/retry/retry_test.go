package retry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"
)

// fakeClock is a clock whose Sleep advances time instead of waiting.
type fakeClock struct {
	now   time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if dl, ok := ctx.Deadline(); ok && c.now.Add(d).After(dl) {
		return fmt.Errorf("slept to %v, past the deadline %v", c.now.Add(d), dl)
	}
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	return nil
}

type codeErr struct {
	retryable, throttle bool
}

func (e codeErr) Error() string {
	return fmt.Sprintf("code error retryable=%v throttle=%v", e.retryable, e.throttle)
}
func (e codeErr) RetryableError() bool { return e.retryable }
func (e codeErr) ThrottleError() bool  { return e.throttle }

func TestFullJitter(t *testing.T) {
	base, maxDelay := 100*time.Millisecond, time.Second
	tests := map[string]struct {
		attempt int
		r       float64
		want    time.Duration
	}{
		"first retry, top of range":   {1, 0.999999, 99_999_900},
		"first retry, half":           {1, 0.5, 50 * time.Millisecond},
		"third retry doubles twice":   {3, 0.5, 200 * time.Millisecond},
		"capped at max delay":         {10, 0.5, 500 * time.Millisecond},
		"zero random gives zero":      {5, 0, 0},
		"r of one stays below cap":    {30, 1, time.Second - 1},
		"attempt zero means no delay": {0, 0.7, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := FullJitter(base, maxDelay, tc.attempt, tc.r); got != tc.want {
				t.Errorf("FullJitter(%v, %v, %d, %v) = %v; want %v", base, maxDelay, tc.attempt, tc.r, got, tc.want)
			}
		})
	}
}

func TestDoRetriesTransientWithBackoff(t *testing.T) {
	clk := newFakeClock()
	p := &Policy{MaxAttempts: 5, BaseDelay: 100 * time.Millisecond, MaxDelay: 250 * time.Millisecond,
		Now: clk.Now, Sleep: clk.Sleep, Rand: func() float64 { return 0.5 }}
	calls := 0
	var notified []Retry
	n, err := p.Do(context.Background(), func(context.Context) error {
		calls++
		if calls < 4 {
			return codeErr{retryable: true}
		}
		return nil
	}, func(r Retry) { notified = append(notified, r) })
	if err != nil || n != 4 {
		t.Fatalf("Do = %d, %v; want 4, nil", n, err)
	}
	want := []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 125 * time.Millisecond}
	if fmt.Sprint(clk.slept) != fmt.Sprint(want) {
		t.Errorf("slept %v; want %v", clk.slept, want)
	}
	if len(notified) != 3 || notified[2].Attempt != 3 || notified[2].Delay != 125*time.Millisecond {
		t.Errorf("notified %+v; want 3 retries, the last after attempt 3 with 125ms", notified)
	}
}

func TestDoStops(t *testing.T) {
	tests := map[string]struct {
		err       error
		max       int
		budget    *Budget
		wantCause error
		wantCalls int
	}{
		"permanent error":         {Permanent(errors.New("403")), 5, nil, ErrPermanent, 1},
		"non-retryable interface": {codeErr{retryable: false}, 5, nil, ErrPermanent, 1},
		"attempts exhausted":      {codeErr{retryable: true}, 3, nil, ErrAttempts, 3},
		"budget exhausted":        {codeErr{retryable: true}, 10, NewBudget(12), ErrBudget, 3},
		"caller canceled":         {context.Canceled, 5, nil, ErrPermanent, 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newFakeClock()
			p := &Policy{MaxAttempts: tc.max, Budget: tc.budget, Now: clk.Now, Sleep: clk.Sleep, Rand: func() float64 { return 0.1 }}
			calls := 0
			n, err := p.Do(context.Background(), func(context.Context) error { calls++; return tc.err }, nil)
			var re *Error
			if !errors.As(err, &re) {
				t.Fatalf("Do error = %v; want *Error", err)
			}
			if re.Cause != tc.wantCause || calls != tc.wantCalls || n != tc.wantCalls {
				t.Errorf("Do = %d, cause %v after %d calls; want cause %v after %d", n, re.Cause, calls, tc.wantCause, tc.wantCalls)
			}
			if !errors.Is(err, tc.err) && !errors.Is(err, errors.Unwrap(tc.err)) {
				t.Errorf("Do error %v does not unwrap to the last error %v", err, tc.err)
			}
		})
	}
}

func TestDoNeverSleepsPastDeadline(t *testing.T) {
	clk := &fakeClock{now: time.Now()}
	start := clk.now
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(time.Second))
	defer cancel()
	p := &Policy{MaxAttempts: 100, BaseDelay: 100 * time.Millisecond, MaxDelay: 10 * time.Second,
		Now: clk.Now, Sleep: clk.Sleep, Rand: func() float64 { return 0.9 }}
	calls := 0
	_, err := p.Do(ctx, func(context.Context) error { calls++; return codeErr{retryable: true} }, nil)
	var re *Error
	if !errors.As(err, &re) || re.Cause != ErrDeadline {
		t.Fatalf("Do error = %v; want cause ErrDeadline", err)
	}
	if clk.now.Sub(start) > time.Second {
		t.Errorf("clock advanced to %v, past the deadline", clk.now)
	}
	if calls < 3 {
		t.Errorf("only %d calls before the deadline; want at least 3", calls)
	}
}

func TestDoAttemptTimeoutIsRetried(t *testing.T) {
	p := &Policy{MaxAttempts: 3, AttemptTimeout: 20 * time.Millisecond, BaseDelay: time.Millisecond}
	calls := 0
	n, err := p.Do(context.Background(), func(ctx context.Context) error {
		calls++
		if calls == 1 {
			<-ctx.Done() // a hung request
			return ctx.Err()
		}
		return nil
	}, func(r Retry) {
		if !errors.Is(r.Err, ErrAttemptTimeout) {
			t.Errorf("retry error %v; want ErrAttemptTimeout", r.Err)
		}
	})
	if err != nil || n != 2 {
		t.Fatalf("Do = %d, %v; want 2, nil", n, err)
	}
}

func TestBudgetRefunds(t *testing.T) {
	b := NewBudget(10)
	p := &Policy{Budget: b, Sleep: func(context.Context, time.Duration) error { return nil }}
	calls := 0
	if _, err := p.Do(context.Background(), func(context.Context) error {
		calls++
		if calls == 1 {
			return codeErr{retryable: true}
		}
		return nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	if got := b.Tokens(); got != 10 {
		t.Errorf("after a retry that succeeded, budget = %d; want 10 (cost refunded)", got)
	}
	b.Take(3)
	b.Refund(100)
	if got := b.Tokens(); got != 10 {
		t.Errorf("Refund beyond capacity: %d tokens; want 10", got)
	}
}

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

func TestDoPacesAtLimiterRate(t *testing.T) {
	clk := newFakeClock()
	set := NewLimiters(LimiterConfig{Beta: 0.5, Window: time.Second, Quiet: 1 << 62}, 0) // the clock jumps years below
	l := set.Get("")
	for i := range 100 {
		at := clk.now.Add(time.Duration(i-100) * 10 * time.Millisecond)
		l.Succeeded(at, at, 2)
	}
	l.Throttled(clk.now, clk.now, 4) // bucket empty
	rate, _ := l.Rate()
	gap := time.Duration(math.Ceil(float64(time.Second) / rate))
	p := &Policy{Limiters: set, Now: clk.Now, Sleep: clk.Sleep, Rand: func() float64 { return 0 }}
	for range 2 {
		if _, err := p.Do(context.Background(), func(context.Context) error { return nil }, nil); err != nil {
			t.Fatalf("Do = %v; want nil", err)
		}
	}
	// Each call waits one slot at the current rate; a success raises the
	// rate a little, so the second wait is no longer than the first.
	if len(clk.slept) != 2 || clk.slept[0] != gap || clk.slept[1] > gap || clk.slept[1] < gap*9/10 {
		t.Errorf("slept %v at %.1f/s; want [%v, a little less]", clk.slept, rate, gap)
	}
	// A caller whose wait would end past its deadline stops with ErrDeadline.
	deadline := time.Now().Add(time.Hour)
	clk.now = deadline.Add(-time.Millisecond)
	l.Take(clk.now) // empty the bucket refilled by the jump of the clock
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	_, err := p.Do(ctx, func(context.Context) error { return nil }, nil)
	var re *Error
	if !errors.As(err, &re) || re.Cause != ErrDeadline {
		t.Errorf("Do with 1ms left = %v; want Cause ErrDeadline", err)
	}
}

func ExampleFullJitter() {
	for attempt := 1; attempt <= 5; attempt++ {
		fmt.Println(FullJitter(100*time.Millisecond, time.Second, attempt, 0.5))
	}
	// Output:
	// 50ms
	// 100ms
	// 200ms
	// 400ms
	// 500ms
}
