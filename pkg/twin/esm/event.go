package esm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// marshalEvent builds the SQS event Lambda sends for msgs, and returns it
// with its JSON.
func marshalEvent(msgs []types.Message, queueARN, region string) (events.SQSEvent, []byte, error) {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
	for i, m := range msgs {
		r := events.SQSMessage{
			MessageId:              aws.ToString(m.MessageId),
			ReceiptHandle:          aws.ToString(m.ReceiptHandle),
			Body:                   aws.ToString(m.Body),
			Md5OfBody:              aws.ToString(m.MD5OfBody),
			Md5OfMessageAttributes: aws.ToString(m.MD5OfMessageAttributes),
			Attributes:             m.Attributes,
			MessageAttributes:      map[string]events.SQSMessageAttribute{},
			EventSourceARN:         queueARN,
			EventSource:            "aws:sqs",
			AWSRegion:              region,
		}
		if r.Attributes == nil {
			r.Attributes = map[string]string{}
		}
		for k, v := range m.MessageAttributes {
			r.MessageAttributes[k] = events.SQSMessageAttribute{
				StringValue:      v.StringValue,
				BinaryValue:      v.BinaryValue,
				StringListValues: v.StringListValues,
				BinaryListValues: v.BinaryListValues,
				DataType:         aws.ToString(v.DataType),
			}
		}
		ev.Records[i] = r
	}
	b, err := json.Marshal(ev)
	return ev, b, err
}

// parseResponse reads a partial batch response and returns the ids of the
// failed records, or an error when the whole batch must be treated as
// failed (see the package documentation).
func parseResponse(resp []byte, ids []string) ([]string, error) {
	resp = bytes.TrimSpace(resp)
	if len(resp) == 0 || bytes.Equal(resp, []byte("null")) {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(resp, &obj); err != nil {
		return nil, fmt.Errorf("response is not a JSON object: %.100s", resp)
	}
	raw, ok := obj["batchItemFailures"]
	if !ok || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("batchItemFailures is not a list of objects: %.100s", raw)
	}
	inBatch := make(map[string]bool, len(ids))
	for _, id := range ids {
		inBatch[id] = true
	}
	var failed []string
	seen := map[string]bool{}
	for _, it := range items {
		rawID, ok := it["itemIdentifier"]
		if !ok {
			return nil, errors.New("batchItemFailures entry without itemIdentifier")
		}
		var id *string
		if err := json.Unmarshal(rawID, &id); err != nil || id == nil || *id == "" {
			return nil, fmt.Errorf("invalid itemIdentifier %s", rawID)
		}
		if !inBatch[*id] {
			return nil, fmt.Errorf("itemIdentifier %q is not a message of the batch", *id)
		}
		if !seen[*id] {
			seen[*id] = true
			failed = append(failed, *id)
		}
	}
	return failed, nil
}
