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
	Body        []byte
	ContentType string
	Group       string // FIFO message group ID; empty for standard queues
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
	return ParseWith(rec, prefix, nil)
}

// ParseWith is Parse with the key named by tmpl (nil: DefaultKeyTemplate).
func ParseWith(rec events.SQSMessage, prefix string, tmpl *KeyTemplate) (Item, error) {
	it := Item{MessageID: rec.MessageId, Group: rec.Attributes["MessageGroupId"]}
	if rec.MessageId == "" {
		return it, inputErr("MissingMessageId", "record has no messageId")
	}
	key, err := tmpl.Key(rec, prefix)
	if err != nil {
		return it, err
	}
	it.Key = key
	if a, ok := rec.MessageAttributes[AttrContentType]; ok {
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
	if a, ok := rec.MessageAttributes[AttrContentEncoding]; ok {
		s, err := stringAttr(AttrContentEncoding, a)
		if err != nil {
			return it, err
		}
		enc = strings.ToLower(strings.TrimSpace(s))
	}
	switch enc {
	case "", "identity":
		it.Body = []byte(rec.Body)
	case "base64":
		b, err := base64.StdEncoding.Strict().DecodeString(rec.Body)
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
