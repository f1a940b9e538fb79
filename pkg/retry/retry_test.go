package retry

import (
	"context"
	"errors"
	"fmt"
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
		nowFunc: clk.Now, sleepFunc: clk.Sleep, randFunc: func() float64 { return 0.5 }}
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
			p := &Policy{MaxAttempts: tc.max, Budget: tc.budget, nowFunc: clk.Now, sleepFunc: clk.Sleep, randFunc: func() float64 { return 0.1 }}
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
		nowFunc: clk.Now, sleepFunc: clk.Sleep, randFunc: func() float64 { return 0.9 }}
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
	p := &Policy{Budget: b, sleepFunc: func(context.Context, time.Duration) error { return nil }}
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

// fakePacer waits wait before every attempt and records the answers.
type fakePacer struct {
	wait    time.Duration
	answers []Answer
}

func (p *fakePacer) Take(time.Time) time.Duration {
	w := p.wait
	p.wait = 0
	return w
}
func (p *fakePacer) Observe(a Answer) { p.answers = append(p.answers, a) }

func TestDoWaitsForThePacer(t *testing.T) {
	clk := newFakeClock()
	pacer := &fakePacer{wait: 300 * time.Millisecond}
	p := &Policy{Pacers: NewPacers(func() Pacer { return pacer }, 0), nowFunc: clk.Now, sleepFunc: clk.Sleep, randFunc: func() float64 { return 0 }}
	throttled := true
	op := func(context.Context) error {
		if throttled {
			throttled = false
			return codeErr{retryable: true, throttle: true}
		}
		return nil
	}
	if _, err := p.DoScoped(context.Background(), "a/", op, nil); err != nil {
		t.Fatalf("DoScoped = %v; want nil", err)
	}
	if len(clk.slept) == 0 || clk.slept[0] != 300*time.Millisecond {
		t.Errorf("slept %v; want the pacer's 300ms first", clk.slept)
	}
	if len(pacer.answers) != 2 || !pacer.answers[0].Throttled || pacer.answers[1].Throttled || pacer.answers[1].Attempt != 2 {
		t.Errorf("pacer saw %+v; want a throttle of attempt 1, then a success of attempt 2", pacer.answers)
	}
	// A pacer's wait that would end past the deadline stops the call.
	pacer.wait = time.Hour
	clk.now = time.Now() // the context's deadline is on the real clock
	ctx, cancel := context.WithDeadline(context.Background(), clk.now.Add(time.Minute))
	defer cancel()
	_, err := p.DoScoped(ctx, "a/", op, nil)
	var re *Error
	if !errors.As(err, &re) || re.Cause != ErrDeadline {
		t.Errorf("DoScoped with a wait past the deadline = %v; want Cause ErrDeadline", err)
	}
}
