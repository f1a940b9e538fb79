package s3store

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Kind says how an S3 error behaves.
type Kind int

// The kinds of errors, from the caller's point of view.
const (
	Permanent Kind = iota // retrying cannot help (403, NoSuchBucket, other 4xx)
	Transient             // may succeed if tried again (500s, timeouts, resets)
	Throttled             // S3 asked the client to slow down (503 SlowDown and kin)
	Conflict              // an object with other bytes exists at the key
)

func (k Kind) String() string {
	switch k {
	case Transient:
		return "transient"
	case Throttled:
		return "throttled"
	case Conflict:
		return "conflict"
	}
	return "permanent"
}

// Error is an S3 failure, classified.
type Error struct {
	Op     string // "put" or "get"
	Key    string
	Kind   Kind
	Code   string // S3 error code, or a name for a failure without one
	Status int    // HTTP status, 0 when no response came
	Err    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: %s (%s): %v", e.Op, e.Key, e.Code, e.Kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// RetryableError reports whether trying again may help.
func (e *Error) RetryableError() bool { return e.Kind == Transient || e.Kind == Throttled }

// ThrottleError reports whether S3 asked the client to slow down.
func (e *Error) ThrottleError() bool { return e.Kind == Throttled }

// ErrorCode returns the S3 error code, or a name for a failure without one.
func (e *Error) ErrorCode() string { return e.Code }

// ErrConflict is the cause of a Conflict error.
var ErrConflict = errors.New("an object with different content already exists at this key")

// Error codes S3 (and the SDKs' retry logic) treat as throttling.
var throttleCodes = map[string]bool{
	"SlowDown":                  true,
	"Throttling":                true,
	"ThrottlingException":       true,
	"ThrottledException":        true,
	"RequestThrottledException": true,
	"TooManyRequestsException":  true,
	"RequestLimitExceeded":      true,
	"BandwidthLimitExceeded":    true,
	"RequestThrottled":          true,
	"PriorRequestNotComplete":   true,
}

// Error codes that say the request may succeed if sent again.
var transientCodes = map[string]bool{
	"InternalError":              true,
	"ServiceUnavailable":         true,
	"RequestTimeout":             true,
	"RequestTimeoutException":    true,
	"ConditionalRequestConflict": true, // a concurrent conditional write to the same key
	"OperationAborted":           true,
	"IncompleteBody":             true,
	"BadDigest":                  true, // the body was damaged on the way: send it again
	"XAmzContentSHA256Mismatch":  true,
	"InvalidChecksum":            true,
}

// classify turns an error from the S3 client into an *Error.
func classify(op, key string, err error) *Error {
	e := &Error{Op: op, Key: key, Err: err, Kind: Permanent}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		e.Status = re.HTTPStatusCode()
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		e.Code = api.ErrorCode()
	}
	switch {
	case throttleCodes[e.Code] || e.Status == http.StatusTooManyRequests:
		e.Kind = Throttled
	case transientCodes[e.Code]:
		e.Kind = Transient
	case e.Status >= 500:
		e.Kind = Transient // 500, 502, 503 (other than SlowDown), 504
	case e.Status == 0 && errors.Is(err, context.Canceled):
		e.Kind, e.Code = Permanent, "Canceled"
	case e.Status == 0:
		// No answer: connection refused or reset, a timeout, a cut body.
		e.Kind = Transient
		if errors.Is(err, context.DeadlineExceeded) {
			e.Code = "RequestTimeout"
		} else {
			e.Code = "ConnectionError"
		}
	}
	if e.Code == "" {
		e.Code = fmt.Sprintf("HTTP%d", e.Status)
	}
	return e
}
