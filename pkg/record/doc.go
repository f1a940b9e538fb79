// Package record decodes an SQS record into what is stored: the payload
// (the body byte for byte, base64-decoded when the message attribute
// content-encoding says so), its content type and its key (package keys),
// out of the envelope the queue's bodies arrive in (none, an SNS
// notification or an EventBridge event). A body that is an Amazon SQS
// Extended Client Library pointer, in a bucket the Parser allows, is
// recognised as a Pointer to the payload S3 already holds.
//
// A record that can never be stored as sent gets an *InputError naming
// why (InvalidKey, InvalidBase64, InvalidEnvelope, ...), before any S3
// call. The package does no I/O.
package record
