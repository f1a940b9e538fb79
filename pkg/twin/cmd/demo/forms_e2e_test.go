package main

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestEndToEndForms runs the local path as `make demo -envelope ...
// -pointer` does: the stack deployed with the envelope and pointer
// settings, messages sent as SNS notifications carrying Extended Client
// Library pointers to payloads over SQS's limit, and as EventBridge
// events. Every good message must be stored byte for byte at its key,
// every poison one end in the dead-letter queue, nothing lost.
func TestEndToEndForms(t *testing.T) {
	tests := map[string]struct {
		envelope string
		pointer  bool
		n, size  int
	}{
		"sns with pointers": {envelope: "sns", pointer: true, n: 6, size: sqsMaxBody + 4096},
		"eventbridge":       {envelope: "eventbridge", n: 40, size: 1500},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := e2eConfig(t)
			cfg.WorkIn = filepath.Join(sharedDir, "forms-"+tc.envelope)
			cfg.Envelope, cfg.Pointer = tc.envelope, tc.pointer
			cfg.Messages, cfg.Poison, cfg.Size = tc.n, 1, tc.size
			cfg.Encoding = "base64"
			cfg.Timeout = 100 * time.Second
			ctx, cancel := context.WithTimeout(context.Background(), 170*time.Second)
			defer cancel()
			sum := runE2E(ctx, t, cfg)
			if !sum.Drained || sum.Sent != tc.n || sum.Uploaded != tc.n || len(sum.Wrong) > 0 || sum.Lost != 0 || len(sum.Stray) > 0 {
				t.Errorf("drained %v, sent %d, stored byte-exact %d, wrong %v, lost %d, stray %v; want all %d stored, none lost",
					sum.Drained, sum.Sent, sum.Uploaded, sum.Wrong, sum.Lost, sum.Stray, tc.n)
			}
			if want := []string{"../poison/" + strconv.Itoa(tc.n)}; !slices.Equal(sum.DLQKeys, want) || sum.GoodDLQ != 0 {
				t.Errorf("DLQ holds %q (%d good); want exactly %q", sum.DLQKeys, sum.GoodDLQ, want)
			}
		})
	}
}
