package batch

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Key returns the full key of rec: prefix + the rendered template. It reads
// only the record's attributes and ID, never its body. A record whose
// inputs or rendered key break the key rules gets an *InputError with
// reason InvalidKey (InvalidAttribute for an attribute that is not a
// String), so it fails permanently without an S3 call.
func (t *KeyTemplate) Key(rec events.SQSMessage, prefix string) (string, error) {
	return t.MessageKey(MessageOf(rec), prefix)
}

// MessageKey is Key for a message out of its envelope (see Envelope.Open):
// {key} falls back to m.ID, {messageId} is m.ID, {sent:LAYOUT} reads
// m.SentTimestamp and {attr:NAME} m.Attributes.
func (t *KeyTemplate) MessageKey(m Message, prefix string) (string, error) {
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
		if err := ValidateKey(prefix, name); err != nil {
			ie := err.(*InputError)
			return "", inputErr(ie.Reason, "KEY_TEMPLATE %s renders %q: %s", t.src, truncate(name, 128), ie.Detail)
		}
	}
	key := prefix + name
	if len(key) > MaxKeyLen {
		return "", inputErr("InvalidKey", "key is %d bytes, over S3's limit of %d", len(key), MaxKeyLen)
	}
	return key, nil
}

func (t *KeyTemplate) value(p part, m Message, prefix string) (string, error) {
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
			return "", inputErr("InvalidKey", "KEY_TEMPLATE uses {sent:...} and the record's SentTimestamp is %q, not milliseconds since 1970", truncate(m.SentTimestamp, 32))
		}
		return time.UnixMilli(ms).UTC().Format(p.text), nil
	case phAttr:
		a, ok := m.Attributes[p.text]
		if !ok {
			return "", inputErr("InvalidKey", "KEY_TEMPLATE uses {attr:%s} and the message has no attribute %q", p.text, p.text)
		}
		s, err := stringAttr(p.text, a)
		if err != nil {
			return "", err
		}
		if err := ValidateKey("", s); err != nil {
			return "", inputErr("InvalidKey", "attribute %q for {attr:%s} is not a valid key part: %s", p.text, p.text, err.(*InputError).Detail)
		}
		return s, nil
	case phGroup:
		g := m.Group
		if g == "" {
			return "", inputErr("InvalidKey", "KEY_TEMPLATE uses {group} and the message has no MessageGroupId (not from a FIFO queue?)")
		}
		if err := ValidateKey("", g); err != nil {
			return "", inputErr("InvalidKey", "MessageGroupId for {group} is not a valid key part: %s", err.(*InputError).Detail)
		}
		return g, nil
	}
	return "", fmt.Errorf("batch: unknown template part %d", p.kind)
}

// keyOrID returns the key attribute, checked under prefix, or the message
// ID when there is none.
func keyOrID(m Message, prefix string) (string, error) {
	a, ok := m.Attributes[AttrKey]
	if !ok {
		return m.ID, nil
	}
	s, err := stringAttr(AttrKey, a)
	if err != nil {
		return "", err
	}
	if err := ValidateKey(prefix, s); err != nil {
		return "", err
	}
	return s, nil
}
