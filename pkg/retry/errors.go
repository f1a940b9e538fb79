package retry

import (
	"context"
	"errors"
	"fmt"
)

// Permanent wraps err so that Do stops at once instead of retrying it.
// Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string        { return e.err.Error() }
func (e *permanentError) Unwrap() error        { return e.err }
func (e *permanentError) RetryableError() bool { return false }

// Retryable reports whether err may succeed if tried again. An error says so
// through a RetryableError() bool method anywhere in its chain; without one,
// an error is retryable unless it is a context cancellation of the caller.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var r interface{ RetryableError() bool }
	if errors.As(err, &r) {
		return r.RetryableError()
	}
	return !errors.Is(err, context.Canceled)
}

// Throttle reports whether err is the server asking the client to slow down,
// through a ThrottleError() bool method anywhere in its chain.
func Throttle(err error) bool {
	var t interface{ ThrottleError() bool }
	return errors.As(err, &t) && t.ThrottleError()
}

// Why retrying stopped, found in Error.Cause.
var (
	// ErrPermanent: the last error was not retryable.
	ErrPermanent = errors.New("error is not retryable")
	// ErrAttempts: the maximum number of attempts was reached.
	ErrAttempts = errors.New("max attempts reached")
	// ErrDeadline: the next wait would end past the stop time.
	ErrDeadline = errors.New("no time left before the deadline")
	// ErrBudget: the shared retry budget is spent.
	ErrBudget = errors.New("retry budget exhausted")
	// ErrCanceled: the caller's context ended.
	ErrCanceled = errors.New("context done")
)

// Error is returned by Do when the operation did not succeed. It unwraps to
// the last error of the operation, so errors.As sees through it.
type Error struct {
	Attempts int   // attempts made, at least 1 unless Cause is ErrCanceled or ErrDeadline
	Last     error // the last error returned by the operation; nil if none ran
	Cause    error // why retrying stopped: one of the Err variables above
}

func (e *Error) Error() string {
	if e.Last == nil {
		return fmt.Sprintf("gave up after %d attempts: %v", e.Attempts, e.Cause)
	}
	return fmt.Sprintf("gave up after %d attempts (%v): %v", e.Attempts, e.Cause, e.Last)
}

func (e *Error) Unwrap() error { return e.Last }
