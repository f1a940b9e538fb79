package retry

import "time"

// Call is the retry state of one call, for callers that run attempts on a
// clock of their own instead of blocking in DoScoped: a discrete-event
// simulation steps thousands of calls on a virtual clock with it. DoScoped
// is a loop over a Call, so both take the same decisions.
//
// The steps, for each attempt: Take until it returns 0 (the attempt is sent
// at that moment), then Answer with the attempt's result; on an error,
// Retry says how long to back off before the next Take, or that the call
// is over. Times are passed in, so a Call holds no clock. A Call is not
// safe for concurrent use; the Policy's Budget and Pacers it uses are.
type Call struct {
	p        *Policy
	pacer    Pacer     // of the call's scope; nil: not paced
	attempts int       // attempts sent
	spent    int       // budget tokens the retries took
	sentAt   time.Time // when the last attempt was sent
}

// Call starts a call whose attempts the Pacer of scope paces.
func (p *Policy) Call(scope string) *Call {
	c := &Call{p: p}
	if p.Pacers != nil {
		c.pacer = p.Pacers.Get(scope)
	}
	return c
}

// Attempts returns the attempts sent so far.
func (c *Call) Attempts() int { return c.attempts }

// Take asks for a send slot at now. It returns 0 when the next attempt may
// be sent at once, and counts it as sent at now. Otherwise it returns how
// long to wait before asking again, or, when that wait would end after
// deadline (zero: none), an *Error with Cause ErrDeadline: the call is
// over.
func (c *Call) Take(now, deadline time.Time) (time.Duration, error) {
	if c.pacer != nil {
		if wait := c.pacer.Take(now); wait > 0 {
			if past(now, wait, deadline) {
				return 0, &Error{Attempts: c.attempts, Cause: ErrDeadline}
			}
			return wait, nil
		}
	}
	c.attempts++
	c.sentAt = now
	return 0, nil
}

// Answer hands the call the result of the attempt sent last, seen at now
// (nil: it succeeded, and the call is done). The scope's Pacer learns
// from a success or a throttle, and a success gives the Budget back what
// the call's retries took (one token for a call that needed none).
func (c *Call) Answer(now time.Time, err error) {
	if c.pacer != nil && (err == nil || Throttle(err)) {
		c.pacer.Observe(Answer{Sent: c.sentAt, Seen: now, Attempt: c.attempts, Throttled: err != nil})
	}
	if err == nil && c.p.Budget != nil {
		c.p.Budget.Refund(max(1, c.spent))
	}
}

// Retry decides, after Answer with a non-nil err at now, whether to try
// again: it returns the backoff before the next Take, having charged the
// Budget for the retry, or an *Error saying why the call is over (err not
// retryable, attempts used up, the backoff would end after deadline, the
// Budget empty). r in [0, 1) draws the jitter.
func (c *Call) Retry(now time.Time, err error, deadline time.Time, r float64) (time.Duration, error) {
	p := c.p
	delay := FullJitter(positiveOr(p.BaseDelay, DefaultBaseDelay), positiveOr(p.MaxDelay, DefaultMaxDelay), c.attempts, r)
	cost := p.cost(err)
	var cause error
	switch {
	case !Retryable(err):
		cause = ErrPermanent
	case c.attempts >= p.maxAttempts():
		cause = ErrAttempts
	case past(now, delay, deadline):
		cause = ErrDeadline
	case p.Budget != nil && !p.Budget.Take(cost):
		cause = ErrBudget
	}
	if cause != nil {
		return 0, &Error{Attempts: c.attempts, Last: err, Cause: cause}
	}
	c.spent += cost
	return delay, nil
}

// past reports whether a wait of d from now would end after deadline
// (zero: never).
func past(now time.Time, d time.Duration, deadline time.Time) bool {
	return !deadline.IsZero() && now.Add(d).After(deadline)
}
