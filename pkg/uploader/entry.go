package uploader

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3uploader/s3uploader/pkg/batch"
)

// Invoke makes Handler a lambda.Handler: lambda.Start(h) decodes nothing
// itself and hands the raw event here. An event that is not JSON, or has no
// Records key, is refused with an error (Lambda then reports the invocation
// failed) and one ERROR line, "event rejected", whose reason is InvalidJSON
// or NotSQSEvent; the payload itself is never logged. Any other event goes
// to Handle, and its response is returned as JSON: an empty Records list
// answers {"batchItemFailures":[]} with its INFO summary line.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, h.reject(ctx, "InvalidJSON", len(payload), fmt.Errorf("event is not an SQS event in JSON: %w", err))
	}
	if len(ev.Records) == 0 && !hasRecords(payload) {
		return nil, h.reject(ctx, "NotSQSEvent", len(payload), fmt.Errorf("event has no Records: %w", batch.ErrNotSQS))
	}
	resp, err := h.Handle(ctx, ev)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(resp); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// hasRecords reports whether the JSON object payload has a Records key
// holding a list (empty or not).
func hasRecords(payload []byte) bool {
	var probe struct {
		Records *[]json.RawMessage `json:"Records"`
	}
	return json.Unmarshal(payload, &probe) == nil && probe.Records != nil
}

func (h *Handler) reject(ctx context.Context, reason string, size int, err error) error {
	h.logger.LogAttrs(ctx, slog.LevelError, "event rejected",
		slog.String("reason", reason),
		slog.Int("bytes", size),
		slog.String("error", err.Error()))
	return err
}
