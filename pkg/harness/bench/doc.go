// Package bench measures upload strategies against a throttled, in-process
// S3: the same workload of SQS batches, run by independent simulated Lambda
// instances, for no retry, the AWS SDK's retry modes and this project's
// handler (built by package uploader, exactly as the function builds it).
//
// A Scenario sets the workload and the throttle; Run plays one Strategy
// through it and returns a Result: what was stored (verified by listing the
// bucket), what was reported failed for redelivery, what was lost, every
// request the server saw, and timelines for the charts. Overhead compares
// the handler with a bare PutObject loop against an S3 that answers at once;
// ColdStart times the function's first invocation under the Lambda Runtime
// Interface Emulator against a hello-world function.
//
// Everything listens on 127.0.0.1 and shares nothing between instances but
// the server, as separate Lambda invocations would.
package bench
