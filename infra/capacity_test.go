package main

import (
	"regexp"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestCapacityWarning(t *testing.T) {
	tests := map[string]struct {
		ctx  map[string]any
		want string // "" for no warning
	}{
		"defaults":                {nil, ""},
		"at the advice's double":  {map[string]any{"maxConcurrency": "400"}, ""},
		"1,000 on one prefix":     {map[string]any{"maxConcurrency": "1000"}, "maxConcurrency 1000 over 1 key prefix(es)"},
		"sharded by the template": {map[string]any{"maxConcurrency": "1000", "keyTemplate": "p{shard:4}/{key}"}, ""},
		"sharded by the senders":  {map[string]any{"maxConcurrency": "1000", "prefixCount": "3"}, ""},
		"too few shards":          {map[string]any{"maxConcurrency": "1000", "keyTemplate": "p{shard:2}/{key}"}, "maxConcurrency 1000 over 2 key prefix(es)"},
		"uploads in the message":  {map[string]any{"maxConcurrency": "900", "uploadConcurrency": "16"}, "900 instances × 16 uploads"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := synthOnce(t, tt.ctx)
			// The synth carries it as a warning on the stack: shown by
			// cdk synth and deploy, failing only --strict.
			pattern := "maxConcurrency .* key prefix"
			if tt.want != "" {
				pattern = regexp.QuoteMeta(tt.want)
			}
			found := assertions.Annotations_FromStack(s.stack).FindWarning(jsii.String("*"),
				assertions.Match_StringLikeRegexp(jsii.String(pattern)))
			if n := len(*found); (tt.want != "") != (n == 1) {
				t.Errorf("%v: %d capacity warnings on the stack matching %q; want %v", tt.ctx, n, pattern, tt.want != "")
			}
		})
	}
}
