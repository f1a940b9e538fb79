package main

import (
	"strings"
	"testing"
	"time"
)

// TestExpected: the summary's "expected" line names only the causes the
// run shows.
func TestExpected(t *testing.T) {
	tests := map[string]struct {
		sum       Summary
		want, not []string
	}{
		"timeout and poison": {
			sum:  Summary{FailedLines: 64, FailedReasons: map[string]int{"DeadlineReached": 49, "InvalidKey": 3, "RetryBudgetExhausted": 12}, Redeliveries: 70, PoisonDLQ: 3},
			want: []string{"expected: ", "the 2s function timeout ends batches early (DeadlineReached)", "RetryBudgetExhausted", "the 3 poison messages are dead-lettered", "lost must be 0"},
		},
		"no deadline": {
			sum:  Summary{FailedLines: 3, FailedReasons: map[string]int{"InvalidKey": 3}, PoisonDLQ: 3},
			want: []string{"the 3 poison messages are dead-lettered", "lost must be 0"},
			not:  []string{"timeout", "throttle", "come back"},
		},
		"redelivered without a failure line": {
			sum:  Summary{Redeliveries: 4},
			want: []string{"a record that failed for now comes back"},
			not:  []string{"timeout", "poison"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := tc.sum.expected(2 * time.Second)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("expected() = %q; want it to say %q", got, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("expected() = %q; want no %q", got, n)
				}
			}
		})
	}
	if got := (&Summary{}).expected(2 * time.Second); got != "" {
		t.Errorf("expected() of a run without failures = %q; want \"\"", got)
	}
}
