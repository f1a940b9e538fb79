package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3uploader/s3uploader/pkg/keys"
)

// Envelope is the wrapping every body of a queue arrives in. It is set
// explicitly (ENVELOPE), never guessed from a body's shape: with
// EnvelopeSNS a body that is not an SNS notification fails, and with
// EnvelopeNone an SNS notification is stored as it came.
type Envelope int

// The envelopes a queue's bodies can arrive in.
const (
	// EnvelopeNone: the body is the payload (a plain sender, or SNS with
	// raw message delivery on).
	EnvelopeNone Envelope = iota
	// EnvelopeSNS: the body is an SNS notification; the payload is its
	// Message, its message attributes are the notification's.
	EnvelopeSNS
	// EnvelopeEventBridge: the body is an EventBridge event, stored as
	// received.
	EnvelopeEventBridge
)

// ParseEnvelope reads an ENVELOPE value: none (or empty), sns or
// eventbridge, in any case.
func ParseEnvelope(s string) (Envelope, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none":
		return EnvelopeNone, nil
	case "sns":
		return EnvelopeSNS, nil
	case "eventbridge":
		return EnvelopeEventBridge, nil
	}
	return EnvelopeNone, fmt.Errorf("%q is not an envelope: want none, sns or eventbridge", truncate(s, 64))
}

// String returns the envelope's name as ParseEnvelope reads it.
func (e Envelope) String() string {
	switch e {
	case EnvelopeSNS:
		return "sns"
	case EnvelopeEventBridge:
		return "eventbridge"
	}
	return "none"
}

// Message is what a record carries once its envelope is opened: the body
// to store and everything a key template reads. Each field is the same on
// every delivery of the message.
type Message struct {
	// ID names the object by default and fills {messageId}: the SQS
	// messageId, the SNS MessageId or the EventBridge event id. The last two
	// are the same when SNS or EventBridge delivers one message twice, so
	// it is stored once.
	ID   string
	Body string
	// Attributes are the message attributes: the SQS record's, or the SNS
	// notification's MessageAttributes.
	Attributes map[string]events.SQSMessageAttribute
	// SentTimestamp is the send time in milliseconds since 1970, as SQS
	// writes it: the record's SentTimestamp, the notification's Timestamp
	// or the event's time.
	SentTimestamp string
	Group         string // the FIFO message group ID; empty for standard queues
	Envelope      Envelope
}

// Fields returns what a key template reads from m.
func (m Message) Fields() keys.Fields {
	return keys.Fields{ID: m.ID, Attributes: m.Attributes, SentTimestamp: m.SentTimestamp, Group: m.Group}
}

// MessageOf returns the message of a record without an envelope (its ID
// as keys.FieldsOf reads it).
func MessageOf(rec events.SQSMessage) Message {
	f := keys.FieldsOf(rec)
	return Message{ID: f.ID, Body: rec.Body, Attributes: f.Attributes, SentTimestamp: f.SentTimestamp, Group: f.Group}
}

// Open returns the message rec carries in envelope e. A body that is not
// the envelope gets an *InputError with reason InvalidEnvelope naming what
// is wrong or missing; it never quotes the body.
func (e Envelope) Open(rec events.SQSMessage) (Message, error) {
	m := MessageOf(rec)
	m.Envelope = e
	switch e {
	case EnvelopeSNS:
		return openSNS(m)
	case EnvelopeEventBridge:
		return openEventBridge(m)
	}
	return m, nil
}

func envelopeErr(e Envelope, format string, args ...any) *InputError {
	what := map[Envelope]string{EnvelopeSNS: "an SNS notification", EnvelopeEventBridge: "an EventBridge event"}[e]
	return inputErr("InvalidEnvelope", "body is not %s (ENVELOPE=%s): %s", what, e, fmt.Sprintf(format, args...))
}

// jsonFields decodes a body that must be a JSON object into its fields, by
// exact (case-sensitive) name. Its errors say where the JSON breaks, never
// what the body holds.
func jsonFields(e Envelope, body string) (map[string]json.RawMessage, error) {
	if !utf8.ValidString(body) {
		return nil, envelopeErr(e, "it is not valid UTF-8")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &fields); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return nil, envelopeErr(e, "it is not JSON (syntax error at byte %d of %d)", syn.Offset, len(body))
		case errors.As(err, &typ):
			return nil, envelopeErr(e, "it is a JSON %s, not an object", typ.Value)
		}
		return nil, envelopeErr(e, "it is not a JSON object")
	}
	if fields == nil {
		return nil, envelopeErr(e, "it is JSON null, not an object")
	}
	return fields, nil
}

// need names every one of the required fields that is missing or null.
func need(e Envelope, fields map[string]json.RawMessage, names ...string) error {
	var missing []string
	for _, name := range names {
		if raw, ok := fields[name]; !ok || string(raw) == "null" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return envelopeErr(e, "missing %s", strings.Join(missing, ", "))
	}
	return nil
}

// stringFields decodes the named fields of an envelope, each a JSON
// string, and names every one that is not a string.
func stringFields(e Envelope, fields map[string]json.RawMessage, names ...string) (map[string]string, error) {
	out := make(map[string]string, len(names))
	var notString []string
	for _, name := range names {
		var s string
		if err := json.Unmarshal(fields[name], &s); err != nil {
			notString = append(notString, name)
			continue
		}
		out[name] = s
	}
	if len(notString) > 0 {
		return nil, envelopeErr(e, "not a string: %s", strings.Join(notString, ", "))
	}
	return out, nil
}

// envelopeID checks an envelope's ID, which names the object by default.
func envelopeID(e Envelope, field, id string) error {
	if id == "" {
		return envelopeErr(e, "%s is empty", field)
	}
	if len(id) > 256 {
		return envelopeErr(e, "%s is %d bytes, over 256", field, len(id))
	}
	if err := keys.Validate("", id); err != nil {
		return envelopeErr(e, "%s cannot name an object: %s", field, err.(*keys.Error).Detail)
	}
	return nil
}

// envelopeTime reads an envelope's RFC 3339 time as milliseconds since
// 1970, SentTimestamp's form.
func envelopeTime(e Envelope, field, s string) (string, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() < 1970 {
		return "", envelopeErr(e, "%s is not an RFC 3339 time after 1970, like 2026-12-02T03:04:05.678Z", field)
	}
	return strconv.FormatInt(t.UnixMilli(), 10), nil
}
