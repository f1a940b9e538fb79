package s3sim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestMemoryConditionalCopy: CopyObject with If-None-Match: * creates the
// destination once and answers 412 after, as S3 does; a stale
// x-amz-copy-source-if-match answers 412 and copies nothing; a missing
// source answers 404; the source stays in place.
func TestMemoryConditionalCopy(t *testing.T) {
	mem, err := NewMemory("dst", "src")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mem)
	defer srv.Close()
	do := func(method, path, body string, hdr ...string) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	if c, _, _ := do("PUT", "/src/big/p1", "payload one"); c != 200 {
		t.Fatalf("PUT source = %d", c)
	}
	_, _, h := do("HEAD", "/src/big/p1", "")
	etag := h.Get("ETag")

	tests := []struct {
		name     string
		dst      string
		hdr      []string
		want     int
		wantBody string // of dst afterwards; "" : absent
	}{
		{"first copy", "/dst/k1", []string{"X-Amz-Copy-Source", "src/big/p1", "If-None-Match", "*", "X-Amz-Copy-Source-If-Match", etag}, 200, "payload one"},
		{"second copy is refused", "/dst/k1", []string{"X-Amz-Copy-Source", "src/big/p1", "If-None-Match", "*"}, 412, "payload one"},
		{"stale source ETag", "/dst/k2", []string{"X-Amz-Copy-Source", "src/big/p1", "X-Amz-Copy-Source-If-Match", `"00000000000000000000000000000000"`}, 412, ""},
		{"missing source", "/dst/k3", []string{"X-Amz-Copy-Source", "src/big/none", "If-None-Match", "*"}, 404, ""},
		{"unconditional copy overwrites", "/dst/k4", []string{"X-Amz-Copy-Source", "src/big/p1"}, 200, "payload one"},
	}
	do("PUT", "/dst/k4", "older")
	for _, tc := range tests {
		if c, body, _ := do("PUT", tc.dst, "", tc.hdr...); c != tc.want {
			t.Errorf("%s: copy status %d (%s); want %d", tc.name, c, body, tc.want)
		}
		c, body, h := do("GET", tc.dst, "")
		switch {
		case tc.wantBody == "" && c != 404:
			t.Errorf("%s: GET %s = %d %q; want 404", tc.name, tc.dst, c, body)
		case tc.wantBody != "" && (c != 200 || body != tc.wantBody):
			t.Errorf("%s: GET %s = %d %q; want %q", tc.name, tc.dst, c, body, tc.wantBody)
		case h.Get("X-Amz-Copy-Source") != "" || h.Get(copyIfNoneMatch) != "":
			t.Errorf("%s: the copy's request headers were stored as metadata: %v", tc.name, h)
		}
	}
	// A plain conditional PUT after the copy finds the key taken.
	if c, _, _ := do("PUT", "/dst/k1", "other", "If-None-Match", "*"); c != 412 {
		t.Errorf("PUT If-None-Match over a copy = %d; want 412", c)
	}
	if c, body, _ := do("GET", "/src/big/p1", ""); c != 200 || body != "payload one" {
		t.Errorf("source after the copies = %d %q; want it in place", c, body)
	}
}
