package s3store

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

func TestCopy(t *testing.T) {
	// Keys S3 must carry escaped, in the path and in x-amz-copy-source.
	const src, key = "payloads/a b+c é.bin", "in/copied é.bin"
	payload := object{"the payload, already in S3", "application/octet-stream"}
	size := int64(len(payload.body))
	conflict := errorWant{code: "Conflict", kind: Conflict, status: http.StatusPreconditionFailed, conflict: true}
	tests := map[string]struct {
		source      *object // at sourceBucket/src; nil: nothing
		before      *object // at key before the Copy; nil: nothing
		redeliver   bool    // the same Copy ran first, and created key
		meanwhile   string  // done to the source between Copy's look and its copy: "changed", "deleted"
		size        int64
		contentType string
		existed     bool
		err         errorWant
		after       *object // at key after the Copy; nil: nothing
		writes      int     // writes of key the server took during the Copy
	}{
		"new key": {
			source: &payload, size: size,
			after: &payload, writes: 1,
		},
		"new key, content type replaced": {
			source: &payload, size: size, contentType: "text/plain",
			after: &object{payload.body, "text/plain"}, writes: 1,
		},
		"new key, size not checked": {
			source: &payload, size: -1,
			after: &payload, writes: 1,
		},
		"redelivered": {
			source: &payload, redeliver: true, size: size,
			existed: true, after: &payload,
		},
		"the same bytes, put there": {
			source: &payload, before: &object{payload.body, "text/plain"}, size: size,
			existed: true, after: &object{payload.body, "text/plain"},
		},
		"other bytes, the same size": {
			source: &payload, before: &object{"THE payload, already in S3", "text/plain"}, size: size,
			err: conflict, after: &object{"THE payload, already in S3", "text/plain"},
		},
		"other bytes, another size": {
			source: &payload, before: &object{"the payload", "text/plain"}, size: size,
			err: conflict, after: &object{"the payload", "text/plain"},
		},
		"size mismatch": {
			source: &payload, size: size + 1,
			err: errorWant{code: "SizeMismatch", kind: Permanent},
		},
		"source changed since the look": {
			source: &payload, meanwhile: "changed", size: size,
			err: errorWant{code: "SourceChanged", kind: Transient, status: http.StatusNotFound, retryable: true},
		},
		"source deleted since the look": {
			source: &payload, meanwhile: "deleted", size: size,
			err: errorWant{code: "SourceNotFound", kind: Permanent, status: http.StatusNotFound},
		},
		"missing source": {
			size: size,
			err:  errorWant{code: "SourceNotFound", kind: Permanent, status: http.StatusNotFound},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			ts := startS3(t, serverOptions{wrap: func(mem http.Handler) http.Handler {
				return beforeCopy(mem, func() { alterSource(t, mem, src, tc.meanwhile) })
			}})
			s := New(ts.client, testBucket)
			if tc.source != nil {
				ts.put(t, sourceBucket, src, *tc.source)
			}
			if tc.before != nil {
				ts.put(t, testBucket, key, *tc.before)
			}
			if tc.redeliver {
				if existed, err := s.Copy(ctx, sourceBucket, src, tc.size, key, tc.contentType); existed || err != nil {
					t.Fatalf("first Copy(%q, %q) = %v, %v; want false, <nil>", src, key, existed, err)
				}
			}
			mark := ts.mark()
			existed, err := s.Copy(ctx, sourceBucket, src, tc.size, key, tc.contentType)
			if problem := checkError(err, tc.err); existed != tc.existed || problem != "" {
				t.Errorf("Copy(%q, %q) = %v, %v; want %v (%s)", src, key, existed, err, tc.existed, problem)
			}
			if n := writes(ts.since(mark), testBucket, key); n != tc.writes {
				t.Errorf("Copy(%q, %q) wrote the key %d times; want %d", src, key, n, tc.writes)
			}
			if got := ts.get(t, testBucket, key); !sameObjectAt(got, tc.after) {
				t.Errorf("after Copy(%q, %q), the key holds %v; want %v", src, key, got, tc.after)
			}
			if got := ts.get(t, sourceBucket, src); tc.meanwhile == "" && !sameObjectAt(got, tc.source) {
				t.Errorf("after Copy(%q, %q), the source holds %v; want it left as %v", src, key, got, tc.source)
			}
		})
	}
}

// beforeCopy calls do before passing on each CopyObject request to next.
func beforeCopy(next http.Handler, do func()) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "" {
			do()
		}
		next.ServeHTTP(w, r)
	})
}

// alterSource changes or deletes sourceBucket/key on the in-memory S3 mem,
// as another writer would; how "" does nothing.
func alterSource(t *testing.T, mem http.Handler, key, how string) {
	var r *http.Request
	switch how {
	case "":
		return
	case "changed":
		body := "a newer payload"
		r = httptest.NewRequest(http.MethodPut, "/", strings.NewReader(body))
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	case "deleted":
		r = httptest.NewRequest(http.MethodDelete, "/", nil)
	}
	r.URL.Path = "/" + sourceBucket + "/" + key
	w := httptest.NewRecorder()
	mem.ServeHTTP(w, r)
	if w.Code/100 != 2 {
		t.Errorf("%s source s3://%s/%s: %d %s", how, sourceBucket, key, w.Code, w.Body)
	}
}
