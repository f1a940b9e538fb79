package batch

import (
	"path"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// FuzzKeyContainment checks, for any KEY_PREFIX and any key attribute, that
// a key Parse accepts stays inside the prefix even for a reader that resolves
// "." and ".." segments the way a file system or a URL path does: the key,
// cleaned, still starts with the cleaned prefix. Its seeds are in
// testdata/fuzz/FuzzKeyContainment, grown from the bad-input corpus.
func FuzzKeyContainment(f *testing.F) {
	f.Add("uploads/", "a/b.txt")
	f.Add("uploads/", "../x")
	f.Add("", "../x")
	f.Add("tenant-a/in/", "..//..//x")
	f.Fuzz(func(t *testing.T, prefix, key string) {
		if !strings.HasSuffix(prefix, "/") || strings.HasPrefix(prefix, "/") || !utf8.ValidString(prefix) ||
			strings.Contains(prefix, "//") || ValidateKey("", strings.TrimSuffix(prefix, "/")) != nil {
			return // KEY_PREFIX is the operator's: a clean relative path ending in '/'
		}
		v := key
		rec := events.SQSMessage{MessageId: "m", MessageAttributes: map[string]events.SQSMessageAttribute{
			AttrKey: {DataType: "String", StringValue: &v},
		}}
		it, err := Parse(rec, prefix)
		if err != nil {
			return
		}
		if !strings.HasPrefix(it.Key, prefix) {
			t.Fatalf("Parse(prefix %q, key %q) = %q: outside the prefix", prefix, key, it.Key)
		}
		cleanPrefix := path.Clean("/"+prefix) + "/"
		if cleaned := path.Clean("/" + it.Key); !strings.HasPrefix(cleaned+"/", cleanPrefix) {
			t.Fatalf("Parse(prefix %q, key %q) = %q, which resolves to %q: outside %q", prefix, key, it.Key, cleaned, cleanPrefix)
		}
	})
}
