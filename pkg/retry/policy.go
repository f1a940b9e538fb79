package retry

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Defaults of a Policy's zero fields.
const (
	DefaultMaxAttempts = 14
	DefaultBaseDelay   = 25 * time.Millisecond
	DefaultMaxDelay    = 5 * time.Second
	DefaultRetryCost   = 5
	DefaultTimeoutCost = 10
)

// ErrAttemptTimeout is the error an attempt ends with when it outlives the
// Policy's AttemptTimeout while the caller's context is still live. It is
// retryable.
var ErrAttemptTimeout = errors.New("attempt timed out")

// Policy says how to retry. Its zero value retries up to DefaultMaxAttempts
// times with DefaultBaseDelay and DefaultMaxDelay, no budget and no pacing.
// A Policy is safe for concurrent use once built; do not change its fields
// while calls are running.
type Policy struct {
	MaxAttempts    int           // attempts in all, first included; 0: DefaultMaxAttempts
	BaseDelay      time.Duration // backoff base; 0: DefaultBaseDelay
	MaxDelay       time.Duration // backoff cap; 0: DefaultMaxDelay
	AttemptTimeout time.Duration // per-attempt limit; 0: none but the context's

	// Budget, when set, is charged RetryCost per retry (TimeoutCost after an
	// attempt timeout) and refunded on success. An empty budget ends retrying
	// with ErrBudget.
	Budget      *Budget
	RetryCost   int // 0: DefaultRetryCost
	TimeoutCost int // 0: DefaultTimeoutCost

	// Pacers, when set, paces every attempt of every call sharing it,
	// with the Pacer of the call's scope (see DoScoped).
	Pacers *Pacers

	// Seams for this package's tests: nil means time.Now, a context-aware
	// sleep and math/rand/v2.
	nowFunc   func() time.Time
	sleepFunc func(ctx context.Context, d time.Duration) error
	randFunc  func() float64
}

// Retry describes a retry about to happen, for Notify.
type Retry struct {
	Attempt int           // the attempt that failed, from 1
	Delay   time.Duration // backoff before the next attempt, pacing wait excluded
	Err     error         // the error of the failed attempt
}

// Do calls op until it succeeds, fails permanently or the policy says stop,
// and returns the number of attempts and nil or an *Error. It is DoScoped
// with the scope "".
func (p *Policy) Do(ctx context.Context, op func(ctx context.Context) error, notify func(Retry)) (int, error) {
	return p.DoScoped(ctx, "", op, notify)
}

// DoScoped calls op until it succeeds, fails permanently or the policy says
// stop, and returns the number of attempts and nil or an *Error. Its
// attempts are paced by the Pacer of scope, which learns from their
// answers: calls of one scope slow down together, other scopes not at all.
//
// DoScoped never waits past the deadline of ctx: when the backoff or the
// pacer's wait would end after it, it returns at once with Cause
// ErrDeadline. Each attempt gets a context bounded by AttemptTimeout. Before
// each retry it calls notify, if not nil, from the calling goroutine.
//
// The Budget is charged for each retry and, when the call succeeds, refunded
// what the call's retries took (one token for a call that needed none): a
// call that got through cost the budget nothing, so only retries that do
// not pay off (a server failing outright) drain it.
func (p *Policy) DoScoped(ctx context.Context, scope string, op func(ctx context.Context) error, notify func(Retry)) (int, error) {
	c := p.Call(scope)
	deadline, _ := ctx.Deadline()
	for {
		if err := context.Cause(ctx); err != nil {
			return c.attempts, &Error{Attempts: c.attempts, Last: err, Cause: ErrCanceled}
		}
		if err := p.pace(ctx, c, deadline); err != nil {
			return c.attempts, err
		}
		err := p.attempt(ctx, op)
		c.Answer(p.now(), err)
		if err == nil {
			return c.attempts, nil
		}
		if ctx.Err() != nil {
			return c.attempts, &Error{Attempts: c.attempts, Last: err, Cause: ErrCanceled}
		}
		delay, stop := c.Retry(p.now(), err, deadline, p.rand())
		if stop != nil {
			return c.attempts, stop
		}
		if notify != nil {
			notify(Retry{Attempt: c.attempts, Delay: delay, Err: err})
		}
		if p.sleep(ctx, delay) != nil {
			// Canceled while waiting: the operation's error is still the last.
			return c.attempts, &Error{Attempts: c.attempts, Last: err, Cause: ErrCanceled}
		}
	}
}

// attempt runs op once under the attempt timeout, and turns the expiry of
// that timeout (not of the caller's context) into ErrAttemptTimeout.
func (p *Policy) attempt(ctx context.Context, op func(ctx context.Context) error) error {
	if p.AttemptTimeout <= 0 {
		return op(ctx)
	}
	actx, cancel := context.WithTimeoutCause(ctx, p.AttemptTimeout, ErrAttemptTimeout)
	defer cancel()
	err := op(actx)
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(actx), ErrAttemptTimeout) {
		return &timeoutError{err}
	}
	return err
}

type timeoutError struct{ err error }

func (e *timeoutError) Error() string        { return ErrAttemptTimeout.Error() + ": " + e.err.Error() }
func (e *timeoutError) Unwrap() []error      { return []error{ErrAttemptTimeout, e.err} }
func (e *timeoutError) RetryableError() bool { return true }

// pace waits for the call's send slot, never past the deadline. It asks
// again after each wait, so a rate changed meanwhile applies at once.
func (p *Policy) pace(ctx context.Context, c *Call, deadline time.Time) error {
	for {
		wait, err := c.Take(p.now(), deadline)
		if err != nil || wait == 0 {
			return err
		}
		if err := p.sleep(ctx, wait); err != nil {
			return &Error{Attempts: c.attempts, Cause: ErrCanceled}
		}
	}
}

func (p *Policy) cost(err error) int {
	if errors.Is(err, ErrAttemptTimeout) {
		return positiveOr(p.TimeoutCost, DefaultTimeoutCost)
	}
	return positiveOr(p.RetryCost, DefaultRetryCost)
}

func (p *Policy) maxAttempts() int { return positiveOr(p.MaxAttempts, DefaultMaxAttempts) }

// positiveOr is v, or def when v is not positive.
func positiveOr[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

func (p *Policy) now() time.Time {
	if p.nowFunc != nil {
		return p.nowFunc()
	}
	return time.Now()
}

func (p *Policy) rand() float64 {
	if p.randFunc != nil {
		return p.randFunc()
	}
	return rand.Float64()
}

func (p *Policy) sleep(ctx context.Context, d time.Duration) error {
	if p.sleepFunc != nil {
		return p.sleepFunc(ctx, d)
	}
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
