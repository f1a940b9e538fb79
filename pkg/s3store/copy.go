package s3store

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// MaxCopySize is the largest object one CopyObject can copy: 5 GiB. Copy
// refuses a larger source (Code SourceTooLarge) rather than copying it in
// parts.
const MaxCopySize = 5 << 30

// Copy makes one attempt to create the object key as a server-side copy of
// s3://srcBucket/srcKey: CopyObject with If-None-Match: *, so it never
// overwrites, and x-amz-copy-source-if-match, so it copies the very object
// it looked at. The payload never passes through the caller. The source is
// left in place.
//
// Before copying it reads the source's metadata (HeadObject): a missing
// source fails permanently (Code SourceNotFound), as does one whose size is
// not size (SizeMismatch; size < 0 skips the check) or over MaxCopySize
// (SourceTooLarge). When key already exists it compares the two objects'
// metadata, never their bytes: the same size and the same full-object
// checksum, or the same MD5 ETag where both ETags are MD5s, is a duplicate
// (existed = true); a different size or digest is a Conflict; and objects
// that have no comparable digest fail permanently (Unverifiable), left for
// the dead-letter queue rather than guessed at.
//
// A non-empty contentType replaces the source's Content-Type (and its user
// metadata); otherwise both are copied. Any error is an *Error.
func (s *Store) Copy(ctx context.Context, srcBucket, srcKey string, size int64, key, contentType string) (existed bool, err error) {
	src := srcBucket + "/" + srcKey
	head, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(srcBucket), Key: aws.String(srcKey), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		e := classify("head source", src, err)
		if e.Status == http.StatusNotFound {
			e.Code, e.Err = "SourceNotFound", fmt.Errorf("the pointer's object s3://%s does not exist: %w", src, err)
		}
		return false, e
	}
	n := aws.ToInt64(head.ContentLength)
	switch {
	case size >= 0 && n != size:
		return false, &Error{Op: "copy", Key: key, Kind: Permanent, Code: "SizeMismatch",
			Err: fmt.Errorf("the pointer promises %d bytes and s3://%s holds %d", size, src, n)}
	case n > MaxCopySize:
		return false, &Error{Op: "copy", Key: key, Kind: Permanent, Code: "SourceTooLarge",
			Err: fmt.Errorf("s3://%s is %d bytes, over the 5 GiB a single CopyObject copies (multipart copy is not built)", src, n)}
	}
	in := &s3.CopyObjectInput{
		Bucket:            aws.String(s.bucket),
		Key:               aws.String(key),
		CopySource:        aws.String(copySource(srcBucket, srcKey)),
		CopySourceIfMatch: head.ETag,
		IfNoneMatch:       aws.String("*"),
	}
	if contentType != "" {
		in.MetadataDirective = types.MetadataDirectiveReplace
		in.ContentType = aws.String(contentType)
	}
	if _, err = s.client.CopyObject(ctx, in); err == nil {
		return false, nil
	}
	e := classify("copy", key, err)
	switch e.Status {
	case http.StatusNotFound:
		if e.Code == "NoSuchKey" {
			// Deleted since we looked.
			e.Code, e.Err = "SourceNotFound", fmt.Errorf("the pointer's object s3://%s does not exist: %w", src, err)
		}
		return false, e
	case http.StatusPreconditionFailed:
		return s.compareCopy(ctx, src, head, key)
	}
	return false, e
}

// compareCopy tells a duplicate from a conflict after a copy found key
// taken, from the two objects' metadata.
func (s *Store) compareCopy(ctx context.Context, src string, head *s3.HeadObjectOutput, key string) (bool, error) {
	dst, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		e := classify("head", key, err)
		if e.Status == http.StatusNotFound {
			// key is free, so the precondition that failed was the
			// source's: it changed since we looked. Look again.
			e.Kind, e.Code = Transient, "SourceChanged"
			e.Err = fmt.Errorf("s3://%s changed during the copy: %w", src, err)
		}
		return false, e
	}
	same, comparable := sameObject(digestOf(head), digestOf(dst))
	switch {
	case same:
		return true, nil
	case !comparable:
		return false, &Error{Op: "copy", Key: key, Kind: Permanent, Code: "Unverifiable", Status: http.StatusPreconditionFailed,
			Err: fmt.Errorf("an object exists at this key and neither a checksum nor an MD5 ETag compares it with s3://%s", src)}
	}
	return false, &Error{Op: "copy", Key: key, Kind: Conflict, Code: "Conflict", Status: http.StatusPreconditionFailed,
		Err: fmt.Errorf("%w (existing %d bytes, s3://%s %d bytes)", ErrConflict, aws.ToInt64(dst.ContentLength), src, aws.ToInt64(head.ContentLength))}
}

// copySource writes the x-amz-copy-source of an object: bucket/key, the
// key percent-encoded but for its slashes.
func copySource(bucket, key string) string {
	var b strings.Builder
	b.WriteString(bucket)
	b.WriteByte('/')
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
