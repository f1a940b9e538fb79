package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3uploader/s3uploader/pkg/loadgen"
	"github.com/s3uploader/s3uploader/pkg/record"
	"github.com/s3uploader/s3uploader/pkg/twin/moto"
)

// pointerBucket is where -pointer leaves the payloads, as a sender using
// the SQS Extended Client Library does; the stack is deployed with
// pointerBuckets naming it.
const pointerBucket = "s3uploader-demo-payloads"

// sqsMaxBody is the largest message body SQS takes (1 MiB): -pointer
// payloads are larger.
const sqsMaxBody = 1 << 20

// checkForms refuses combinations the forms cannot make, before anything
// starts, and sets the context the function needs for them.
func checkForms(cfg *Config) error {
	env, err := record.ParseEnvelope(cfg.Envelope)
	if err != nil || (cfg.Envelope != "" && cfg.Envelope != env.String()) {
		return fmt.Errorf("-envelope %q: want none, sns or eventbridge", cfg.Envelope)
	}
	if cfg.Pointer && env == record.EnvelopeEventBridge {
		return fmt.Errorf("-pointer with -envelope eventbridge: an EventBridge event carries no message attributes, so no Extended Client Library pointer")
	}
	if cfg.Pointer && cfg.Size <= sqsMaxBody {
		return fmt.Errorf("-pointer: -size %d fits in an SQS message; a pointer is for a payload over SQS's %d bytes", cfg.Size, sqsMaxBody)
	}
	if cfg.Ctx == nil {
		cfg.Ctx = contextFlags{}
	}
	if env != record.EnvelopeNone {
		cfg.Ctx["envelope"] = env.String()
	}
	if cfg.Pointer {
		cfg.Ctx["pointerBuckets"] = pointerBucket
	}
	return nil
}

// formText names the form the messages are sent in, for the story.
func formText(cfg Config) string {
	s := "plain bodies"
	switch cfg.Envelope {
	case "sns":
		s = "SNS notifications"
	case "eventbridge":
		s = "EventBridge events"
	}
	switch cfg.Source {
	case sourceSNS:
		s = "messages published to the SNS topic " + topicName(cfg) + ", which moto's SNS delivers in its notifications"
	case sourceEventBridge:
		s = "events put on the default bus, which moto's EventBridge delivers by the stack's rule"
	}
	if cfg.Pointer {
		s += " carrying Extended Client Library pointers to s3://" + pointerBucket
	}
	if cfg.Groups > 0 {
		s += fmt.Sprintf(" in %d FIFO message groups", cfg.Groups)
	}
	return s
}

// shape turns the generated messages into the form the run sends: each
// payload left in the pointer bucket and a pointer sent instead (-pointer),
// then wrapped in an SNS notification or made an EventBridge event
// (-envelope). A message's Payload stays what its object must hold: the
// payload for a pointer or a notification, the event itself for
// EventBridge, which is stored as received.
func shape(ctx context.Context, c clients, cfg Config, run string, msgs []loadgen.Message) ([]loadgen.Message, error) {
	if cfg.Pointer {
		if _, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(pointerBucket)}); err != nil {
			return nil, fmt.Errorf("create the pointer bucket s3://%s: %w", pointerBucket, err)
		}
	}
	out := make([]loadgen.Message, len(msgs))
	for i, m := range msgs {
		if cfg.Pointer {
			key := fmt.Sprintf("payloads/%s/%d", run, i)
			if _, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(pointerBucket), Key: aws.String(key),
				Body: bytes.NewReader(m.Payload)}); err != nil {
				return nil, fmt.Errorf("leave payload %d in s3://%s: %w", i, pointerBucket, err)
			}
			body, _ := json.Marshal([]any{record.PointerClass, map[string]string{"s3BucketName": pointerBucket, "s3Key": key}})
			m.Body, m.Base64 = string(body), false
			m.Numbers = map[string]string{record.AttrExtendedPayloadSize: strconv.Itoa(len(m.Payload))}
		}
		switch cfg.Envelope {
		case "sns":
			m.Body = snsNotification(fmt.Sprintf("%s-%d", run, i), m)
			// SNS carries the attributes in the notification: the queue's
			// message has none of its own but what the sender adds.
			m.Numbers = nil
		case "eventbridge":
			m.Body = eventBridgeEvent(fmt.Sprintf("%s-%d", run, i), m)
			m.Payload, m.Base64 = []byte(m.Body), false
		}
		out[i] = m
	}
	return out, nil
}

// snsNotification is m as SNS delivers it to a queue without raw message
// delivery: the body in Message, the attributes in MessageAttributes.
func snsNotification(id string, m loadgen.Message) string {
	attrs := map[string]any{
		record.AttrKey: map[string]string{"Type": "String", "Value": m.Key},
	}
	if m.Base64 {
		attrs[record.AttrContentEncoding] = map[string]string{"Type": "String", "Value": "base64"}
	}
	for k, v := range m.Numbers {
		attrs[k] = map[string]string{"Type": "Number", "Value": v}
	}
	b, _ := json.Marshal(map[string]any{
		"Type": "Notification", "MessageId": id, "TopicArn": "arn:aws:sns:" + moto.Region + ":" + moto.AccountID + ":s3uploader-demo",
		"Message": m.Body, "Timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), "MessageAttributes": attrs,
		"SignatureVersion": "1", "Signature": "ZGVtbw==", "SigningCertURL": "https://sns." + moto.Region + ".amazonaws.com/demo.pem",
		"UnsubscribeURL": "https://sns." + moto.Region + ".amazonaws.com/?Action=Unsubscribe",
	})
	return string(b)
}

// eventBridgeEvent is m as an EventBridge rule delivers it to a queue: the
// body (as sent, text or base64) in the event's detail.
func eventBridgeEvent(id string, m loadgen.Message) string {
	b, _ := json.Marshal(map[string]any{
		"version": "0", "id": id, "detail-type": "Demo Upload", "source": "s3uploader.demo",
		"account": moto.AccountID, "time": time.Now().UTC().Format(time.RFC3339), "region": moto.Region,
		"resources": []string{}, "detail": map[string]any{"key": m.Key, "body": m.Body, "base64": m.Base64},
	})
	return string(b)
}
