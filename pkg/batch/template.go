package batch

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
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
//	{key}          the key attribute, checked as ValidateKey does; the message ID when there is none
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

const knownPlaceholders = "{key}, {messageId}, {sent:LAYOUT}, {shard:N}, {attr:NAME}, {group}"

// NewKeyTemplate parses s. It refuses, with an error saying why, a template
// that does not parse, uses an unknown placeholder, could give an empty key
// or one that leaves the prefix (a leading "/", a "." or ".." segment), or
// can never be unique per message (neither {key} nor {messageId} in it).
func NewKeyTemplate(s string) (*KeyTemplate, error) {
	t := &KeyTemplate{src: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{kind: literal, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '{' && strings.HasPrefix(s[i:], "{{"):
			lit.WriteByte('{')
			i += 2
		case c == '}' && strings.HasPrefix(s[i:], "}}"):
			lit.WriteByte('}')
			i += 2
		case c == '}':
			return nil, fmt.Errorf(`"}" at byte %d closes no placeholder (write "}}" for a literal one)`, i)
		case c == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf(`"{" at byte %d is never closed`, i)
			}
			p, err := parsePlaceholder(s[i+1 : i+end])
			if err != nil {
				return nil, err
			}
			flush()
			t.parts = append(t.parts, p)
			i += end + 1
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	if err := t.check(); err != nil {
		return nil, err
	}
	return t, nil
}

func parsePlaceholder(body string) (part, error) {
	name, arg, hasArg := strings.Cut(body, ":")
	noArg := func(p part) (part, error) {
		if hasArg {
			return p, fmt.Errorf("placeholder {%s} takes no argument: write {%s}", body, name)
		}
		return p, nil
	}
	switch name {
	case "":
		return part{}, fmt.Errorf("empty placeholder {%s} (known: %s)", body, knownPlaceholders)
	case "key":
		return noArg(part{kind: phKey})
	case "messageId":
		return noArg(part{kind: phMessageID})
	case "group":
		return noArg(part{kind: phGroup})
	case "sent":
		return sentPlaceholder(body, arg)
	case "shard":
		n, err := strconv.Atoi(arg)
		if err != nil || n < MinShards || n > MaxShards {
			return part{}, fmt.Errorf("{%s}: want {shard:N} with N a whole number of prefixes from %d to %d", body, MinShards, MaxShards)
		}
		return part{kind: phShard, shards: n, width: len(strconv.Itoa(n - 1))}, nil
	case "attr":
		if !validAttrName(arg) {
			return part{}, fmt.Errorf("{%s}: want {attr:NAME} with NAME a message attribute name (1 to 256 letters, digits, '_', '-' or '.')", body)
		}
		return part{kind: phAttr, text: arg}, nil
	}
	return part{}, fmt.Errorf("unknown placeholder {%s} (known: %s)", body, knownPlaceholders)
}

// Two instants that differ in every element of a layout, to tell a layout
// that formats the time from one that is constant text.
var (
	layoutProbeA = time.Date(2006, 1, 2, 15, 4, 5, 123456789, time.UTC)
	layoutProbeB = time.Date(2017, 11, 28, 22, 53, 38, 987654321, time.UTC)
)

func sentPlaceholder(body, layout string) (part, error) {
	const how = "write LAYOUT in Go's reference time (2006 year, 01 month, 02 day, 15 hour, 04 minute, 05 second), e.g. {sent:2006/01/02/15}"
	switch {
	case layout == "":
		return part{}, fmt.Errorf("{%s} needs a layout: %s", body, how)
	case strings.Contains(layout, "%"):
		return part{}, fmt.Errorf("{%s} looks like a strftime layout, which is not supported: %s", body, how)
	case layoutProbeA.Format(layout) == layoutProbeB.Format(layout):
		return part{}, fmt.Errorf("{%s} has no element of Go's reference time, so it would give every message the same text: %s", body, how)
	}
	return part{kind: phSent, text: layout}, nil
}

func validAttrName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// check refuses templates whose keys could be empty, leave the prefix or
// never be unique, judged from the template alone.
func (t *KeyTemplate) check() error {
	if len(t.parts) == 0 {
		return errors.New("is empty: every key would be empty (leave it unset for the default, " + DefaultKeyTemplate + ")")
	}
	unique := false
	for _, p := range t.parts {
		if p.kind == phKey || p.kind == phMessageID {
			unique = true
		}
		if p.kind != literal {
			continue
		}
		switch {
		case !utf8.ValidString(p.text):
			return errors.New("is not valid UTF-8")
		case strings.IndexFunc(p.text, unicode.IsControl) >= 0:
			return errors.New("contains a control character")
		}
	}
	if first := t.parts[0]; first.kind == literal && strings.HasPrefix(first.text, "/") ||
		first.kind == phSent && strings.HasPrefix(layoutProbeA.Format(first.text), "/") {
		return errors.New(`starts with "/": keys are relative to KEY_PREFIX`)
	}
	for _, p := range t.parts {
		if p.kind != phSent {
			continue
		}
		out := layoutProbeA.Format(p.text)
		if !utf8.ValidString(out) || strings.IndexFunc(out, unicode.IsControl) >= 0 {
			return fmt.Errorf("{sent:%s} gives invalid UTF-8 or a control character", p.text)
		}
		for seg := range strings.SplitSeq(out, "/") {
			if seg == "." || seg == ".." {
				return fmt.Errorf("{sent:%s} gives a %q segment: a key must stay under KEY_PREFIX", p.text, seg)
			}
		}
	}
	if n := t.literalLen(); n > MaxKeyLen {
		return fmt.Errorf("has %d bytes of fixed text, over S3's key limit of %d", n, MaxKeyLen)
	}
	for _, seg := range t.segments() {
		dots, others := seg.dotsOnly()
		switch {
		case !dots:
		case !others:
			return fmt.Errorf("has a %q segment: a key must stay under KEY_PREFIX", seg.text)
		case seg.mayHoldSlash:
			return fmt.Errorf("has a segment %q of dots and placeholders, which could render as \".\" or \"..\" and leave KEY_PREFIX", seg.text)
		}
	}
	if !unique {
		return errors.New("has neither {key} nor {messageId}, so two messages could get the same key and all but the first would fail as a Conflict")
	}
	return nil
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

// segment is one '/'-separated stretch of the template, as written.
type segment struct {
	text         string // as written, placeholders in braces
	lits         []string
	placeholders int
	mayHoldSlash bool // holds a placeholder whose value may hold or start a '/'
}

// dotsOnly reports whether the segment's fixed text is all dots (and not
// empty), and whether the segment holds placeholders too.
func (s segment) dotsOnly() (dots, others bool) {
	lit := strings.Join(s.lits, "")
	return lit != "" && strings.Trim(lit, ".") == "", s.placeholders > 0
}

func (t *KeyTemplate) segments() []segment {
	var segs []segment
	cur := segment{}
	for _, p := range t.parts {
		if p.kind != literal {
			cur.placeholders++
			cur.text += p.String()
			switch p.kind {
			case phKey, phAttr, phGroup:
				cur.mayHoldSlash = true
			case phSent:
				cur.mayHoldSlash = cur.mayHoldSlash || strings.ContainsRune(layoutProbeA.Format(p.text), '/')
			}
			continue
		}
		pieces := strings.Split(p.text, "/")
		for i, piece := range pieces {
			if i > 0 {
				segs = append(segs, cur)
				cur = segment{}
			}
			if piece != "" {
				cur.lits = append(cur.lits, piece)
				cur.text += piece
			}
		}
	}
	return append(segs, cur)
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
