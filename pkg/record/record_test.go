package record

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3uploader/s3uploader/pkg/keys"
	"github.com/s3uploader/s3uploader/pkg/s3store"
)

func strAttr(v string) events.SQSMessageAttribute {
	return events.SQSMessageAttribute{DataType: "String", StringValue: &v}
}

func TestParse(t *testing.T) {
	tests := map[string]struct {
		body       string
		attrs      map[string]string
		wantKey    string
		wantBody   string
		wantType   string
		wantReason string
	}{
		"message id as key":       {body: "x", wantKey: "uploads/id-1", wantBody: "x"},
		"key attribute":           {body: "x", attrs: map[string]string{"key": "a/b.txt"}, wantKey: "uploads/a/b.txt", wantBody: "x"},
		"unicode key":             {body: "x", attrs: map[string]string{"key": "résumé/日本.txt"}, wantKey: "uploads/résumé/日本.txt", wantBody: "x"},
		"dots inside a name":      {body: "x", attrs: map[string]string{"key": "a..b/c...d"}, wantKey: "uploads/a..b/c...d", wantBody: "x"},
		"content type":            {body: "{}", attrs: map[string]string{"content-type": "application/json; charset=utf-8"}, wantKey: "uploads/id-1", wantBody: "{}", wantType: "application/json; charset=utf-8"},
		"base64":                  {body: base64.StdEncoding.EncodeToString([]byte{0, 0xff}), attrs: map[string]string{"content-encoding": "base64"}, wantKey: "uploads/id-1", wantBody: "\x00\xff"},
		"base64 upper case name":  {body: "eA==", attrs: map[string]string{"content-encoding": "BASE64"}, wantKey: "uploads/id-1", wantBody: "x"},
		"identity encoding":       {body: "eA==", attrs: map[string]string{"content-encoding": "identity"}, wantKey: "uploads/id-1", wantBody: "eA=="},
		"empty body":              {body: "", wantKey: "uploads/id-1", wantBody: ""},
		"traversal":               {attrs: map[string]string{"key": "a/../../b"}, wantReason: "InvalidKey"},
		"dot dot alone":           {attrs: map[string]string{"key": ".."}, wantReason: "InvalidKey"},
		"dot segment":             {attrs: map[string]string{"key": "a/./b"}, wantReason: "InvalidKey"},
		"trailing dot dot":        {attrs: map[string]string{"key": "a/.."}, wantReason: "InvalidKey"},
		"leading slash":           {attrs: map[string]string{"key": "/etc/passwd"}, wantReason: "InvalidKey"},
		"NUL":                     {attrs: map[string]string{"key": "a\x00"}, wantReason: "InvalidKey"},
		"newline":                 {attrs: map[string]string{"key": "a\nb"}, wantReason: "InvalidKey"},
		"DEL":                     {attrs: map[string]string{"key": "a\x7fb"}, wantReason: "InvalidKey"},
		"C1 control":              {attrs: map[string]string{"key": "a\u0085b"}, wantReason: "InvalidKey"},
		"invalid UTF-8":           {attrs: map[string]string{"key": "\xc3\x28"}, wantReason: "InvalidKey"},
		"empty key":               {attrs: map[string]string{"key": ""}, wantReason: "InvalidKey"},
		"key 1024 bytes in all":   {body: "x", attrs: map[string]string{"key": strings.Repeat("k", 1024-8)}, wantKey: "uploads/" + strings.Repeat("k", 1024-8), wantBody: "x"},
		"key 1025 bytes in all":   {attrs: map[string]string{"key": strings.Repeat("k", 1025-8)}, wantReason: "InvalidKey"},
		"bad base64":              {body: "@@@", attrs: map[string]string{"content-encoding": "base64"}, wantReason: "InvalidBase64"},
		"base64 without padding":  {body: "eA", attrs: map[string]string{"content-encoding": "base64"}, wantReason: "InvalidBase64"},
		"gzip":                    {body: "x", attrs: map[string]string{"content-encoding": "gzip"}, wantReason: "UnsupportedContentEncoding"},
		"content type with CR LF": {attrs: map[string]string{"content-type": "text/plain\r\nX-Evil: 1"}, wantReason: "InvalidContentType"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rec := events.SQSMessage{MessageId: "id-1", Body: tc.body, MessageAttributes: map[string]events.SQSMessageAttribute{}}
			for k, v := range tc.attrs {
				rec.MessageAttributes[k] = strAttr(v)
			}
			it, err := Parse(rec, "uploads/")
			if tc.wantReason != "" {
				var ie *InputError
				if !errors.As(err, &ie) || ie.Reason != tc.wantReason {
					t.Fatalf("Parse(%q) error = %v; want reason %s", tc.attrs, err, tc.wantReason)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q) error = %v", tc.attrs, err)
			}
			if it.Key != tc.wantKey || string(it.Body) != tc.wantBody || it.ContentType != tc.wantType {
				t.Errorf("Parse = key %q body %q type %q; want %q %q %q", it.Key, it.Body, it.ContentType, tc.wantKey, tc.wantBody, tc.wantType)
			}
		})
	}
}

