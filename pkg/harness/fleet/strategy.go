package fleet

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	awsretry "github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/s3uploader/s3uploader/pkg/harness/prevlimiter"
	"github.com/s3uploader/s3uploader/pkg/retry"
	"github.com/s3uploader/s3uploader/pkg/uploader"
)

// Strategies are the retry strategies a Config may name:
//
//   - project: the function's retry policy, uploader.NewPolicy (attempts,
//     backoff, attempt timeout, retry budget and the share law pacing each
//     prefix, at the function's defaults), stepped through retry.Call.
//   - plain: the same policy without pacing: capped exponential backoff
//     with full jitter and the retry budget.
//   - previous: the same policy paced by the limiter the function shipped
//     before the share law (pkg/harness/prevlimiter).
//   - sdk: the AWS SDK for Go v2's standard retryer (awsretry.NewStandard,
//     3 attempts, its retry quota), driven through its own MaxAttempts,
//     IsErrorRetryable, GetAttemptToken, GetRetryToken and RetryDelay, in
//     the order its retry middleware calls them. Its jitter is drawn from
//     crypto/rand inside the SDK, so runs of this strategy are not
//     repeatable bit for bit; the SDK's adaptive mode sleeps on the wall
//     clock inside its token bucket and cannot be driven on a virtual
//     clock without copying its code, so it is not simulated.
//   - oracle: the no-throttle ideal: every prefix's sends paced at exactly
//     its capacity by one pacer shared by the whole fleet, so nothing is
//     refused (the project's backoff for faults). No real client can do
//     this; it is the yardstick of time and cost.
var Strategies = []string{"project", "plain", "sdk", "oracle", "previous"}

func validStrategy(s string) bool { return slices.Contains(Strategies, s) }

// caller is one record's retries, the steps of retry.Call.
type caller interface {
	take(now, deadline time.Time) (time.Duration, error)
	answer(now time.Time, err error)
	// retry returns the backoff before the next take, or the error that
	// ends the call after a wait (the SDK sleeps into the deadline).
	retry(now time.Time, err error, deadline time.Time) (time.Duration, error)
}

// retrier is one instance's retry machinery: what a cold start builds
// afresh and a warm instance keeps.
type retrier interface {
	begin(prefix int) caller
}

// newRetrier builds an instance's retrier for cfg's strategy, with the
// function's configuration fn (see functionConfig).
func newRetrier(cfg Config, fn uploader.Config, rng *rand.Rand, scopes []string, fleet *oracle) retrier {
	switch cfg.Strategy {
	case "sdk":
		return &sdkRetrier{s: awsretry.NewStandard()}
	case "oracle":
		p := uploader.NewPolicy(fn)
		p.Pacers = nil
		return &oracleRetrier{policyRetrier{p: p, rng: rng, scopes: scopes}, fleet}
	}
	p := uploader.NewPolicy(fn)
	switch cfg.Strategy {
	case "plain":
		p.Pacers = nil
	case "previous":
		p.Pacers = retry.NewPacers(prevlimiter.NewPacer, 0)
	default:
		if w := cfg.Function.Without; w != 0 {
			p.Pacers = retry.NewPacers(func() retry.Pacer { return retry.NewShareLawWithout(w) }, 0)
		}
	}
	return &policyRetrier{p: p, rng: rng, scopes: scopes}
}

// functionConfig is the function's configuration read the way the function
// reads it, from its environment, with fc's settings: a value the function
// would refuse is an error.
func functionConfig(fc FunctionConfig) (uploader.Config, error) {
	env := map[string]string{
		"BUCKET_NAME":        "fleet",
		"UPLOAD_CONCURRENCY": fmt.Sprint(fc.Concurrency),
		"DEADLINE_MARGIN":    fc.Margin.String(),
		"ATTEMPT_TIMEOUT":    fc.AttemptTimeout.String(),
		"RETRY_BUDGET":       fmt.Sprint(fc.RetryBudget),
	}
	if fc.MaxAttempts > 0 {
		env["RETRY_MAX_ATTEMPTS"] = fmt.Sprint(fc.MaxAttempts)
	}
	return uploader.ConfigFromEnv(func(k string) string { return env[k] })
}

