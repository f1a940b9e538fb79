package bench

import (
	"context"
	"strings"
	"testing"
)

// TestShardInFunction runs the function-side sharding variant end to end:
// the handler, with KEY_TEMPLATE p{shard:4}/{key}, stores bare keys under
// the four pN/ prefixes (one digit: the width of N-1), at the very keys the benchmark expects, so the
// per-prefix accounting of the sharding figures holds.
func TestShardInFunction(t *testing.T) {
	sc := Scenario{Objects: 400, Prefixes: 4, Instances: 2, ShardInFunction: true}
	if got := sc.KeyTemplate(); got != "p{shard:4}/{key}" {
		t.Fatalf("KeyTemplate() = %q; want p{shard:4}/{key}", got)
	}
	msgs, keys := sc.Messages("uploads/")
	for i, m := range msgs {
		if k := *m.MessageAttributes["key"].StringValue; strings.Contains(k, "/") {
			t.Fatalf("message %d has key attribute %q; want a bare name: the function shards", i, k)
		}
		if p, _, _ := strings.Cut(strings.TrimPrefix(keys[i], "uploads/"), "/"); len(p) != 2 || p < "p0" || p > "p3" {
			t.Fatalf("expected key %d = %q; want uploads/p0/ to uploads/p3/", i, keys[i])
		}
	}
	r, err := Run(context.Background(), sc, Project())
	if err != nil {
		t.Fatal(err)
	}
	if r.Stored != sc.Objects || r.Lost != 0 || r.GaveUp != 0 {
		t.Errorf("stored %d, lost %d, gave up %d; want all %d stored at the expected keys", r.Stored, r.Lost, r.GaveUp, sc.Objects)
	}
	if len(r.Prefixes) != 4 {
		t.Errorf("prefixes used %v; want p0 to p3", r.Prefixes)
	}
	for p, pr := range r.Prefixes {
		if pr.Objects < sc.Objects/4*70/100 || pr.Stored != pr.Objects {
			t.Errorf("prefix %s: %d objects, %d stored; want about %d, all stored", p, pr.Objects, pr.Stored, sc.Objects/4)
		}
	}
}
