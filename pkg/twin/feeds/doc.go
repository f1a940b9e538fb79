// Package feeds publishes to the two services that can feed the uploader's
// queue, SNS topics and EventBridge buses, on a local AWS (moto) or any
// endpoint that speaks their protocols: SNS's query protocol (form-encoded
// requests, XML answers) and EventBridge's JSON 1.1. So the local twin
// sends through them and the envelope in the queue is written by the
// service, not by the sender.
//
// It is a small client of the few operations the twin needs, signed with
// Signature Version 4 by the SDK's signer: this module's SDK clients are
// those of the services the stack itself uses, and the twin adds none.
// Errors from the service are *APIError values carrying its code.
package feeds
