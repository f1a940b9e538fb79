package batch

import (
	"context"
	"errors"

	"github.com/s3uploader/s3uploader/pkg/retry"
)

// This file is the one place a record's outcome gets its name: the reason
// and error code of its "upload failed" line and of its metrics.
//
// Reasons a record fails, beside the *record.InputError and *keys.Error
// reasons decided before any S3 call (InvalidKey, InvalidBase64, ...):
const (
	ReasonPermanent   = "PermanentError"       // S3 refused it for good (Conflict, AccessDenied, ...)
	ReasonAttempts    = "RetriesExhausted"     // every attempt failed
	ReasonDeadline    = "DeadlineReached"      // no time left before the function's deadline
	ReasonCanceled    = "Canceled"             // the invocation was canceled
	ReasonBudget      = "RetryBudgetExhausted" // the shared retry budget is spent
	ReasonGroup       = "EarlierInGroupFailed" // an earlier message of its FIFO group failed
	ReasonNoCopier    = "PointerUnsupported"   // a pointer, and the Processor has no Copier
	ReasonUnknown     = "Unknown"
	reasonBatchError  = "BatchError"
	reasonNotSQSEvent = "NotSQSEvent"
)

// ErrorCode names err for logs: its ErrorCode() when it has one, else a
// name for what the retry package saw.
func ErrorCode(err error) string {
	if errors.Is(err, retry.ErrAttemptTimeout) {
		return "AttemptTimeout"
	}
	var c interface{ ErrorCode() string }
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ReasonDeadline
	}
	return ReasonUnknown
}

// StopReason names why retrying stopped, for a retry.Error's Cause:
// PermanentError, RetriesExhausted, DeadlineReached (the deadline or a
// cancel: see stopped), RetryBudgetExhausted, or Unknown.
func StopReason(cause error) string {
	switch cause {
	case retry.ErrPermanent:
		return ReasonPermanent
	case retry.ErrAttempts:
		return ReasonAttempts
	case retry.ErrDeadline, retry.ErrCanceled:
		return ReasonDeadline
	case retry.ErrBudget:
		return ReasonBudget
	}
	return ReasonUnknown
}

// stopped names the failure of a record's upload: its StopReason, with
// DeadlineReached told apart from Canceled by how ctx, the work's
// context, ended.
func stopped(ctx context.Context, err error) string {
	reason := ReasonAttempts
	var re *retry.Error
	if errors.As(err, &re) {
		reason = StopReason(re.Cause)
	}
	if reason == ReasonDeadline {
		return untried(ctx)
	}
	return reason
}

// untried names why a record that was not tried fails, once ctx is done:
// DeadlineReached when its deadline passed, Canceled otherwise.
func untried(ctx context.Context) string {
	if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return ReasonCanceled
	}
	return ReasonDeadline
}

// EventReason names an error of a whole event, as Handle returns it:
// NotSQSEvent for ErrNotSQS, BatchError otherwise.
func EventReason(err error) string {
	if errors.Is(err, ErrNotSQS) {
		return reasonNotSQSEvent
	}
	return reasonBatchError
}
