package batch

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Message attributes the function reads.
const (
	AttrKey             = "key"
	AttrContentType     = "content-type"
	AttrContentEncoding = "content-encoding"
)

// MaxKeyLen is S3's limit on the length of a key, prefix included, in bytes.
const MaxKeyLen = 1024

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

// Parse turns an SQS record into an Item under prefix, named by
// DefaultKeyTemplate, or returns an *InputError naming what is wrong with it.
func Parse(rec events.SQSMessage, prefix string) (Item, error) {
	return Parser{Prefix: prefix}.Parse(rec)
}

// ParseWith is Parse with the key named by tmpl (nil: DefaultKeyTemplate).
func ParseWith(rec events.SQSMessage, prefix string, tmpl *KeyTemplate) (Item, error) {
	return Parser{Prefix: prefix, KeyTemplate: tmpl}.Parse(rec)
}

// Parser turns SQS records into Items. Its zero value parses bodies without
// an envelope, names them by DefaultKeyTemplate without a prefix and treats
// pointers as plain bodies. A Parser is safe for concurrent use.
type Parser struct {
	Prefix      string       // prepended to every key
	KeyTemplate *KeyTemplate // nil: DefaultKeyTemplate
	Envelope    Envelope     // what every body arrives in
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
	key, err := p.KeyTemplate.MessageKey(m, p.Prefix)
	if err != nil {
		return it, err
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

// Key returns the key rec would be stored under, or an *InputError; it
// opens the envelope but decodes no payload.
func (p Parser) Key(rec events.SQSMessage) (string, error) {
	m, err := p.Envelope.Open(rec)
	if err != nil {
		return "", err
	}
	return p.KeyTemplate.MessageKey(m, p.Prefix)
}

func stringAttr(name string, a events.SQSMessageAttribute) (string, error) {
	if a.StringValue == nil || (a.DataType != "" && !strings.HasPrefix(a.DataType, "String")) {
		return "", inputErr("InvalidAttribute", "message attribute %q must be a String, not %q", name, truncate(a.DataType, 64))
	}
	return *a.StringValue, nil
}

// ValidateKey checks a key attribute: valid UTF-8, not empty, no leading '/',
// no control characters, no "." or ".." segment, and prefix+key within
// MaxKeyLen bytes. A valid key never names an object outside prefix.
func ValidateKey(prefix, key string) error {
	switch {
	case key == "":
		return inputErr("InvalidKey", "key attribute is empty")
	case !utf8.ValidString(key):
		return inputErr("InvalidKey", "key is not valid UTF-8")
	case strings.HasPrefix(key, "/"):
		return inputErr("InvalidKey", "key starts with '/'")
	case strings.IndexFunc(key, unicode.IsControl) >= 0:
		return inputErr("InvalidKey", "key contains a control character")
	case len(prefix)+len(key) > MaxKeyLen:
		return inputErr("InvalidKey", "key is %d bytes with its prefix, over S3's limit of %d", len(prefix)+len(key), MaxKeyLen)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == ".." || seg == "." {
			return inputErr("InvalidKey", "key has a %q segment", seg)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
