// Package chaos runs the function through a seeded fault schedule and checks
// that nothing is lost.
//
// Run simulates SQS delivery in process: a standard queue with a visibility
// timeout, receive counts and a redrive policy (a message received
// MaxReceiveCount times without being deleted moves to the dead-letter queue
// on its next receive), polled by a few Lambda execution environments, each
// with its own warm Handler built by package uploader. Every invocation goes
// through the real handler and the real aws-sdk-go-v2 S3 client, over HTTP,
// to an in-process S3 (s3sim.NewMemory) behind a checksum-verifying front
// (s3sim.NewChecksum) and random faults: SlowDown storms, 500, 502, 504,
// 409 ConditionalRequestConflict, 403, connection resets, hangs past the
// attempt timeout, bodies damaged in transit, and writes that succeed but
// whose answer is lost. Some invocations hit their deadline mid-batch; some
// execution environments are killed mid-batch and replaced by a cold one.
// SQS itself sometimes delivers a deleted message again.
//
// After the queue drains, Run checks the invariants and reports violations:
// every message is stored byte-exact (read back and compared by SHA-256) or
// in the dead-letter queue; no object exists that no message asked for; no
// message reported done has a missing or different object; no object was
// ever written twice; every body reaching the store carried a checksum that
// the server verified; no log line holds payload bytes or the secret key.
//
// Faults are a pure function of the seed, the request's method and key, and
// how many times that method and key were seen before; invocation plans
// (deadline, kill, storm) are a pure function of the seed and the
// invocation's number. With one poller, a seed therefore replays the same
// schedule; the interleaving of the uploads inside one batch is the
// scheduler's.
package chaos
