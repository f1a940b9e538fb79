package invoke

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/aws/aws-lambda-go/events"
)

// Event is an SQS event file: its bytes, which the function is sent as
// they are, and what they decode to.
type Event struct {
	Path string
	Raw  []byte
	SQS  events.SQSEvent
}

// ReadEvent reads the SQS event in the file at path. Its error names the
// file and the one problem found: the file is missing or unreadable, it is
// not JSON (with the line and column), or it is not an SQS event as Lambda
// sends one (no Records list, no records, a record whose eventSource is
// not "aws:sqs", a field of the wrong type).
func ReadEvent(path string) (Event, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Event{}, fmt.Errorf("event %s: no such file", path)
	}
	if err != nil {
		return Event{}, fmt.Errorf("event %s: %w", path, err)
	}
	ev := Event{Path: path, Raw: raw}
	if len(bytes.TrimSpace(raw)) == 0 {
		return ev, fmt.Errorf("event %s is empty: want an SQS event, %s", path, sqsShape)
	}
	if err := checkSQS(raw); err != nil {
		return ev, fmt.Errorf("event %s %w", path, err)
	}
	if err := json.Unmarshal(raw, &ev.SQS); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return ev, fmt.Errorf("event %s is not an SQS event: %s is a JSON %s, not %s", path, typ.Field, typ.Value, typ.Type)
		}
		return ev, fmt.Errorf("event %s is not an SQS event: %w", path, err)
	}
	return ev, nil
}

// sqsShape is how checkSQS says what an SQS event looks like.
const sqsShape = `{"Records":[{"messageId":"...","body":"...","eventSource":"aws:sqs",...}]}`

// checkSQS reports the first thing that keeps raw from being an SQS event.
func checkSQS(raw []byte) error {
	var top any
	if err := json.Unmarshal(raw, &top); err != nil {
		return notJSON(raw, err)
	}
	obj, ok := top.(map[string]any)
	if !ok {
		return fmt.Errorf("is not an SQS event: it is JSON but not an object; an SQS event is %s", sqsShape)
	}
	recs, ok := obj["Records"].([]any)
	switch {
	case !ok:
		return fmt.Errorf(`is not an SQS event: it has no "Records" list; an SQS event is %s`, sqsShape)
	case len(recs) == 0:
		return errors.New("is not an SQS event: its Records list is empty (Lambda never sends an empty batch)")
	}
	for i, r := range recs {
		rec, ok := r.(map[string]any)
		if !ok {
			return fmt.Errorf("is not an SQS event: record %d is not an object", i+1)
		}
		if src, _ := rec["eventSource"].(string); src != "aws:sqs" {
			return fmt.Errorf(`is not an SQS event: record %d has eventSource %q, not "aws:sqs"`, i+1, src)
		}
	}
	return nil
}

// notJSON names where raw stops being JSON.
func notJSON(raw []byte, err error) error {
	var syn *json.SyntaxError
	if !errors.As(err, &syn) {
		return fmt.Errorf("is not JSON: %v", err)
	}
	before := raw[:min(int(syn.Offset), len(raw))]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - 1 - bytes.LastIndexByte(before, '\n') // 1-based: Offset is just past the bad byte
	return fmt.Errorf("is not JSON: %v (line %d, column %d)", syn, line, col)
}
