// Package retry runs an operation again when it fails transiently, the way
// AWS recommends: capped exponential backoff with full jitter, a retry budget
// shared by concurrent callers, and a hard stop before a deadline.
//
// The package knows nothing of S3, SQS or Lambda. Errors tell it how to behave
// through small interfaces found with errors.As:
//
//	interface{ RetryableError() bool } // false: stop at once (see Permanent)
//	interface{ ThrottleError() bool }  // true: the server asked us to slow down
//
// A Policy holds the settings and is safe for concurrent use: every call to
// Do draws on the same Budget, and every attempt of a scope (for S3, a key
// prefix) asks the same Pacer for a send slot. The function's Pacer is the
// ShareLaw: it paces a prefix by the share of its answers that S3 refused.
//
// Time and randomness are fields (Now, Sleep, Rand) that tests replace, so the
// maths is tested exactly rather than with real sleeps.
package retry