func TestParseBinaryKeyAttribute(t *testing.T) {
	rec := events.SQSMessage{MessageId: "id", MessageAttributes: map[string]events.SQSMessageAttribute{
		"key": {DataType: "Binary", BinaryValue: []byte("k")},
	}}
	var ie *InputError
	if _, err := Parse(rec, "p/"); !errors.As(err, &ie) || ie.Reason != "InvalidAttribute" {
		t.Errorf("Parse of a Binary key attribute: %v; want InvalidAttribute", err)
	}
}

// FuzzParse checks, for any body, key and encoding: Parse never panics; what
// it accepts stays inside the prefix, within S3's key length, free of
// control characters and dot segments; and a text body is stored byte for
// byte.
func FuzzParse(f *testing.F) {
	f.Add("hello", "a/b.txt", "", "text/plain")
	f.Add("eA==", "x", "base64", "")
	f.Add("", "../../etc/passwd", "", "")
	f.Add("x", "/abs", "gzip", "")
	f.Add("x", "a/./b", "BASE64", "a\r\nb")
	f.Add("\xff\xfe", "\xc3\x28", "identity", "")
	f.Fuzz(func(t *testing.T, body, key, encoding, contentType string) {
		const prefix = "uploads/"
		rec := events.SQSMessage{MessageId: "m", Body: body, MessageAttributes: map[string]events.SQSMessageAttribute{
			"key": strAttr(key), "content-encoding": strAttr(encoding), "content-type": strAttr(contentType),
		}}
		if encoding == "" {
			delete(rec.MessageAttributes, "content-encoding")
		}
		if contentType == "" {
			delete(rec.MessageAttributes, "content-type")
		}
		it, err := Parse(rec, prefix)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || ie.Reason == "" {
				t.Fatalf("Parse error %v is not an *InputError with a reason", err)
			}
			return
		}
		if !strings.HasPrefix(it.Key, prefix) || len(it.Key) > s3store.MaxKeyLen || !utf8.ValidString(it.Key) {
			t.Fatalf("accepted key %q escapes the prefix, is too long or not UTF-8", it.Key)
		}
		rest := strings.TrimPrefix(it.Key, prefix)
		if strings.HasPrefix(rest, "/") || strings.IndexFunc(rest, unicode.IsControl) >= 0 {
			t.Fatalf("accepted key %q has a leading slash or a control character", it.Key)
		}
		for _, seg := range strings.Split(rest, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("accepted key %q has a dot segment", it.Key)
			}
		}
		if e := strings.ToLower(strings.TrimSpace(encoding)); (e == "" || e == "identity") && string(it.Body) != body {
			t.Fatalf("text body changed: %q → %q", body, it.Body)
		}
	})
}

func mustTemplate(s string) *keys.KeyTemplate {
	t, err := keys.NewKeyTemplate(s)
	if err != nil {
		panic(err)
	}
	return t
}
