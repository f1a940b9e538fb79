package main

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestEndToEndSources runs the local path as `make demo -source ...`,
// `-groups N` and `-existing` do, one small run each: messages published
// through moto's SNS (the notification in the queue moto's, the
// subscription moto's CloudFormation skips made as the template declares
// it), put on moto's EventBridge (the stack's rule made by moto's
// CloudFormation, each stored event checked against what was put), sent
// through FIFO queues in three groups (each group stored in the order
// sent), and sent to a bucket and queues made before the deploy (the
// stack creates neither). In each every message must be stored or, for a
// poison one, dead-lettered; nothing lost.
func TestEndToEndSources(t *testing.T) {
	tests := map[string]struct {
		source   string
		groups   int
		existing bool
		n        int
		poison   int
		check    func(t *testing.T, sum *Summary)
	}{
		"sns": {source: sourceSNS, n: 40, poison: 2, check: func(t *testing.T, sum *Summary) {
			if sum.Enveloped != 42 || !sum.Subscribed {
				t.Errorf("%d of 42 messages reached the function in moto's notification, subscribed by the demo %v; want all, true", sum.Enveloped, sum.Subscribed)
			}
		}},
		"eventbridge": {source: sourceEventBridge, n: 30, check: func(t *testing.T, sum *Summary) {
			if sum.Enveloped != 30 {
				t.Errorf("%d of 30 events reached the function as moto's events; want all", sum.Enveloped)
			}
		}},
		"fifo": {groups: 3, n: 60, poison: 2, check: func(t *testing.T, sum *Summary) {
			if sum.Groups != 3 || len(sum.OutOfOrder) > 0 {
				t.Errorf("groups %d, out of order %q; want 3 groups, each stored in the order sent", sum.Groups, sum.OutOfOrder)
			}
			t.Logf("%d stored objects not placed in the order (cut-off attempts)", sum.OrderUnseen)
		}},
		"existing": {existing: true, n: 40, poison: 2, check: func(t *testing.T, sum *Summary) {
			if !sum.Existing || !sum.ExistingUsed || len(sum.StackMade) > 0 {
				t.Errorf("existing %v, used %v, the stack made %q; want the existing bucket and queues used and none made", sum.Existing, sum.ExistingUsed, sum.StackMade)
			}
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := e2eConfig(t)
			cfg.WorkIn = filepath.Join(sharedDir, "source-"+name)
			cfg.Source, cfg.Groups, cfg.Existing = tc.source, tc.groups, tc.existing
			cfg.Messages, cfg.Poison, cfg.Size = tc.n, tc.poison, 1500
			cfg.Encoding = "base64"
			cfg.Timeout = 60 * time.Second
			ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
			defer cancel()
			start := time.Now()
			sum := runE2E(ctx, t, cfg)
			t.Logf("run took %s", time.Since(start).Round(time.Second))
			if !sum.OK() || sum.Sent != tc.n || sum.Uploaded != tc.n || sum.Lost != 0 || len(sum.Wrong) > 0 || len(sum.Stray) > 0 {
				t.Errorf("ok %v: drained %v, sent %d, stored and checked %d, wrong %v, lost %d, stray %v; want all %d stored, none lost",
					sum.OK(), sum.Drained, sum.Sent, sum.Uploaded, sum.Wrong, sum.Lost, sum.Stray, tc.n)
			}
			want := make([]string, tc.poison)
			for i := range want {
				want[i] = "../poison/" + strconv.Itoa(tc.n+i)
			}
			if got := slices.Compact(slices.Clone(sum.DLQKeys)); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) || sum.PoisonDLQ != tc.poison || sum.GoodDLQ != 0 {
				t.Errorf("DLQ holds %q, %d poison, %d good; want %q, %d, 0", sum.DLQKeys, sum.PoisonDLQ, sum.GoodDLQ, want, tc.poison)
			}
			tc.check(t, sum)
		})
	}
}
