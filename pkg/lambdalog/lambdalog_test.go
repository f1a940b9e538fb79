package lambdalog

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestLevel(t *testing.T) {
	tests := map[string]slog.Level{"TRACE": slog.LevelDebug, "debug": slog.LevelDebug, "INFO": slog.LevelInfo, "": slog.LevelInfo,
		"WARN": slog.LevelWarn, "ERROR": slog.LevelError, "FATAL": slog.LevelError, "bogus": slog.LevelInfo}
	for in, want := range tests {
		if got := Level(in); got != want {
			t.Errorf("Level(%q) = %v; want %v", in, got, want)
		}
	}
}

func TestLineShape(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, slog.LevelInfo)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "r-1"})
	log.DebugContext(ctx, "hidden")
	log.WarnContext(ctx, "upload retry", "attempt", 2)
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("%q: %v", buf.String(), err)
	}
	if m["level"] != "WARN" || m["message"] != "upload retry" || m["attempt"] != 2.0 || m["requestId"] != "r-1" || m["timestamp"] == nil {
		t.Errorf("line %v; want level WARN, message, attempt, requestId r-1 and timestamp", m)
	}
	if _, ok := m["msg"]; ok {
		t.Errorf("line %v still has slog's msg key", m)
	}
}
