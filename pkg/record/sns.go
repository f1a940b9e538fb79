package record

import (
	"encoding/json"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// snsAttribute is a message attribute as an SNS notification writes it.
type snsAttribute struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// openSNS unwraps an SNS notification, as SNS delivers it to a queue
// without raw message delivery:
//
//	{"Type":"Notification","MessageId":"...","TopicArn":"...","Message":"...",
//	 "Timestamp":"2026-12-02T03:04:05.678Z","MessageAttributes":{"key":{"Type":"String","Value":"..."}}, ...}
//
// The message's body is Message, its attributes the notification's
// MessageAttributes (String and Number values; Binary ones have no string
// value), its ID the SNS MessageId and its send time the Timestamp.
func openSNS(m Message) (Message, error) {
	const e = EnvelopeSNS
	fields, err := jsonFields(e, m.Body)
	if err != nil {
		return m, err
	}
	names := []string{"Type", "MessageId", "TopicArn", "Message", "Timestamp"}
	if err := need(e, fields, names...); err != nil {
		return m, err
	}
	s, err := stringFields(e, fields, names...)
	if err != nil {
		return m, err
	}
	if s["Type"] != "Notification" {
		what := "another type"
		switch s["Type"] {
		case "SubscriptionConfirmation", "UnsubscribeConfirmation":
			what = s["Type"]
		}
		return m, envelopeErr(e, `Type is %s, not "Notification"`, what)
	}
	if err := envelopeID(e, "MessageId", s["MessageId"]); err != nil {
		return m, err
	}
	if !strings.HasPrefix(s["TopicArn"], "arn:") {
		return m, envelopeErr(e, "TopicArn is not an ARN")
	}
	sent, err := envelopeTime(e, "Timestamp", s["Timestamp"])
	if err != nil {
		return m, err
	}
	attrs := map[string]events.SQSMessageAttribute{}
	if raw, ok := fields["MessageAttributes"]; ok && string(raw) != "null" {
		var in map[string]snsAttribute
		if err := json.Unmarshal(raw, &in); err != nil {
			return m, envelopeErr(e, `MessageAttributes is not an object of {"Type","Value"} attributes`)
		}
		for name, a := range in {
			if a.Type == "" {
				return m, envelopeErr(e, "message attribute %q has no Type", truncate(name, 64))
			}
			attr := events.SQSMessageAttribute{DataType: a.Type}
			if !strings.HasPrefix(a.Type, "Binary") {
				v := a.Value
				attr.StringValue = &v
			}
			attrs[name] = attr
		}
	}
	m.ID = s["MessageId"]
	m.Body = s["Message"]
	m.Attributes = attrs
	m.SentTimestamp = sent
	return m, nil
}
