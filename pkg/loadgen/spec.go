package loadgen

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Encoding of message bodies.
const (
	Text   = "text"
	Base64 = "base64"
)

// Spec describes a set of messages. The zero value of each optional field
// means the default.
type Spec struct {
	Count int // good messages
	// Size is the payload size in bytes (default 1024).
	Size int
	// KeyPattern names each object: "{i}" is replaced by the zero-padded
	// index, "{run}" by Run (default "demo/{run}/{i}.txt").
	KeyPattern string
	Run        string
	// Encoding is Text (default: printable payloads) or Base64 (random
	// bytes, base64 in the body).
	Encoding string
	// Groups, for FIFO queues, spreads messages over that many message
	// groups (0: a standard queue).
	Groups int
	// Poison adds that many messages with an invalid key.
	Poison int
	// Seed makes payloads reproducible (default 1).
	Seed uint64
}

// Message is one message to send.
type Message struct {
	Key     string // object key, relative to the function's prefix
	Payload []byte // object content
	Body    string // SQS body: Payload as text or base64
	Base64  bool
	Group   string // FIFO message group ID, or ""
	DedupID string // FIFO deduplication ID, or ""
	Poison  bool
	// Numbers are extra Number message attributes, by name (the Extended
	// Client Library's ExtendedPayloadSize, for one).
	Numbers map[string]string
}

// Messages returns the Spec's messages: Count good ones then the poison
// ones.
func (s Spec) Messages() ([]Message, error) {
	if s.Count < 0 || s.Poison < 0 || s.Size < 0 {
		return nil, fmt.Errorf("loadgen: negative count or size")
	}
	if s.Size == 0 {
		s.Size = 1024
	}
	if s.KeyPattern == "" {
		s.KeyPattern = "demo/{run}/{i}.txt"
	}
	if s.Encoding == "" {
		s.Encoding = Text
	}
	if s.Encoding != Text && s.Encoding != Base64 {
		return nil, fmt.Errorf("loadgen: encoding %q: want text or base64", s.Encoding)
	}
	if !strings.Contains(s.KeyPattern, "{i}") {
		return nil, fmt.Errorf("loadgen: key pattern %q lacks {i}", s.KeyPattern)
	}
	if s.Seed == 0 {
		s.Seed = 1
	}
	rng := rand.New(rand.NewPCG(s.Seed, s.Seed^0xda7a))
	width := len(strconv.Itoa(max(s.Count+s.Poison-1, 0)))
	msgs := make([]Message, 0, s.Count+s.Poison)
	for i := range s.Count + s.Poison {
		idx := fmt.Sprintf("%0*d", width, i)
		key := strings.ReplaceAll(strings.ReplaceAll(s.KeyPattern, "{run}", s.Run), "{i}", idx)
		m := Message{Key: key, Payload: payload(rng, i, s.Size, s.Encoding == Base64)}
		if i >= s.Count {
			m.Poison = true
			m.Key = "../poison/" + idx // the function refuses "..": InvalidKey
		}
		if s.Encoding == Base64 {
			m.Base64, m.Body = true, base64.StdEncoding.EncodeToString(m.Payload)
		} else {
			m.Body = string(m.Payload)
		}
		if s.Groups > 0 {
			m.Group = "g" + strconv.Itoa(i%s.Groups)
			m.DedupID = strings.NewReplacer("/", "-", ".", "-").Replace(s.Run + "-" + idx)
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

const printable = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "

func payload(rng *rand.Rand, i, size int, binary bool) []byte {
	b := make([]byte, size)
	head := fmt.Sprintf("message %d\n", i)
	for j := range b {
		if binary {
			b[j] = byte(rng.Uint32())
		} else {
			b[j] = printable[rng.IntN(len(printable))]
		}
	}
	if !binary {
		copy(b, head)
	}
	return b
}
