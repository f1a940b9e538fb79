package keys

import (
	"strconv"
	"strings"
)

// DefaultKeyTemplate is the key of a record when no template is set: the
// key attribute, or the message ID when there is none.
const DefaultKeyTemplate = "{key}"

// Limits of {shard:N}.
const (
	MinShards = 2
	MaxShards = 4096
)

// KeyTemplate names the object of a record, under the prefix. It is built
// only from what is the same on every delivery of a message (its
// attributes, message ID, send time and group), never from the time of
// arrival, so that a redelivery maps to the same key and the conditional
// write stays idempotent.
//
// Placeholders:
//
//	{key}          the key attribute, checked as Validate does; the message ID when there is none
//	{messageId}    the message ID (with an envelope: the SNS MessageId or the event id)
//	{sent:LAYOUT}  the message's SentTimestamp (with an envelope: the notification's Timestamp or
//	               the event's time) in UTC, formatted by time.Format: LAYOUT is
//	               written in Go's reference time (2006 year, 01 month, 02 day, 15 hour,
//	               04 minute, 05 second), e.g. {sent:2006/01/02/15}; strftime forms (%Y) are refused
//	{shard:N}      one of N prefixes (2 to 4096) chosen by the FNV-1a (32-bit) hash of what
//	               {key} gives, in decimal, zero-padded to the width of N-1: {shard:16} is 00 to 15
//	{attr:NAME}    the String message attribute NAME, checked as the key attribute is
//	{group}        the FIFO message group ID (system attribute MessageGroupId), checked likewise
//
// "{{" and "}}" stand for a literal "{" and "}". A KeyTemplate is
// immutable and safe for concurrent use; the nil *KeyTemplate is
// DefaultKeyTemplate.
type KeyTemplate struct {
	src   string
	parts []part
}

type partKind int

const (
	literal partKind = iota
	phKey
	phMessageID
	phSent
	phShard
	phAttr
	phGroup
)

type part struct {
	kind   partKind
	text   string // literal text, the time layout or the attribute name
	shards int
	width  int
}

var defaultTemplate = mustTemplate(DefaultKeyTemplate)

// legacy reports whether t is the default template, which keeps the checks
// and messages of the keys before templates.
func (t *KeyTemplate) legacy() bool { return t.src == DefaultKeyTemplate }

func mustTemplate(s string) *KeyTemplate {
	t, err := NewKeyTemplate(s)
	if err != nil {
		panic(err)
	}
	return t
}

// FixedLen is the number of bytes of fixed text in the template: the
// least any rendered key adds to the prefix.
func (t *KeyTemplate) FixedLen() int {
	if t == nil {
		return 0
	}
	return t.literalLen()
}

func (t *KeyTemplate) literalLen() int {
	n := 0
	for _, p := range t.parts {
		if p.kind == literal {
			n += len(p.text)
		}
	}
	return n
}

// String returns the placeholder as written.
func (p part) String() string {
	switch p.kind {
	case phKey:
		return "{key}"
	case phMessageID:
		return "{messageId}"
	case phGroup:
		return "{group}"
	case phSent:
		return "{sent:" + p.text + "}"
	case phShard:
		return "{shard:" + strconv.Itoa(p.shards) + "}"
	case phAttr:
		return "{attr:" + p.text + "}"
	}
	return strings.NewReplacer("{", "{{", "}", "}}").Replace(p.text)
}

// String returns the template as written.
func (t *KeyTemplate) String() string {
	if t == nil {
		return DefaultKeyTemplate
	}
	return t.src
}

// UsesKey reports whether the template reads the key attribute ({key} or
// {shard:N}).
func (t *KeyTemplate) UsesKey() bool {
	if t == nil {
		t = defaultTemplate
	}
	for _, p := range t.parts {
		if p.kind == phKey || p.kind == phShard {
			return true
		}
	}
	return false
}
