package chaos

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Kind is what the sender meant by a message.
type Kind int

// The kinds of messages.
const (
	Good      Kind = iota // a new object
	Same                  // the same key and bytes as an earlier message (a resend)
	Clash                 // the same key as an earlier message, other bytes
	Malformed             // can never be stored
)

func (k Kind) String() string {
	return [...]string{"good", "same", "clash", "malformed"}[k]
}

// message is one message the sender sent, and what it means.
type message struct {
	sqs   events.SQSMessage
	kind  Kind
	key   string // the full key it asks for; "" for Malformed
	body  []byte // the bytes to store
	token string // a marker inside the body that must never be logged; "" if none
}

// messages returns n messages for seed under prefix.
func messages(seed uint64, n int, prefix string) []*message {
	g := rand.New(rand.NewPCG(seed, 0x6d657373616765))
	var out, keyed []*message
	for i := range n {
		id := fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", seed, i, g.IntN(0x1000), 0x8000|g.IntN(0x4000), g.Uint64()&0xffffffffffff)
		m := &message{kind: Good}
		x := g.Float64()
		switch {
		case x < 0.04:
			m.kind = Malformed
		case x < 0.09 && len(keyed) > 0:
			m.kind = Same
		case x < 0.12 && len(keyed) > 0:
			m.kind = Clash
		}
		attrs := map[string]events.SQSMessageAttribute{}
		set := func(k, v string) { attrs[k] = events.SQSMessageAttribute{DataType: "String", StringValue: &v} }
		switch m.kind {
		case Good:
			m.body, m.token = body(g, i)
			if g.IntN(10) < 6 {
				name := fmt.Sprintf("s%d/p%02d/obj-%d.bin", seed, g.IntN(40), i)
				set("key", name)
				m.key = prefix + name
				keyed = append(keyed, m)
			} else {
				m.key = prefix + id
			}
		case Same, Clash:
			earlier := keyed[g.IntN(len(keyed))]
			name := *earlier.sqs.MessageAttributes["key"].StringValue
			set("key", name)
			m.key = earlier.key
			m.body, m.token = earlier.body, earlier.token
			if m.kind == Clash {
				m.body, m.token = body(g, i)
			}
		case Malformed:
			bad := []func(){
				func() { set("key", "../../etc/passwd") },
				func() { set("key", "/abs/path") },
				func() { set("key", "a\x00b") },
				func() { set("key", "bad\xffutf8") },
				func() { set("content-encoding", "gzip") },
				func() { set("content-encoding", "base64") }, // and a body that is not base64
				func() { set("content-type", "text/plain\r\nX-Injected: 1") },
			}
			bad[g.IntN(len(bad))]()
			b, tok := body(g, i)
			m.token = tok
			m.sqs.Body = "!!" + sqsText(b) // "!" is never valid base64
		}
		if m.kind != Malformed {
			m.sqs.Body = string(m.body)
			if !isText(m.body) || g.IntN(4) == 0 {
				set("content-encoding", "base64")
				m.sqs.Body = base64.StdEncoding.EncodeToString(m.body)
			}
		}
		m.sqs.MessageId = id
		m.sqs.MessageAttributes = attrs
		out = append(out, m)
	}
	return out
}

// body returns a payload holding a unique marker: mostly small text, some
// binary, a few large, a few empty.
func body(g *rand.Rand, i int) ([]byte, string) {
	var raw [10]byte
	for j := range raw {
		raw[j] = byte(g.Uint32())
	}
	token := "PAYLOAD" + hex.EncodeToString(raw[:])
	size := g.IntN(2048)
	switch x := g.IntN(100); {
	case x < 2:
		return []byte{}, ""
	case x < 4:
		size = 64<<10 + g.IntN(128<<10)
	}
	b := make([]byte, 0, size+len(token))
	b = fmt.Appendf(b, "message %d %s ", i, token)
	if g.IntN(3) == 0 {
		for len(b) < size {
			b = append(b, byte(g.Uint32()))
		}
		return b, token
	}
	const letters = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789\n"
	for len(b) < size {
		b = append(b, letters[g.IntN(len(letters))])
	}
	return b, token
}

// sqsText returns b as a message body SQS can carry: what it refuses
// (invalid UTF-8; control characters but tab, newline and carriage
// return; U+FFFE, U+FFFF) replaced by U+FFFD.
func sqsText(b []byte) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(string(b), string(utf8.RuneError)))
}

func isText(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 || (c < 0x20 && c != '\n') {
			return false
		}
	}
	return true
}
