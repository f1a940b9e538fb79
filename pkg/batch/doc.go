// Package batch stores the records of an SQS event and answers with the
// partial batch response: it decodes each record once (package record),
// schedules the uploads in parallel, bounded, round-robin by key prefix
// and in order within a FIFO message group, retries them through a
// retry.Policy, and names every failure's reason (outcome.go).
//
// Whatever cannot be stored before the deadline (less a margin) is listed
// in the response's BatchItemFailures, so SQS redelivers exactly those. A
// bad record never fails its siblings; once one record of a FIFO group
// fails, the group's later records are reported failed without being
// tried, to keep the group's order.
//
// The package knows nothing of S3's API: it writes through the Store and
// Copier interfaces.
package batch
