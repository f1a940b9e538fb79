package record

import (
	"path"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3uploader/s3uploader/pkg/keys"
	"github.com/s3uploader/s3uploader/pkg/s3store"
)

// FuzzKeyContainment checks, for any KEY_PREFIX, any KEY_TEMPLATE that
// NewKeyTemplate accepts and any inputs it reads (the key attribute, a
// message attribute, the FIFO group, the send time), that a key Parse
// accepts stays inside the prefix even for a reader that resolves "." and
// ".." segments the way a file system or a URL path does: the key, cleaned,
// still starts with the cleaned prefix. It also stays within S3's key
// length. Its seeds are in testdata/fuzz/FuzzKeyContainment, grown from the
// bad-input corpus.
func FuzzKeyContainment(f *testing.F) {
	f.Add("uploads/", "{key}", "a/b.txt", "t", "g", int64(1796180645678))
	f.Add("uploads/", "{key}", "../x", "t", "g", int64(0))
	f.Add("", "{key}", "../x", "t", "g", int64(0))
	f.Add("tenant-a/in/", "{key}", "..//..//x", "t", "g", int64(0))
	f.Add("uploads/", "{attr:tenant}/{key}", "k", "..", "g", int64(0))
	f.Add("uploads/", "{attr:tenant}{key}", "k", "a/", "g", int64(0))
	f.Add("uploads/", "{group}/{shard:16}/{messageId}", "k", "t", "../../x", int64(0))
	f.Add("uploads/", "{sent:2006/01/02}/{key}", "../x", "t", "g", int64(-1))
	f.Fuzz(func(t *testing.T, prefix, tmplText, key, attr, group string, sent int64) {
		if !strings.HasSuffix(prefix, "/") || strings.HasPrefix(prefix, "/") || !utf8.ValidString(prefix) ||
			strings.Contains(prefix, "//") || keys.Validate("", strings.TrimSuffix(prefix, "/")) != nil {
			return // KEY_PREFIX is the operator's: a clean relative path ending in '/'
		}
		tmpl, err := keys.NewKeyTemplate(tmplText)
		if err != nil {
			return // refused at init: the function never starts with it
		}
		k, a := key, attr
		rec := events.SQSMessage{MessageId: "m",
			Attributes: map[string]string{"SentTimestamp": strconv.FormatInt(sent, 10), "MessageGroupId": group},
			MessageAttributes: map[string]events.SQSMessageAttribute{
				AttrKey:  {DataType: "String", StringValue: &k},
				"tenant": {DataType: "String", StringValue: &a},
			}}
		it, err := Parser{Prefix: prefix, KeyTemplate: tmpl}.Parse(rec)
		if err != nil {
			return
		}
		if !strings.HasPrefix(it.Key, prefix) || len(it.Key) > s3store.MaxKeyLen {
			t.Fatalf("Parse(prefix %q, template %q, key %q, attr %q, group %q) = %q: outside the prefix or too long", prefix, tmplText, key, attr, group, it.Key)
		}
		cleanPrefix := path.Clean("/"+prefix) + "/"
		if cleaned := path.Clean("/" + it.Key); !strings.HasPrefix(cleaned+"/", cleanPrefix) {
			t.Fatalf("Parse(prefix %q, template %q, key %q, attr %q, group %q) = %q, which resolves to %q: outside %q",
				prefix, tmplText, key, attr, group, it.Key, cleaned, cleanPrefix)
		}
	})
}
