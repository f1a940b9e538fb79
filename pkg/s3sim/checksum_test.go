package s3sim

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestChecksum(t *testing.T) {
	body := "hello, checksums"
	md5sum := md5.Sum([]byte(body))
	shasum := sha256.Sum256([]byte(body))
	chunked := func(data, trailer string) string {
		return strings.Join([]string{
			"a", data[:10], strings.ToUpper(hexLen(len(data) - 10)), data[10:], "0", trailer, "", "",
		}, "\r\n")
	}
	tests := map[string]struct {
		headers  map[string]string
		body     string
		wantCode string // "" : passed on
		wantBody string // what next must see
		wantStat ChecksumStats
	}{
		"crc32 header": {headers: map[string]string{"x-amz-checksum-crc32": CRC32([]byte(body))}, body: body,
			wantBody: body, wantStat: ChecksumStats{Verified: 1}},
		"crc32 header, damaged body": {headers: map[string]string{"x-amz-checksum-crc32": CRC32([]byte(body))}, body: "hello, checksumz",
			wantCode: "BadDigest", wantStat: ChecksumStats{Mismatched: 1}},
		"content-md5": {headers: map[string]string{"Content-MD5": base64.StdEncoding.EncodeToString(md5sum[:])}, body: body,
			wantBody: body, wantStat: ChecksumStats{Verified: 1}},
		"content-md5, damaged body": {headers: map[string]string{"Content-MD5": base64.StdEncoding.EncodeToString(md5sum[:])}, body: "Hello, checksums",
			wantCode: "BadDigest", wantStat: ChecksumStats{Mismatched: 1}},
		"signed payload hash, damaged body": {headers: map[string]string{"X-Amz-Content-Sha256": hex.EncodeToString(shasum[:])}, body: "hello, checksum!",
			wantCode: "XAmzContentSHA256Mismatch", wantStat: ChecksumStats{Mismatched: 1}},
		"unsigned payload, no checksum": {headers: map[string]string{"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"}, body: body,
			wantBody: body, wantStat: ChecksumStats{Unchecked: 1}},
		"aws-chunked with crc32 trailer": {headers: map[string]string{"Content-Encoding": "aws-chunked", "X-Amz-Trailer": "x-amz-checksum-crc32",
			"X-Amz-Content-Sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
			body: chunked(body, "x-amz-checksum-crc32:"+CRC32([]byte(body))), wantBody: body, wantStat: ChecksumStats{Verified: 1}},
		"aws-chunked, damaged data": {headers: map[string]string{"Content-Encoding": "aws-chunked"},
			body: chunked("hello, chEcksums", "x-amz-checksum-crc32:"+CRC32([]byte(body))), wantCode: "BadDigest", wantStat: ChecksumStats{Mismatched: 1}},
		"aws-chunked, damaged framing": {headers: map[string]string{"Content-Encoding": "aws-chunked"},
			body: "z\r\n" + body, wantCode: "IncompleteBody"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var got string
			var gotLen int64
			c := NewChecksum(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got, gotLen = string(b), r.ContentLength
			}))
			req := httptest.NewRequest(http.MethodPut, "/bucket/key", strings.NewReader(tc.body))
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			c.ServeHTTP(rec, req)
			if tc.wantCode != "" {
				if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "<Code>"+tc.wantCode+"</Code>") {
					t.Errorf("answer %d %s; want 400 %s", rec.Code, rec.Body, tc.wantCode)
				}
				if got != "" {
					t.Errorf("next saw %q; want the request stopped", got)
				}
			} else if got != tc.wantBody || gotLen != int64(len(tc.wantBody)) || req.Header.Get("Content-Encoding") != "" {
				t.Errorf("next saw %q (length %d, Content-Encoding %q); want %q", got, gotLen, req.Header.Get("Content-Encoding"), tc.wantBody)
			}
			if st := c.Stats(); st != tc.wantStat {
				t.Errorf("Stats() = %+v; want %+v", st, tc.wantStat)
			}
		})
	}
}

func hexLen(n int) string {
	return strings.TrimLeft(hex.EncodeToString([]byte{byte(n >> 8), byte(n)}), "0")
}
