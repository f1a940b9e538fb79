package record

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3uploader/s3uploader/pkg/keys"
)

// Message attributes the function reads.
const (
	AttrKey             = keys.AttrKey
	AttrContentType     = "content-type"
	AttrContentEncoding = "content-encoding"
)

// Item is a record ready to store.
type Item struct {
	MessageID   string
	Key         string // full key, prefix included
	Body        []byte // the payload; nil when Pointer is set
	ContentType string
	Group       string // FIFO message group ID; empty for standard queues
	// Pointer, when set, names the payload S3 already holds: the object
	// is a server-side copy of it, and Body is empty.
	Pointer *Pointer
}

// InputError is a record that can never be stored as sent: a permanent
// failure, decided before any S3 call.
type InputError struct {
	Reason string // a stable name for logs and tests, e.g. "InvalidKey"
	Detail string
}

func (e *InputError) Error() string        { return e.Reason + ": " + e.Detail }
func (e *InputError) RetryableError() bool { return false }
func (e *InputError) ErrorCode() string    { return e.Reason }

func inputErr(reason, format string, args ...any) *InputError {
	return &InputError{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// keysErr carries a key's *keys.Error over as an *InputError.
func keysErr(err error) error {
	if ke, ok := err.(*keys.Error); ok {
		return &InputError{Reason: ke.Reason, Detail: ke.Detail}
	}
	return err
}

// Parse turns an SQS record into an Item under prefix, named by
// keys.DefaultKeyTemplate, or returns an *InputError naming what is wrong
// with it.
func Parse(rec events.SQSMessage, prefix string) (Item, error) {
	return Parser{Prefix: prefix}.Parse(rec)
}

// Parser turns SQS records into Items. Its zero value parses bodies without
// an envelope, names them by keys.DefaultKeyTemplate without a prefix and treats
// pointers as plain bodies. A Parser is safe for concurrent use.
type Parser struct {
	Prefix      string            // prepended to every key
	KeyTemplate *keys.KeyTemplate // nil: keys.DefaultKeyTemplate
	Envelope    Envelope          // what every body arrives in
	// PointerBuckets are the buckets an Extended Client Library pointer
	// may name; empty, pointers are plain bodies, stored as they came.
	PointerBuckets []string
}

// Parse turns rec into an Item, or returns an *InputError naming what is
// wrong with it: InvalidEnvelope, InvalidKey, InvalidAttribute,
// InvalidContentType, InvalidBase64, UnsupportedContentEncoding,
// InvalidPointer or PointerNotAllowed.
//
// With EnvelopeSNS the payload is the notification's Message, read with
// the notification's attributes; with EnvelopeEventBridge it is the event
// as received, with Content-Type application/json, and the record's
// content-type and content-encoding attributes are not read.
func (p Parser) Parse(rec events.SQSMessage) (Item, error) {
	it := Item{MessageID: rec.MessageId, Group: rec.Attributes["MessageGroupId"]}
	if rec.MessageId == "" {
		return it, inputErr("MissingMessageId", "record has no messageId")
	}
	m, err := p.Envelope.Open(rec)
	if err != nil {
		return it, err
	}
	key, err := p.KeyTemplate.Render(m.Fields(), p.Prefix)
	if err != nil {
		return it, keysErr(err)
	}
	it.Key = key
	if m.Envelope == EnvelopeEventBridge {
		it.Body, it.ContentType = []byte(m.Body), ContentTypeJSON
		return it, nil
	}
	if a, ok := m.Attributes[AttrContentType]; ok {
		s, err := stringAttr(AttrContentType, a)
		if err != nil {
			return it, err
		}
		if s == "" || len(s) > 256 || strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0 {
			return it, inputErr("InvalidContentType", "content-type must be 1 to 256 printable ASCII characters")
		}
		it.ContentType = s
	}
	enc := ""
	if a, ok := m.Attributes[AttrContentEncoding]; ok {
		s, err := stringAttr(AttrContentEncoding, a)
		if err != nil {
			return it, err
		}
		enc = strings.ToLower(strings.TrimSpace(s))
	}
	if len(p.PointerBuckets) > 0 {
		ptr, err := parsePointer(m, p.PointerBuckets)
		if err != nil {
			return it, err
		}
		if ptr != nil {
			if enc != "" && enc != "identity" {
				return it, inputErr("InvalidPointer", "content-encoding %q cannot apply to a pointer: its payload is copied as S3 holds it", truncate(enc, 64))
			}
			it.Pointer = ptr
			return it, nil
		}
	}
	switch enc {
	case "", "identity":
		it.Body = []byte(m.Body)
	case "base64":
		b, err := base64.StdEncoding.Strict().DecodeString(m.Body)
		if err != nil {
			return it, inputErr("InvalidBase64", "body is not valid base64: %v", err)
		}
		it.Body = b
	default:
		return it, inputErr("UnsupportedContentEncoding", "content-encoding %q is not supported (use base64 or none)", truncate(enc, 64))
	}
	return it, nil
}

func stringAttr(name string, a events.SQSMessageAttribute) (string, error) {
	v, err := keys.StringAttribute(name, a)
	return v, keysErr(err)
}

func truncate(s string, n int) string { return keys.Truncate(s, n) }
