package keys

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func strAttr(v string) events.SQSMessageAttribute {
	return events.SQSMessageAttribute{DataType: "String", StringValue: &v}
}

// sentMs is 2026-12-02T03:04:05.678Z, a SentTimestamp as SQS writes it.
const sentMs = "1796180645678"

func templateRecord(attrs map[string]string, sys map[string]string) events.SQSMessage {
	rec := events.SQSMessage{MessageId: "id-1", MessageAttributes: map[string]events.SQSMessageAttribute{},
		Attributes: map[string]string{"SentTimestamp": sentMs}}
	for k, v := range attrs {
		rec.MessageAttributes[k] = strAttr(v)
	}
	for k, v := range sys {
		if v == "" {
			delete(rec.Attributes, k)
			continue
		}
		rec.Attributes[k] = v
	}
	return rec
}

func TestKeyTemplateKey(t *testing.T) {
	tests := map[string]struct {
		tmpl       string
		attrs, sys map[string]string
		want       string // full key
		wantReason string
	}{
		"default, key attribute":       {tmpl: "{key}", attrs: map[string]string{"key": "a/b.txt"}, want: "uploads/a/b.txt"},
		"default, message id":          {tmpl: "{key}", want: "uploads/id-1"},
		"message id":                   {tmpl: "{messageId}.json", attrs: map[string]string{"key": "ignored"}, want: "uploads/id-1.json"},
		"date partitions":              {tmpl: "{sent:2006/01/02/15}/{key}", attrs: map[string]string{"key": "k.txt"}, want: "uploads/2026/12/02/03/k.txt"},
		"hive style":                   {tmpl: "dt={sent:2006-01-02}/hour={sent:15}/{messageId}", want: "uploads/dt=2026-12-02/hour=03/id-1"},
		"send time to the millisecond": {tmpl: "{sent:20060102T150405.000Z}-{messageId}", want: "uploads/20261202T030405.678Z-id-1"},
		"shard of the key":             {tmpl: "{shard:16}/{key}", attrs: map[string]string{"key": "a/b.txt"}, want: "uploads/07/a/b.txt"},
		"shard of the message id":      {tmpl: "{shard:16}/{key}", want: fmt.Sprintf("uploads/%02d/id-1", fnv32a("id-1")%16)},
		"shard width of 4096":          {tmpl: "p{shard:4096}/{key}", attrs: map[string]string{"key": "a/b.txt"}, want: "uploads/p" + fmt.Sprintf("%04d", fnv32a("a/b.txt")%4096) + "/a/b.txt"},
		"attribute":                    {tmpl: "{attr:tenant}/{key}", attrs: map[string]string{"tenant": "acme/eu", "key": "k"}, want: "uploads/acme/eu/k"},
		"group":                        {tmpl: "{group}/{messageId}", sys: map[string]string{"MessageGroupId": "g-7"}, want: "uploads/g-7/id-1"},
		"literal braces":               {tmpl: "{{x}}/{key}", want: "uploads/{x}/id-1"},
		"everything":                   {tmpl: "{attr:tenant}/{sent:2006}/{shard:4}/{group}/{key}", attrs: map[string]string{"tenant": "t", "key": "k"}, sys: map[string]string{"MessageGroupId": "g"}, want: fmt.Sprintf("uploads/t/2026/%d/g/k", fnv32a("k")%4)},

		"key attribute traversal":      {tmpl: "{sent:2006}/{key}", attrs: map[string]string{"key": "../../x"}, wantReason: "InvalidKey"},
		"attribute traversal":          {tmpl: "{attr:tenant}/{key}", attrs: map[string]string{"tenant": ".."}, wantReason: "InvalidKey"},
		"attribute with a dot":         {tmpl: "{attr:tenant}/{key}", attrs: map[string]string{"tenant": "a/./b"}, wantReason: "InvalidKey"},
		"attribute with a newline":     {tmpl: "{attr:tenant}/{key}", attrs: map[string]string{"tenant": "a\nb"}, wantReason: "InvalidKey"},
		"attribute missing":            {tmpl: "{attr:tenant}/{key}", wantReason: "InvalidKey"},
		"attribute empty":              {tmpl: "{attr:tenant}/{key}", attrs: map[string]string{"tenant": ""}, wantReason: "InvalidKey"},
		"group traversal":              {tmpl: "{group}/{key}", sys: map[string]string{"MessageGroupId": ".."}, wantReason: "InvalidKey"},
		"group missing":                {tmpl: "{group}/{key}", wantReason: "InvalidKey"},
		"no SentTimestamp":             {tmpl: "{sent:2006}/{key}", sys: map[string]string{"SentTimestamp": ""}, wantReason: "InvalidKey"},
		"SentTimestamp not a number":   {tmpl: "{sent:2006}/{key}", sys: map[string]string{"SentTimestamp": "yesterday"}, wantReason: "InvalidKey"},
		"key ending in / before a dot": {tmpl: "{key}x/{messageId}", attrs: map[string]string{"key": "a/"}, want: "uploads/a/x/id-1"},
		"rendered key too long":        {tmpl: "{sent:2006}/{key}", attrs: map[string]string{"key": strings.Repeat("k", 1020-8)}, wantReason: "InvalidKey"},
		"rendered key at the limit":    {tmpl: "{sent:2006}/{key}", attrs: map[string]string{"key": strings.Repeat("k", 1024-8-5)}, want: "uploads/2026/" + strings.Repeat("k", 1024-8-5)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tmpl, err := NewKeyTemplate(tc.tmpl)
			if err != nil {
				t.Fatalf("NewKeyTemplate(%q) error: %v", tc.tmpl, err)
			}
			got, err := tmpl.Key(templateRecord(tc.attrs, tc.sys), "uploads/")
			if tc.wantReason != "" {
				var ie *Error
				if !errors.As(err, &ie) || ie.Reason != tc.wantReason {
					t.Fatalf("Key(%q, %v) = %q, %v; want reason %s", tc.tmpl, tc.attrs, got, err, tc.wantReason)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Key(%q, %v) = %q, %v; want %q", tc.tmpl, tc.attrs, got, err, tc.want)
			}
		})
	}
}

