// Package loadgen makes the messages the uploader function consumes and
// sends them to an SQS queue with SendMessageBatch.
//
// A message's body is the object's content, as text or base64; its
// message attributes carry the object key ("key"), "content-type" and, for
// base64, "content-encoding". Messages are deterministic for a Spec: the
// demo and the tests regenerate them to check what landed in S3 byte for
// byte. Poison messages carry a key the function must refuse ("../...").
package loadgen
