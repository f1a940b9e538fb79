package uploader

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"
)

// TestReadBackPrintsNoSDKLines: a redelivered record's conditional PUT
// answers 412 and the function reads the object back, here one S3 stored
// without a checksum (as objects written by other tools or before checksums
// are). The SDK must not print its plain-text "Response has no supported
// checksum" line: in Lambda it would land in CloudWatch Logs as a line that
// is not JSON, once per such read.
func TestReadBackPrintsNoSDKLines(t *testing.T) {
	e := newEnv(t, nil, nil)
	var sdk syncBuffer
	client, err := NewS3Client(context.Background(), e.cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(e.srv.URL)
		o.Logger = logging.NewStandardLogger(&sdk) // what LoadDefaultConfig gives, on stderr
	})
	if err != nil {
		t.Fatal(err)
	}
	// Another writer stored the object first, with no checksum.
	req, err := http.NewRequest(http.MethodPut, e.srv.URL+"/"+testBucket+"/uploads/read-back.txt", strings.NewReader("payload"))
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT without a checksum: %v, %v", resp, err)
	}
	h := New(e.cfg, client, e.logs)
	resp, err := h.Handle(context.Background(), event(msg("m-1", "payload", "key", "read-back.txt")))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle: %+v, %v; want stored", resp, err)
	}
	if got := e.linesWith("batch done"); len(got) != 1 || got[0]["duplicates"] != 1.0 {
		t.Fatalf("batch summaries %v; want the record counted as a duplicate", got)
	}
	if s := sdk.String(); s != "" {
		t.Errorf("the SDK printed %q; want nothing outside the function's JSON lines", s)
	}
}
