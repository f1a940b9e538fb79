package keys

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3uploader/s3uploader/pkg/s3store"
)

// Key returns the full key of rec read without an envelope: Render of
// FieldsOf(rec). It reads only the record's attributes and ID, never its
// body.
func (t *KeyTemplate) Key(rec events.SQSMessage, prefix string) (string, error) {
	return t.Render(FieldsOf(rec), prefix)
}

// Render returns the full key of a message: prefix + the template filled
// from m ({key} falls back to m.ID, {messageId} is m.ID, {sent:LAYOUT}
// reads m.SentTimestamp, {attr:NAME} m.Attributes). A message whose fields
// or rendered key break the key rules gets an *Error with reason
// InvalidKey (InvalidAttribute for an attribute that is not a String), so
// it fails permanently without an S3 call.
func (t *KeyTemplate) Render(m Fields, prefix string) (string, error) {
	if t == nil {
		t = defaultTemplate
	}
	var b strings.Builder
	for _, p := range t.parts {
		v, err := t.value(p, m, prefix)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
	}
	name := b.String()
	if !t.legacy() {
		if err := Validate(prefix, name); err != nil {
			ke := err.(*Error)
			return "", &Error{Reason: ke.Reason, Detail: fmt.Sprintf("KEY_TEMPLATE %s renders %q: %s", t.src, Truncate(name, 128), ke.Detail)}
		}
	}
	key := prefix + name
	if len(key) > s3store.MaxKeyLen {
		return "", invalid("key is %d bytes, over S3's limit of %d", len(key), s3store.MaxKeyLen)
	}
	return key, nil
}

func (t *KeyTemplate) value(p part, m Fields, prefix string) (string, error) {
	switch p.kind {
	case literal:
		return p.text, nil
	case phMessageID:
		return m.ID, nil
	case phKey:
		// The default template checks the key with its prefix, as before
		// templates; others check the whole rendered key at the end.
		if t.legacy() {
			return keyOrID(m, prefix)
		}
		return keyOrID(m, "")
	case phShard:
		k, err := keyOrID(m, "")
		if err != nil {
			return "", err
		}
		h := fnv.New32a()
		h.Write([]byte(k))
		return fmt.Sprintf("%0*d", p.width, h.Sum32()%uint32(p.shards)), nil
	case phSent:
		ms, err := strconv.ParseInt(m.SentTimestamp, 10, 64)
		if err != nil || ms < 0 {
			return "", invalid("KEY_TEMPLATE uses {sent:...} and the record's SentTimestamp is %q, not milliseconds since 1970", Truncate(m.SentTimestamp, 32))
		}
		return time.UnixMilli(ms).UTC().Format(p.text), nil
	case phAttr:
		a, ok := m.Attributes[p.text]
		if !ok {
			return "", invalid("KEY_TEMPLATE uses {attr:%s} and the message has no attribute %q", p.text, p.text)
		}
		s, err := StringAttribute(p.text, a)
		if err != nil {
			return "", err
		}
		if err := Validate("", s); err != nil {
			return "", invalid("attribute %q for {attr:%s} is not a valid key part: %s", p.text, p.text, err.(*Error).Detail)
		}
		return s, nil
	case phGroup:
		g := m.Group
		if g == "" {
			return "", invalid("KEY_TEMPLATE uses {group} and the message has no MessageGroupId (not from a FIFO queue?)")
		}
		if err := Validate("", g); err != nil {
			return "", invalid("MessageGroupId for {group} is not a valid key part: %s", err.(*Error).Detail)
		}
		return g, nil
	}
	return "", fmt.Errorf("keys: unknown template part %d", p.kind)
}

// keyOrID returns the key attribute, checked under prefix, or the message
// ID when there is none.
func keyOrID(m Fields, prefix string) (string, error) {
	a, ok := m.Attributes[AttrKey]
	if !ok {
		return m.ID, nil
	}
	s, err := StringAttribute(AttrKey, a)
	if err != nil {
		return "", err
	}
	if err := Validate(prefix, s); err != nil {
		return "", err
	}
	return s, nil
}
