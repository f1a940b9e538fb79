package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestCheckTemplate(t *testing.T) {
	tests := map[string]struct {
		ctx    contextFlags
		poison int
		want   string // substring of the error; "" for none
	}{
		"no template":            {poison: 3},
		"template reads the key": {ctx: contextFlags{"keyTemplate": "{sent:2006/01/02}/{shard:4}/{key}"}, poison: 3},
		"shard reads the key":    {ctx: contextFlags{"keyTemplate": "{shard:4}/{messageId}"}, poison: 3},
		"no key, no poison":      {ctx: contextFlags{"keyTemplate": "{sent:2006}/{messageId}"}},
		"no key, poison":         {ctx: contextFlags{"keyTemplate": "{sent:2006}/{messageId}"}, poison: 3, want: "-poison 3"},
		"bad template":           {ctx: contextFlags{"keyTemplate": "{date}/{key}"}, want: `-c keyTemplate: KEY_TEMPLATE="{date}/{key}": unknown placeholder {date}`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := checkTemplate(Config{Ctx: tc.ctx, Poison: tc.poison})
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("checkTemplate(%v, poison %d) = %v; want %q", tc.ctx, tc.poison, err, tc.want)
			}
		})
	}
}

// TestExpectedKeys: the byte-for-byte check reads each message at the key
// the deployed template renders for the record as delivered.
func TestExpectedKeys(t *testing.T) {
	delivered := map[string]events.SQSMessage{
		"m1": {MessageId: "m1", Attributes: map[string]string{"SentTimestamp": "1796180645678"},
			MessageAttributes: map[string]events.SQSMessageAttribute{"key": {DataType: "String", StringValue: aws.String("demo/r/1.txt")}}},
		"m2": {MessageId: "m2", Attributes: map[string]string{}},
		"m3": {MessageId: "m3", Attributes: map[string]string{"SentTimestamp": "1796180645678"},
			MessageAttributes: map[string]events.SQSMessageAttribute{"key": {DataType: "String", StringValue: aws.String("../poison/3")}}},
	}
	lookup := func(id string) (events.SQSMessage, bool) { r, ok := delivered[id]; return r, ok }
	ids := []string{"m1", "m2", "m3", "never-delivered", ""}
	tests := map[string]struct {
		env  map[string]string
		want []string
	}{
		"default":       {map[string]string{"KEY_PREFIX": "uploads/"}, []string{"uploads/demo/r/1.txt", "uploads/m2", "", "", ""}},
		"default shown": {map[string]string{"KEY_PREFIX": "in/", "KEY_TEMPLATE": "{key}"}, []string{"in/demo/r/1.txt", "in/m2", "", "", ""}},
		"date":          {map[string]string{"KEY_PREFIX": "in/", "KEY_TEMPLATE": "{sent:2006/01/02/15}/{key}"}, []string{"in/2026/12/02/03/demo/r/1.txt", "", "", "", ""}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, _, err := expectedKeys(tc.env, ids, lookup)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("expectedKeys(%v) = %q, %v; want %q", tc.env, got, err, tc.want)
			}
		})
	}
	if _, _, err := expectedKeys(map[string]string{"KEY_TEMPLATE": "{nope}"}, ids, lookup); err == nil || !strings.Contains(err.Error(), "KEY_TEMPLATE") {
		t.Errorf("expectedKeys with a bad deployed template: %v; want an error naming KEY_TEMPLATE", err)
	}
}
