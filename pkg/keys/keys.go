// Package keys names the object of a message: the key template, rendered
// from what is the same on every delivery (attributes, ID, send time,
// group), and the rules that keep every key under its prefix.
package keys

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3uploader/s3uploader/pkg/s3store"
)

// AttrKey is the message attribute that names the object ({key}).
const AttrKey = "key"

// Fields are what a KeyTemplate reads from a message: each the same on
// every delivery of it, so a redelivery maps to the same key.
type Fields struct {
	// ID fills {messageId} and stands in for a missing key attribute.
	ID         string
	Attributes map[string]events.SQSMessageAttribute
	// SentTimestamp is the send time in milliseconds since 1970, as SQS
	// writes it.
	SentTimestamp string
	Group         string // the FIFO message group ID; empty for standard queues
}

// AttrOriginalID is the String attribute with which a dead letter names
// the message it was (package sqsroute sets it). When a dead letter is
// moved back to its queue it comes with a new messageId; this attribute
// then stands for it, so the message keeps the key it had and the
// conditional write recognises what was already stored.
const AttrOriginalID = "failure.messageId"

// FieldsOf returns the fields of a record read as it came, without an
// envelope. Its ID is the record's messageId, or the AttrOriginalID
// attribute when the record has one.
func FieldsOf(rec events.SQSMessage) Fields {
	id := rec.MessageId
	if a, ok := rec.MessageAttributes[AttrOriginalID]; ok && a.StringValue != nil && *a.StringValue != "" {
		id = *a.StringValue
	}
	return Fields{
		ID:            id,
		Attributes:    rec.MessageAttributes,
		SentTimestamp: rec.Attributes["SentTimestamp"],
		Group:         rec.Attributes["MessageGroupId"],
	}
}

// Error is a message whose key cannot be rendered: Reason is InvalidKey,
// or InvalidAttribute for an attribute the template reads that is not a
// String. It is permanent: no retry makes it valid.
type Error struct {
	Reason string
	Detail string
}

func (e *Error) Error() string        { return e.Reason + ": " + e.Detail }
func (e *Error) RetryableError() bool { return false }
func (e *Error) ErrorCode() string    { return e.Reason }

func invalid(format string, args ...any) *Error {
	return &Error{Reason: "InvalidKey", Detail: fmt.Sprintf(format, args...)}
}

// StringAttribute returns the value of a String message attribute, or an
// *Error with reason InvalidAttribute when a is of another type.
func StringAttribute(name string, a events.SQSMessageAttribute) (string, error) {
	if a.StringValue == nil || (a.DataType != "" && !strings.HasPrefix(a.DataType, "String")) {
		return "", &Error{Reason: "InvalidAttribute", Detail: fmt.Sprintf("message attribute %q must be a String, not %q", name, Truncate(a.DataType, 64))}
	}
	return *a.StringValue, nil
}

// Validate checks a key part as a sender gives it: valid UTF-8, not empty,
// no leading '/', no control characters, no "." or ".." segment, and
// prefix+key within s3store.MaxKeyLen bytes. A valid key never names an
// object outside prefix. Its error is an *Error with reason InvalidKey.
func Validate(prefix, key string) error {
	q := strconv.Quote(Truncate(key, 64)) // escaped: safe in a log line
	switch {
	case key == "":
		return invalid("key attribute is empty")
	case !utf8.ValidString(key):
		return invalid("key %s is not valid UTF-8", q)
	case strings.HasPrefix(key, "/"):
		return invalid("key %s starts with '/'", q)
	case len(prefix)+len(key) > s3store.MaxKeyLen:
		return invalid("key %s is %d bytes with its prefix, over S3's limit of %d", q, len(prefix)+len(key), s3store.MaxKeyLen)
	}
	if i := strings.IndexFunc(key, unicode.IsControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(key[i:])
		return invalid("key %s contains a control character, %U at byte %d", q, r, i)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == ".." || seg == "." {
			return invalid("key %s has a %q segment", q, seg)
		}
	}
	return nil
}

// Truncate cuts s to n bytes, marking the cut with "…", for error details
// that quote what a sender wrote.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
