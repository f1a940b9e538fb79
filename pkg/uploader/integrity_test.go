package uploader

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3uploader/s3uploader/pkg/s3sim"
)

// TestCorruptedBodyIsRejectedAndRetried damages the body of the first two
// PUTs of every key on its way to the server (after the client computed its
// checksums). The server, which verifies checksums as S3 does, must refuse
// them with BadDigest; the function must retry and store the exact bytes.
// Over plain HTTP the SDK sends x-amz-checksum-crc32 and a signed payload
// hash as headers, over HTTPS an aws-chunked body with a CRC32 trailer; with
// S3_CHECKSUM=when_required no flexible checksum at all, and Content-MD5 must
// take its place. (Bodies are long enough that the damaged byte, in the
// middle of what is sent, falls in the payload and not in aws-chunked framing.)
func TestCorruptedBodyIsRejectedAndRetried(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		for _, mode := range []string{"when_supported", "when_required"} {
			name := "http/" + mode
			if tlsOn {
				name = "https/" + mode
			}
			t.Run(name, func(t *testing.T) {
				testCorruption(t, tlsOn, mode)
			})
		}
	}
}

func testCorruption(t *testing.T, tlsOn bool, mode string) {
	offlineAWS(t)
	mem, err := s3sim.NewMemory(testBucket)
	if err != nil {
		t.Fatal(err)
	}
	check := s3sim.NewChecksum(mem)
	var mu sync.Mutex
	puts := map[string]int{}
	faults := s3sim.NewFaults(check, s3sim.FaultConfig{Script: keyed(s3sim.Corrupt, 2, all)})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			mu.Lock()
			puts[strings.TrimPrefix(r.URL.Path, "/"+testBucket+"/")]++
			mu.Unlock()
		}
		faults.ServeHTTP(w, r)
	})
	var srv *httptest.Server
	if tlsOn {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	vars := map[string]string{"BUCKET_NAME": testBucket, "S3_USE_PATH_STYLE": "true", "S3_CHECKSUM": mode,
		"RETRY_BASE_DELAY": "1ms", "RETRY_MAX_DELAY": "5ms"}
	cfg, err := ConfigFromEnv(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	client, err := NewS3Client(context.Background(), cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.HTTPClient = srv.Client()
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	handler := New(cfg, client, logs)

	bodies := map[string][]byte{
		"text":   []byte("the quick brown fox jumps over the lazy dog"),
		"binary": bytes.Repeat([]byte{0, 0xff, 0x10, 0x80}, 5000),
		"lines":  []byte(strings.Repeat("line of text\r\n", 20)),
	}
	ev := event()
	for id, b := range bodies {
		ev.Records = append(ev.Records, msg(id, string(b)))
	}
	resp, err := handler.Handle(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle = %v, %v; want every record stored after its corrupted attempts", failedIDs(resp), err)
	}
	for id, want := range bodies {
		out, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("uploads/" + id)})
		if err != nil {
			t.Fatalf("get %s: %v", id, err)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(got, want) {
			t.Errorf("object %s holds %d bytes that differ from the %d sent: a corrupted body was stored", id, len(got), len(want))
		}
		if n := puts["uploads/"+id]; n != 3 {
			t.Errorf("%s: %d PUTs; want 3 (2 corrupted and refused, 1 good)", id, n)
		}
	}
	st := check.Stats()
	if st.Mismatched != int64(2*len(bodies)) || st.Unchecked != 0 || st.Verified != int64(len(bodies)) {
		t.Errorf("server checksum stats %+v; want %d mismatched, %d verified, 0 unchecked", st, 2*len(bodies), len(bodies))
	}
	codes := map[string]int{}
	for _, l := range parseLines(t, logs.String()) {
		if l["message"] == "upload retry" {
			codes[l["errorCode"].(string)]++
		}
	}
	if codes["BadDigest"]+codes["XAmzContentSHA256Mismatch"] != 2*len(bodies) || len(codes) > 2 {
		t.Errorf("retry error codes %v; want %d BadDigest or XAmzContentSHA256Mismatch", codes, 2*len(bodies))
	}
}

func parseLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for l := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}
