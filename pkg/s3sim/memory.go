package s3sim

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// NewMemory returns an in-memory S3-compatible server (gofakes3) holding the
// given buckets, for path-style clients. It supports conditional writes
// (If-None-Match: * answers 412 when the key exists) and Content-MD5 checks.
// CopyObject honours If-None-Match: * and x-amz-copy-source-if-match as S3
// does (412 PreconditionFailed), which gofakes3 alone ignores.
func NewMemory(buckets ...string) (http.Handler, error) {
	backend := s3mem.New()
	for _, b := range buckets {
		if err := backend.CreateBucket(b); err != nil {
			return nil, fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	srv := gofakes3.New(&conditionalCopy{Backend: backend}, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "" {
			// gofakes3 hands a copy only the request's X-Amz-* headers.
			if v := r.Header.Get("If-None-Match"); v != "" {
				r.Header.Set(copyIfNoneMatch, v)
			}
		}
		srv.ServeHTTP(w, r)
	}), nil
}

// copyIfNoneMatch carries a copy's If-None-Match to conditionalCopy.
const copyIfNoneMatch = "X-Amz-S3sim-Copy-If-None-Match"

// conditionalCopy is a gofakes3 backend whose CopyObject checks a copy's
// conditions: the destination is written with the backend's own atomic
// If-None-Match check, so a copy and a racing PUT of one key cannot both
// win.
type conditionalCopy struct {
	*s3mem.Backend
}

func (b *conditionalCopy) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	ifNoneMatch, ifMatch := meta[copyIfNoneMatch], meta["X-Amz-Copy-Source-If-Match"]
	for k := range meta {
		// Request headers, not the object's metadata.
		if k == copyIfNoneMatch || strings.HasPrefix(k, "X-Amz-Copy-Source") || k == "X-Amz-Metadata-Directive" {
			delete(meta, k)
		}
	}
	src, err := b.Backend.GetObject(srcBucket, srcKey, nil)
	if err != nil {
		return gofakes3.CopyObjectResult{}, err
	}
	defer src.Contents.Close()
	etag := hex.EncodeToString(src.Hash)
	if ifMatch != "" && strings.Trim(ifMatch, `"`) != etag {
		return gofakes3.CopyObjectResult{}, gofakes3.ErrorMessage(gofakes3.ErrPreconditionFailed, "At least one of the pre-conditions you specified did not hold")
	}
	var cond *gofakes3.PutConditions
	if ifNoneMatch != "" {
		cond = &gofakes3.PutConditions{IfNoneMatch: &ifNoneMatch}
	}
	if _, err := b.Backend.PutObject(dstBucket, dstKey, meta, src.Contents, src.Size, cond); err != nil {
		return gofakes3.CopyObjectResult{}, err
	}
	return gofakes3.CopyObjectResult{ETag: `"` + etag + `"`, LastModified: gofakes3.NewContentTime(time.Now())}, nil
}
