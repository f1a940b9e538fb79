package s3store

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// API is the part of *s3.Client a Store uses.
type API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	CopyObject(ctx context.Context, in *s3.CopyObjectInput, opts ...func(*s3.Options)) (*s3.CopyObjectOutput, error)
}

// Store writes objects to one bucket. It is safe for concurrent use.
type Store struct {
	client     API
	bucket     string
	contentMD5 bool
}

// Option sets an optional behaviour of a Store.
type Option func(*Store)

// WithContentMD5 makes every PutObject carry a Content-MD5 header, which
// S3 and every S3-compatible server verify against the body they receive.
// Use it when the client sends no flexible checksum (S3_CHECKSUM=
// when_required): over HTTPS the SDK then signs UNSIGNED-PAYLOAD, and
// nothing else would catch a body damaged on the way.
func WithContentMD5() Option { return func(s *Store) { s.contentMD5 = true } }

// New returns a Store writing to bucket through client.
func New(client API, bucket string, opts ...Option) *Store {
	s := &Store{client: client, bucket: bucket}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Bucket returns the bucket the Store writes to.
func (s *Store) Bucket() string { return s.bucket }

// Put makes one attempt to create the object key holding body. It reports
// existed = true when the object was already there with the very same bytes
// (a redelivery): nothing is written then. It never overwrites: other bytes
// at key give an *Error of Kind Conflict. Any error is an *Error.
func (s *Store) Put(ctx context.Context, key string, body []byte, contentType string) (existed bool, err error) {
	in := &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		IfNoneMatch:   aws.String("*"),
	}
	if contentType != "" {
		in.ContentType = aws.String(contentType)
	}
	if s.contentMD5 {
		sum := md5.Sum(body)
		in.ContentMD5 = aws.String(base64.StdEncoding.EncodeToString(sum[:]))
	}
	_, err = s.client.PutObject(ctx, in)
	if err == nil {
		return false, nil
	}
	e := classify("put", key, err)
	if e.Status != http.StatusPreconditionFailed {
		return false, e
	}
	return s.compare(ctx, key, body)
}

// compare reads the existing object at key and tells a duplicate from a
// conflict.
func (s *Store) compare(ctx context.Context, key string, body []byte) (bool, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		e := classify("get", key, err)
		if e.Code == "NoSuchKey" {
			// Deleted between our put and get: try the put again.
			e.Kind = Transient
		}
		return false, e
	}
	defer out.Body.Close()
	got, err := io.ReadAll(io.LimitReader(out.Body, int64(len(body))+1))
	if err != nil {
		return false, classify("get", key, err)
	}
	if bytes.Equal(got, body) {
		return true, nil
	}
	return false, &Error{Op: "put", Key: key, Kind: Conflict, Code: "Conflict", Status: http.StatusPreconditionFailed,
		Err: fmt.Errorf("%w (existing %s, new %d bytes)", ErrConflict, sizeOf(out.ContentLength, len(got)), len(body))}
}

func sizeOf(n *int64, read int) string {
	if n != nil {
		return fmt.Sprintf("%d bytes", *n)
	}
	return fmt.Sprintf("at least %d bytes", read)
}

// KindOf returns the Kind of err if it is or wraps an *Error, else Permanent.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Permanent
}
