package s3sim

import (
	"fmt"
	"net/http"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// NewMemory returns an in-memory S3-compatible server (gofakes3) holding the
// given buckets, for path-style clients. It supports conditional writes
// (If-None-Match: * answers 412 when the key exists) and Content-MD5 checks.
func NewMemory(buckets ...string) (http.Handler, error) {
	backend := s3mem.New()
	for _, b := range buckets {
		if err := backend.CreateBucket(b); err != nil {
			return nil, fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	return gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server(), nil
}
