package s3store

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/s3uploader/s3uploader/pkg/s3sim"
)

func TestPut(t *testing.T) {
	// A key S3 must carry escaped: a space, a plus, a non-ASCII letter.
	const key = "in/2024/a b+c é.txt"
	binary := "\x00\xff\r\n\x80 binary"
	conflict := errorWant{code: "Conflict", kind: Conflict, status: http.StatusPreconditionFailed, conflict: true}
	tests := map[string]struct {
		bucket      string  // the Store's bucket; "": testBucket
		before      *object // at key before the Put; nil: nothing
		redeliver   bool    // the same Put ran first, and created key
		body        string
		contentType string
		existed     bool
		err         errorWant
		after       *object // at key after the Put; nil: nothing
		writes      int     // writes of key the server took during the Put
	}{
		"new key": {
			body: "hello, world", contentType: "text/plain",
			after: &object{"hello, world", "text/plain"}, writes: 1,
		},
		"new key, binary": {
			body: binary, contentType: "application/octet-stream",
			after: &object{binary, "application/octet-stream"}, writes: 1,
		},
		"new key, empty": {
			body: "", contentType: "text/plain",
			after: &object{"", "text/plain"}, writes: 1,
		},
		"redelivered: the same bytes again": {
			redeliver: true, body: "hello, world", contentType: "text/plain",
			existed: true, after: &object{"hello, world", "text/plain"},
		},
		"the same bytes, another content type": {
			before: &object{"hello, world", "text/plain"}, body: "hello, world", contentType: "application/json",
			existed: true, after: &object{"hello, world", "text/plain"},
		},
		"other bytes, the same length": {
			before: &object{"hello, world", "text/plain"}, body: "hello, World", contentType: "text/plain",
			err: conflict, after: &object{"hello, world", "text/plain"},
		},
		"other bytes, longer": {
			before: &object{"hello", "text/plain"}, body: "hello, world", contentType: "text/plain",
			err: conflict, after: &object{"hello", "text/plain"},
		},
		"other bytes, a prefix of the existing": {
			before: &object{"hello, world", "text/plain"}, body: "hello", contentType: "text/plain",
			err: conflict, after: &object{"hello, world", "text/plain"},
		},
		"no such bucket": {
			bucket: "no-such-bucket", body: "hello", contentType: "text/plain",
			err: errorWant{code: "NoSuchBucket", kind: Permanent, status: http.StatusNotFound},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			ts := startS3(t, serverOptions{})
			bucket := testBucket
			if tc.bucket != "" {
				bucket = tc.bucket
			}
			s := New(ts.client, bucket)
			if tc.before != nil {
				ts.put(t, testBucket, key, *tc.before)
			}
			if tc.redeliver {
				if existed, err := s.Put(ctx, key, []byte(tc.body), tc.contentType); existed || err != nil {
					t.Fatalf("first Put(%q) = %v, %v; want false, <nil>", key, existed, err)
				}
			}
			mark := ts.mark()
			existed, err := s.Put(ctx, key, []byte(tc.body), tc.contentType)
			if problem := checkError(err, tc.err); existed != tc.existed || problem != "" {
				t.Errorf("Put(%q) = %v, %v; want %v (%s)", key, existed, err, tc.existed, problem)
			}
			if n := writes(ts.since(mark), testBucket, key); n != tc.writes {
				t.Errorf("Put(%q) wrote the key %d times; want %d", key, n, tc.writes)
			}
			if got := ts.get(t, testBucket, key); !sameObjectAt(got, tc.after) {
				t.Errorf("after Put(%q), the key holds %v; want %v", key, got, tc.after)
			}
		})
	}
}

