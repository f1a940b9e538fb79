// Package esm is an event-source poller with the semantics of AWS Lambda's
// SQS event source mapping, for running a function locally against a real
// (or emulated) SQS queue.
//
// Each of Config.Concurrency pollers repeats: long-poll the queue, gather
// up to BatchSize messages within MaxBatchingWindow, invoke the function
// once with an SQS event, then delete the messages the invocation
// succeeded for. Messages it failed for are left alone: they reappear
// after the queue's visibility timeout and, past the redrive policy's
// maxReceiveCount, SQS moves them to the dead-letter queue. As Lambda
// documents for ReportBatchItemFailures:
//
//   - a null or empty response, or a null or empty batchItemFailures list,
//     is a complete success;
//   - a response that is not a JSON object, or a batchItemFailures entry
//     whose itemIdentifier is missing, null, empty or not a message of the
//     batch, fails the whole batch;
//   - a function error (returned error, panic, crash) or a timeout fails
//     the whole batch, as does an invocation that could not be made.
//
// Without ReportBatchItemFailures any successful invocation deletes the
// whole batch.
//
// On a FIFO queue (Config.FIFO) the records carry their MessageGroupId and
// SequenceNumber, and a message group is in one batch at a time, in order,
// as SQS hands it out; the Poller's documentation says what it does so
// that moto's SQS keeps that promise too.
package esm
