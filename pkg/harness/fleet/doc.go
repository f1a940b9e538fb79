// Package fleet simulates the function at the scale it is deployed: up to
// thousands of Lambda instances fed by an SQS event source mapping, meeting
// S3 prefixes of a few thousand PUT/s, on a virtual clock. It is a
// deterministic discrete-event simulation: one goroutine, one event queue,
// no sleeps and no HTTP, so hours of virtual time and millions of messages
// take seconds of CPU.
//
// What runs for real is the retry code: every record's retries go through
// pkg/retry (its Policy's Call, with the Budget, the per-prefix Pacers,
// FullJitter and the deadline rule) exactly as in the function, with the
// clock and randomness handed in; the S3 prefix's token bucket is
// s3sim.Partition, the one the in-process benchmark's throttle uses; and
// the SDK's standard retryer is driven through its own RetryDelay and
// retry-token methods. What is modelled, each with its source beside the
// code: S3 (s3.go), the queue and the event source mapping (queue.go,
// esm.go) and the function's batch processor (function.go).
//
// Run runs one Config; Table runs the report's grid (cmd/fleet, make fleet).
package fleet