type policyRetrier struct {
	p      *retry.Policy
	rng    *rand.Rand
	scopes []string
}

func (r *policyRetrier) begin(prefix int) caller {
	return &policyCall{r.p.Call(r.scopes[prefix]), r.rng}
}

type policyCall struct {
	c   *retry.Call
	rng *rand.Rand
}

func (c *policyCall) take(now, deadline time.Time) (time.Duration, error) {
	return c.c.Take(now, deadline)
}
func (c *policyCall) answer(now time.Time, err error) { c.c.Answer(now, err) }
func (c *policyCall) retry(now time.Time, err error, deadline time.Time) (time.Duration, error) {
	return c.c.Retry(now, err, deadline, c.rng.Float64())
}

type sdkRetrier struct{ s *awsretry.Standard }

func (r *sdkRetrier) begin(int) caller { return &sdkCall{s: r.s} }

// sdkCall steps the SDK's retry middleware (aws/retry/middleware.go): per
// attempt an attempt token (the initial token on the first), released with
// the attempt's error together with the retry token of the retry before;
// then retryable?, max attempts?, a retry token from the quota, the delay.
type sdkCall struct {
	s        *awsretry.Standard
	attempts int
	release  func(error) error // the retry token of the last retry
	initial  func(error) error
}

func (c *sdkCall) take(time.Time, time.Time) (time.Duration, error) {
	c.attempts++
	if c.attempts == 1 {
		c.initial, _ = c.s.GetAttemptToken(context.Background()) // the initial token; never an error
	}
	return 0, nil
}

func (c *sdkCall) answer(_ time.Time, err error) {
	if c.release != nil {
		_ = c.release(err)
		c.release = nil
	}
	if c.initial != nil {
		_ = c.initial(err)
		c.initial = nil
	}
}

func (c *sdkCall) retry(now time.Time, err error, deadline time.Time) (time.Duration, error) {
	stop := func(cause error) (time.Duration, error) {
		return 0, &retry.Error{Attempts: c.attempts, Last: err, Cause: cause}
	}
	if !c.s.IsErrorRetryable(err) {
		return stop(retry.ErrPermanent)
	}
	if c.attempts >= c.s.MaxAttempts() {
		return stop(retry.ErrAttempts)
	}
	rel, qerr := c.s.GetRetryToken(context.Background(), err)
	if qerr != nil {
		return stop(retry.ErrBudget)
	}
	c.release = rel
	delay, derr := c.s.RetryDelay(c.attempts, err)
	if derr != nil {
		return stop(retry.ErrPermanent)
	}
	if now.Add(delay).After(deadline) {
		// It sleeps with the context, which ends at the deadline.
		return deadline.Sub(now), &retry.Error{Attempts: c.attempts, Last: err, Cause: retry.ErrDeadline}
	}
	return delay, nil
}

// oracle paces every prefix at its capacity for the whole fleet.
type oracle struct {
	interval time.Duration
	next     []time.Time
}

func newOracle(cfg Config) *oracle {
	o := &oracle{next: make([]time.Time, cfg.Prefixes)}
	if cfg.S3.Capacity > 0 {
		o.interval = time.Duration(math.Ceil(float64(time.Second) / cfg.S3.Capacity))
	}
	return o
}

type oracleRetrier struct {
	policyRetrier
	o *oracle
}

func (r *oracleRetrier) begin(prefix int) caller {
	return &oracleCall{policyCall: policyCall{r.p.Call(""), r.rng}, o: r.o, prefix: prefix}
}

type oracleCall struct {
	policyCall
	o      *oracle
	prefix int
	slot   time.Time // reserved send time; zero: none
}

func (c *oracleCall) take(now, deadline time.Time) (time.Duration, error) {
	if c.o.interval > 0 {
		if c.slot.IsZero() {
			c.slot = maxTime(now, c.o.next[c.prefix])
			c.o.next[c.prefix] = c.slot.Add(c.o.interval)
		}
		if now.Before(c.slot) {
			if c.slot.After(deadline) {
				return 0, &retry.Error{Attempts: c.c.Attempts(), Cause: retry.ErrDeadline}
			}
			return c.slot.Sub(now), nil
		}
		c.slot = time.Time{}
	}
	return c.c.Take(now, deadline)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
