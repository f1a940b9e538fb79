package uploader

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// sent sets a record's SentTimestamp (ms since 1970), as SQS does.
func sent(m events.SQSMessage, ms string) events.SQSMessage {
	m.Attributes["SentTimestamp"] = ms
	return m
}

func fifo(m events.SQSMessage, group string) events.SQSMessage {
	m.EventSourceARN = "arn:aws:sqs:us-east-1:123456789012:uploads.fifo"
	m.Attributes["MessageGroupId"] = group
	return m
}

// TestKeyTemplate runs KEY_TEMPLATE through the handler and the real S3
// client against the in-process S3: each good record lands at its rendered
// key under KEY_PREFIX; a record whose rendered key breaks the key rules
// fails alone, with reason InvalidKey and no S3 call; a redelivery finds
// its object at the same key (a duplicate, not a second object).
func TestKeyTemplate(t *testing.T) {
	const at = "1796180645678" // 2026-12-02T03:04:05.678Z
	tests := map[string]struct {
		template string
		records  []events.SQSMessage
		wantKeys []string // every object in the bucket
		wantBad  []string // message IDs failed with InvalidKey
	}{
		"date partitions": {
			template: "{sent:2006/01/02/15}/{key}",
			records: []events.SQSMessage{
				sent(msg("m1", "a", "key", "orders/1.json"), at),
				sent(msg("m2", "b"), at),
				sent(msg("m3", "c", "key", "../escape"), at),
				msg("m4", "d", "key", "no-sent-time"),
			},
			wantKeys: []string{"in/2026/12/02/03/m2", "in/2026/12/02/03/orders/1.json"},
			wantBad:  []string{"m3", "m4"},
		},
		"shards": {
			template: "{shard:16}/{key}",
			records: []events.SQSMessage{
				msg("m1", "a", "key", "a/b.txt"), // FNV-1a 32 of "a/b.txt" mod 16 = 7
				msg("m2", "b", "key", "x"),       // 7 too
				msg("m3", "c", "key", "obj-000001"),
			},
			wantKeys: []string{"in/07/a/b.txt", "in/07/x", "in/10/obj-000001"},
		},
		"attribute": {
			template: "{attr:tenant}/{messageId}",
			records: []events.SQSMessage{
				msg("m1", "a", "tenant", "acme"),
				msg("m2", "b", "tenant", ".."),
				msg("m3", "c", "tenant", "a\nb"),
				msg("m4", "d"),
				msg("m5", "e", "tenant", "globex/eu"),
			},
			wantKeys: []string{"in/acme/m1", "in/globex/eu/m5"},
			wantBad:  []string{"m2", "m3", "m4"},
		},
		"FIFO group": {
			template: "{group}/{key}",
			records: []events.SQSMessage{
				fifo(msg("m1", "a", "key", "1"), "g-a"),
				fifo(msg("m2", "b", "key", "1"), "g-b"),
				fifo(msg("m3", "c", "key", "2"), ".."),
			},
			wantKeys: []string{"in/g-a/1", "in/g-b/1"},
			wantBad:  []string{"m3"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil, map[string]string{"KEY_PREFIX": "in/", "KEY_TEMPLATE": tc.template})
			ev := event(tc.records...)
			resp, err := e.handler.Handle(context.Background(), ev)
			if err != nil {
				t.Fatalf("Handle error = %v", err)
			}
			got := failedIDs(resp)
			slices.Sort(got)
			want := slices.Clone(tc.wantBad)
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				t.Errorf("failed = %v; want %v", got, want)
			}
			if keys := e.keys(); !slices.Equal(keys, tc.wantKeys) {
				t.Errorf("bucket holds %v; want %v", keys, tc.wantKeys)
			}
			for _, k := range tc.wantKeys {
				if _, _, ok := e.object(k); !ok {
					t.Errorf("object %q missing", k)
				}
			}
			if puts := e.putOrder(); len(puts) != len(tc.wantKeys) {
				t.Errorf("S3 got PUTs %v; want one per good record (%d), none for the bad ones", puts, len(tc.wantKeys))
			}
			for _, l := range e.linesWith("upload failed") {
				if l["reason"] != "InvalidKey" || !slices.Contains(tc.wantBad, l["messageId"].(string)) {
					t.Errorf("failure line %v; want reason InvalidKey for one of %v", l, tc.wantBad)
				}
			}
			// Redelivery: the same records map to the same keys.
			if _, err := e.handler.Handle(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
			sums := e.linesWith("batch done")
			if n := len(sums); n != 2 || sums[1]["duplicates"] != float64(len(tc.wantKeys)) || sums[1]["uploaded"] != 0.0 {
				t.Errorf("redelivery summary %v; want %d duplicates, 0 uploaded", sums[len(sums)-1], len(tc.wantKeys))
			}
			if keys := e.keys(); !slices.Equal(keys, tc.wantKeys) {
				t.Errorf("after redelivery the bucket holds %v; want %v", keys, tc.wantKeys)
			}
		})
	}
}

func TestKeyTemplateConfig(t *testing.T) {
	env := func(kv map[string]string) func(string) string {
		return func(k string) string {
			if k == "BUCKET_NAME" {
				return "b"
			}
			return kv[k]
		}
	}
	c, err := ConfigFromEnv(env(map[string]string{"KEY_TEMPLATE": " {sent:2006/01/02}/{key} "}))
	if err != nil || c.KeyTemplate.String() != "{sent:2006/01/02}/{key}" {
		t.Errorf("ConfigFromEnv(KEY_TEMPLATE) = %v, %v; want the template read", c.KeyTemplate, err)
	}
	if c, err := ConfigFromEnv(env(nil)); err != nil || c.KeyTemplate != nil || c.KeyTemplate.String() != "{key}" {
		t.Errorf("ConfigFromEnv() KeyTemplate = %v, %v; want nil, the default {key}", c.KeyTemplate, err)
	}

	bad := map[string]struct {
		env  map[string]string
		want []string
	}{
		"unknown placeholder": {map[string]string{"KEY_TEMPLATE": "{date}/{key}"}, []string{`KEY_TEMPLATE="{date}/{key}": unknown placeholder {date}`}},
		"strftime":            {map[string]string{"KEY_TEMPLATE": "%Y/{sent:%Y}/{key}"}, []string{"KEY_TEMPLATE", "strftime", "{sent:2006/01/02/15}"}},
		"never unique":        {map[string]string{"KEY_TEMPLATE": "{shard:16}"}, []string{"KEY_TEMPLATE", "neither {key} nor {messageId}"}},
		"traversal":           {map[string]string{"KEY_TEMPLATE": "../{key}"}, []string{"KEY_TEMPLATE", `".." segment`}},
		"does not parse":      {map[string]string{"KEY_TEMPLATE": "{key"}, []string{"KEY_TEMPLATE", "never closed"}},
		"with the prefix, too long": {map[string]string{"KEY_PREFIX": strings.Repeat("p", 500) + "/", "KEY_TEMPLATE": strings.Repeat("t", 600) + "/{key}"},
			[]string{"KEY_TEMPLATE", "over S3's key limit of 1024"}},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := ConfigFromEnv(env(tc.env))
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("ConfigFromEnv(%v) error = %v; want it to contain %q", tc.env, err, w)
				}
			}
		})
	}
}
