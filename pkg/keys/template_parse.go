package keys

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

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
