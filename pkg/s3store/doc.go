// Package s3store writes objects to S3 exactly once, and is the one place
// where S3's errors are classified.
//
// Store.Put is a conditional write (If-None-Match: *): it creates the object
// or, when one already exists at that key, reads it back and reports a
// duplicate if the bytes are the same and a conflict if not. It never
// overwrites. Store.Copy does the same for a payload S3 already holds: a
// server-side CopyObject with If-None-Match: *, telling a duplicate from a
// conflict by the objects' checksums or ETags, without reading them.
// Put and Copy make one attempt each; the caller retries (see package retry).
// Errors returned by Put are *Error values that say, through RetryableError
// and ThrottleError, how a retry loop should treat them.
package s3store
