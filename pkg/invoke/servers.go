package invoke

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3uploader/s3uploader/pkg/s3sim"
	"github.com/s3uploader/s3uploader/pkg/sqssim"
)

// server is an HTTP server on 127.0.0.1; Close stops it.
type server struct {
	URL string
	srv *http.Server
}

// serve starts the handler h returns on a free port of 127.0.0.1; h is
// given the server's URL first (sqssim builds queue URLs from it).
func serve(h func(base string) http.Handler) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{URL: "http://" + ln.Addr().String()}
	s.srv = &http.Server{Handler: h(s.URL), ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln) // returns http.ErrServerClosed once Close is called
	return s, nil
}

// Close stops the server and the connections it holds.
func (s *server) Close() { s.srv.Close() }

// localS3 is an in-memory S3 that remembers which objects were written,
// in the order it took them.
type localS3 struct {
	*server
	client *s3.Client

	mu      sync.Mutex
	written []objectRef
}

type objectRef struct{ Bucket, Key string }

// startS3 serves an in-memory S3 holding buckets, in region, behind
// front when it is not nil.
func startS3(buckets []string, region string, front func(http.Handler) http.Handler) (*localS3, error) {
	mem, err := s3sim.NewMemory(buckets...)
	if err != nil {
		return nil, err
	}
	h := mem
	if front != nil {
		h = front(mem)
	}
	l := &localS3{}
	l.server, err = serve(func(string) http.Handler { return http.HandlerFunc(l.record(h)) })
	if err != nil {
		return nil, err
	}
	l.client = s3.New(s3.Options{
		Region:       region,
		BaseEndpoint: aws.String(l.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("invoke", "invoke", ""),
	})
	return l, nil
}

// record serves r with next and remembers a PUT of an object (a put or a
// copy) that S3 took: gofakes3 answers a put by writing nothing, which
// net/http sends as 200, and a refusal with its status.
func (l *localS3) record(next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sw := &s3sim.StatusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		bucket, key, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if r.Method != http.MethodPut || !ok || key == "" || (sw.Status != 0 && sw.Status != http.StatusOK) || r.URL.Query().Has("partNumber") {
			return
		}
		l.mu.Lock()
		l.written = append(l.written, objectRef{bucket, key})
		l.mu.Unlock()
	}
}

// seed puts the seeds' files in S3, and forgets them as written.
func (l *localS3) seed(ctx context.Context, seeds Seeds) error {
	for _, s := range seeds {
		body, err := os.ReadFile(s.File)
		if err != nil {
			return fmt.Errorf("-object %s/%s: %w", s.Bucket, s.Key, err)
		}
		_, err = l.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(s.Key), Body: bytes.NewReader(body)})
		if err != nil {
			return fmt.Errorf("-object %s/%s: put it in the local S3: %w", s.Bucket, s.Key, err)
		}
	}
	l.mu.Lock()
	l.written = nil
	l.mu.Unlock()
	return nil
}

// writes returns the objects written since seed, each once, in the order
// of their first write.
func (l *localS3) writes() []objectRef {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []objectRef
	seen := map[objectRef]bool{}
	for _, o := range l.written {
		if !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	return out
}

// localSQS is sqssim holding the dead-letter queue and the event's source
// queues.
type localSQS struct {
	*server
	sim *sqssim.Server
}

func startSQS(queues []string) (*localSQS, error) {
	if len(queues) == 0 {
		return nil, errors.New("no queues to serve")
	}
	l := &localSQS{}
	var err error
	l.server, err = serve(func(base string) http.Handler {
		l.sim = sqssim.New(base, queues...)
		return l.sim
	})
	return l, err
}