func fnv32a(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

func TestNewKeyTemplateRejects(t *testing.T) {
	tests := map[string]struct {
		tmpl string
		want string // substring of the error
	}{
		"unclosed":                  {"{key", `"{" at byte 0 is never closed`},
		"stray brace":               {"a}{key}", `"}" at byte 1 closes no placeholder`},
		"empty placeholder":         {"{}/{key}", "empty placeholder {}"},
		"unknown placeholder":       {"{date}/{key}", "unknown placeholder {date} (known: {key}, {messageId}, {sent:LAYOUT}, {shard:N}, {attr:NAME}, {group})"},
		"wrong case":                {"{messageid}", "unknown placeholder {messageid}"},
		"argument where none goes":  {"{key:x}", "placeholder {key:x} takes no argument"},
		"sent without layout":       {"{sent}/{key}", "{sent} needs a layout"},
		"strftime":                  {"{sent:%Y/%m/%d}/{key}", "{sent:%Y/%m/%d} looks like a strftime layout, which is not supported: write LAYOUT in Go's reference time"},
		"layout without a time":     {"{sent:day}/{key}", "{sent:day} has no element of Go's reference time"},
		"layout with a dot segment": {"{sent:2006/./01}/{key}", `gives a "." segment`},
		"layout with a newline":     {"{sent:2006\n01}/{key}", "control character"},
		"layout starting with /":    {"{sent:/2006}/{key}", `starts with "/"`},
		"shard of one":              {"{shard:1}/{key}", "from 2 to 4096"},
		"shard too many":            {"{shard:4097}/{key}", "from 2 to 4096"},
		"shard not a number":        {"{shard:x}/{key}", "from 2 to 4096"},
		"shard without N":           {"{shard}/{key}", "from 2 to 4096"},
		"attr without a name":       {"{attr:}/{key}", "{attr:NAME}"},
		"attr with a bad name":      {"{attr:a b}/{key}", "{attr:NAME}"},
		"empty":                     {"", "every key would be empty"},
		"leading slash":             {"/{key}", `starts with "/"`},
		"traversal":                 {"../{key}", `has a ".." segment`},
		"trailing traversal":        {"{key}/..", `has a ".." segment`},
		"dot segment":               {"a/./{key}", `has a "." segment`},
		"dots after a key":          {"{key}./{messageId}", `could render as "." or ".."`},
		"dots after an attribute":   {"{attr:t}../{key}", `could render as "." or ".."`},
		"control character":         {"a\tb/{key}", "control character"},
		"invalid UTF-8":             {"\xff/{key}", "not valid UTF-8"},
		"never unique":              {"{sent:2006/01/02}/{shard:16}", "has neither {key} nor {messageId}"},
		"never unique, attribute":   {"{attr:tenant}/{group}", "has neither {key} nor {messageId}"},
		"fixed text too long":       {strings.Repeat("x", 1025) + "{key}", "over S3's key limit"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := NewKeyTemplate(tc.tmpl)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewKeyTemplate(%q) error = %v; want one containing %q", tc.tmpl, err, tc.want)
			}
		})
	}
}

