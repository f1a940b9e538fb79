// Package batch turns an SQS event into stored objects and a partial batch
// response.
//
// Each record becomes one object: its payload is the message body byte for
// byte (base64-decoded first when the message attribute content-encoding is
// "base64"), its key is the prefix plus its KeyTemplate rendered (by
// default the message attribute key, or the message ID when there is none;
// see KeyTemplate for {sent:LAYOUT}, {shard:N} and the other placeholders).
// A queue fed by SNS or EventBridge names its Envelope: the payload and the
// key's inputs then come out of the notification or the event. A body that
// is an Amazon SQS Extended Client Library pointer, in a bucket the
// Processor's PointerBuckets allow, is stored as a server-side copy of the
// object it names, through a Copier.
// Records upload in parallel, bounded;
// records of one FIFO message group upload in order, and once one fails the
// group's later records are reported failed without being tried.
//
// Whatever cannot be stored before the deadline (less a margin) is listed in
// the response's BatchItemFailures, so SQS redelivers exactly those. A bad
// record never fails its siblings.
//
// The package knows nothing of S3: it writes through the Store interface and
// retries through a retry.Policy.
package batch