// sameObjectAt reports whether two keys hold the same, nil meaning nothing.
func sameObjectAt(a, b *object) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func TestCompare(t *testing.T) {
	const key = "in/k"
	conflict := errorWant{code: "Conflict", kind: Conflict, status: http.StatusPreconditionFailed, conflict: true}
	tests := map[string]struct {
		existing *string // at key; nil: nothing
		body     string
		same     bool
		err      errorWant
	}{
		"the same bytes":                  {existing: ptr("hello, world"), body: "hello, world", same: true},
		"both empty":                      {existing: ptr(""), body: "", same: true},
		"other bytes, the same length":    {existing: ptr("hello, world"), body: "hello, World", err: conflict},
		"existing is longer, body prefix": {existing: ptr("hello, world"), body: "hello", err: conflict},
		"existing is shorter":             {existing: ptr("hello"), body: "hello, world", err: conflict},
		"existing is empty":               {existing: ptr(""), body: "hello", err: conflict},
		"body is empty":                   {existing: ptr("hello"), body: "", err: conflict},
		// Deleted between the refused put and the read: put again.
		"key gone": {body: "hello", err: errorWant{code: "NoSuchKey", kind: Transient, status: http.StatusNotFound, retryable: true}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ts := startS3(t, serverOptions{})
			if tc.existing != nil {
				ts.put(t, testBucket, key, object{*tc.existing, "text/plain"})
			}
			same, err := New(ts.client, testBucket).compare(context.Background(), key, []byte(tc.body))
			if problem := checkError(err, tc.err); same != tc.same || problem != "" {
				t.Errorf("compare(%q, %q) = %v, %v; want %v (%s)", key, tc.body, same, err, tc.same, problem)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// TestPutContentMD5 runs where Content-MD5 is all that guards a body: over
// HTTPS (the SDK signs UNSIGNED-PAYLOAD) with no flexible checksum, and an
// S3 that checks what checksums it is sent.
func TestPutContentMD5(t *testing.T) {
	const key = "in/m"
	body := "the body, as it left the client"
	sum := md5.Sum([]byte(body))
	wantMD5 := base64.StdEncoding.EncodeToString(sum[:])
	tests := map[string]struct {
		opts    []Option
		corrupt bool // one byte of the PUT's body flips on the way
		md5     string
		err     errorWant
		holds   string // what key holds after the Put: "body", "nothing" or "other bytes"
	}{
		"sent":         {opts: []Option{WithContentMD5()}, md5: wantMD5, holds: "body"},
		"not sent":     {holds: "body"},
		"damaged body": {opts: []Option{WithContentMD5()}, corrupt: true, md5: wantMD5, err: errorWant{code: "BadDigest", kind: Transient, status: http.StatusBadRequest, retryable: true}, holds: "nothing"},
		// The control: without Content-MD5 the damage goes unseen, so the
		// row above passes because of it.
		"damaged body, not sent": {corrupt: true, holds: "other bytes"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			script := func(_ int64, r *http.Request) s3sim.Fault {
				if tc.corrupt && r.Method == http.MethodPut {
					return s3sim.Corrupt
				}
				return s3sim.None
			}
			ts := startS3(t, serverOptions{tls: true, checksumWhenRequired: true, wrap: func(mem http.Handler) http.Handler {
				return s3sim.NewFaults(s3sim.NewChecksum(mem), s3sim.FaultConfig{Script: script})
			}})
			mark := ts.mark()
			existed, err := New(ts.client, testBucket, tc.opts...).Put(context.Background(), key, []byte(body), "text/plain")
			if problem := checkError(err, tc.err); existed || problem != "" {
				t.Errorf("Put(%q) = %v, %v; want false (%s)", key, existed, err, problem)
			}
			for _, r := range ts.since(mark) {
				if r.method == http.MethodPut && r.contentMD5 != tc.md5 {
					t.Errorf("Put(%q) sent Content-MD5 %q; want %q", key, r.contentMD5, tc.md5)
				}
			}
			holds := "nothing"
			if got := ts.get(t, testBucket, key); got != nil && got.body == body {
				holds = "body"
			} else if got != nil {
				holds = "other bytes"
			}
			if holds != tc.holds {
				t.Errorf("after Put(%q), the key holds %s; want %s", key, holds, tc.holds)
			}
		})
	}
}