// TestKeyTemplateSameOnRedelivery: what changes from one delivery of a
// message to the next (receive count, receipt handle, first receive time)
// never changes its key, so the conditional write finds the first copy.
func TestKeyTemplateSameOnRedelivery(t *testing.T) {
	tmpl, err := NewKeyTemplate("{attr:tenant}/{sent:2006/01/02/15/04/05.000}/{shard:64}/{group}/{key}-{messageId}")
	if err != nil {
		t.Fatal(err)
	}
	first := templateRecord(map[string]string{"tenant": "t", "key": "k"}, map[string]string{"MessageGroupId": "g",
		"ApproximateReceiveCount": "1", "ApproximateFirstReceiveTimestamp": "1796180646000"})
	first.ReceiptHandle = "rh-1"
	again := templateRecord(map[string]string{"tenant": "t", "key": "k"}, map[string]string{"MessageGroupId": "g",
		"ApproximateReceiveCount": "4", "ApproximateFirstReceiveTimestamp": "1796180646000"})
	again.ReceiptHandle = "rh-2"
	k1, err1 := tmpl.Key(first, "uploads/")
	k2, err2 := tmpl.Key(again, "uploads/")
	if err1 != nil || err2 != nil || k1 != k2 {
		t.Errorf("first delivery %q (%v), redelivery %q (%v); want the same key", k1, err1, k2, err2)
	}
}

// TestShardSpread: {shard:N} is stable, fixed width, in range, and spreads
// sequential keys evenly enough to multiply S3's per-prefix ceiling.
func TestShardSpread(t *testing.T) {
	for _, n := range []int{2, 10, 16, 100, 4096} {
		tmpl, err := NewKeyTemplate(fmt.Sprintf("{shard:%d}/{key}", n))
		if err != nil {
			t.Fatal(err)
		}
		width := len(fmt.Sprint(n - 1))
		counts := map[string]int{}
		const keys = 64000
		for i := range keys {
			k := fmt.Sprintf("obj-%06d", i)
			got, err := tmpl.Key(templateRecord(map[string]string{"key": k}, nil), "")
			if err != nil {
				t.Fatal(err)
			}
			shard, _, _ := strings.Cut(got, "/")
			if len(shard) != width {
				t.Fatalf("{shard:%d} of %q = %q; want %d digits", n, k, shard, width)
			}
			var v int
			if _, err := fmt.Sscan(shard, &v); err != nil || v < 0 || v >= n {
				t.Fatalf("{shard:%d} of %q = %q; want 0 to %d", n, k, shard, n-1)
			}
			counts[shard]++
		}
		if n > 100 {
			continue // 15 keys a shard: too few to judge the spread
		}
		want := keys / n
		for s, c := range counts {
			if c < want*85/100 || c > want*115/100 {
				t.Errorf("{shard:%d}: shard %s holds %d of %d keys; want within 15%% of %d", n, s, c, keys, want)
			}
		}
		if len(counts) != n {
			t.Errorf("{shard:%d}: %d shards used; want all %d", n, len(counts), n)
		}
	}
}

func ExampleKeyTemplate_Key() {
	tmpl, err := NewKeyTemplate("{sent:2006/01/02}/{shard:16}/{key}")
	if err != nil {
		fmt.Println(err)
		return
	}
	key := "invoices/42.pdf"
	rec := events.SQSMessage{
		MessageId:         "059f36b4-87a3-44ab-83d2-661975830a7d",
		Attributes:        map[string]string{"SentTimestamp": "1796180645678"},
		MessageAttributes: map[string]events.SQSMessageAttribute{"key": {DataType: "String", StringValue: &key}},
	}
	fmt.Println(tmpl.Key(rec, "uploads/"))
	_, err = NewKeyTemplate("{sent:%Y/%m/%d}/{key}")
	fmt.Println(err)
	// Output:
	// uploads/2026/12/02/08/invoices/42.pdf <nil>
	// {sent:%Y/%m/%d} looks like a strftime layout, which is not supported: write LAYOUT in Go's reference time (2006 year, 01 month, 02 day, 15 hour, 04 minute, 05 second), e.g. {sent:2006/01/02/15}
}
