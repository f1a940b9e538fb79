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
// The function routes its own failures, as deployed with
// DEAD_LETTER_QUEUE_URL: each execution environment builds its own real
// SQS client (uploader.NewSQSClient) against an in-process SQS over HTTP
// on 127.0.0.1 (package sqssim), holding the source queue and the
// dead-letter queue. A record that can never be stored (a malformed
// message; S3's 403, or other bytes already at its key) is sent to the
// dead-letter queue at once: the send becomes a copy of the queue's
// message (matched by its failure.messageId attribute, its reason kept),
// and the message, not reported failed, is deleted from the source; the
// redrive is left with what the function could not send. A record that
// failed for now is reported failed and hidden for its redelivery delay
// with ChangeMessageVisibilityBatch; the calls are counted, and the queue
// takes the delay as elapsed at once (no invariant depends on when a
// message comes back, only on whether it does). Those calls fail too: a
// dead-letter send with 500 InternalError or 403 AccessDenied for one
// delivery (the record comes back, and is stored or dead-lettered later),
// or for every delivery of a message (only the redrive can move it); a
// visibility change with either (the record comes back at once).
//
// After the queue drains, Run checks the invariants and reports violations:
// every message is stored byte-exact (read back and compared by SHA-256) or
// in the dead-letter queue; no object exists that no message asked for; no
// message reported done has a missing or different object, and a record
// the function dead-lettered is not counted done; no object was ever
// written twice; every body reaching the store carried a checksum that the
// server verified; every copy in the dead-letter queue has the body sent,
// byte for byte, and one the function sent has the attributes sent and a
// failure.reason no retry can cure; a failed dead-letter send leaves the
// record reported failed; a visibility change names a delivery in flight,
// of at least a second, for a record its invocation reports failed; no log
// line holds payload bytes or the secret key. The report counts the
// dead-lettered messages by route (function or redrive) and reason, the
// sends and visibility changes, and the SQS faults.
//
// Faults are a pure function of the seed, the request's method and key, and
// how many times that method and key were seen before; SQS faults, of the
// seed, the call, and the message and receive (or receipt handles) it is
// about; invocation plans (deadline, kill, storm) are a pure function of
// the seed and the invocation's number. With one poller, a seed therefore
// replays the same schedule; the interleaving of the uploads inside one
// batch is the scheduler's.
package chaos
