package main

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"

	"github.com/s3uploader/s3uploader/pkg/s3sim"
)

// s3Front is the S3 endpoint the function sees: a throttle (and optional
// faults) in front of a reverse proxy to the local AWS's S3. The proxy
// notes the order in which S3 answered "stored" for each object (stored).
type s3Front struct {
	URL      string
	throttle *s3sim.Throttle
	faults   *s3sim.Faults
	srv      *http.Server
	stored   storeOrder
}

func startS3Front(target string, cfg Config) (*s3Front, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = u.Host // moto reads path-style addressing from its own host name
		},
		// A function that gives up on a request (attempt timeout) cancels
		// it; that is the point, not news.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	f := &s3Front{}
	proxy.ModifyResponse = func(resp *http.Response) error {
		f.stored.answer(resp)
		return nil
	}
	var h http.Handler = proxy
	if cfg.ErrorRate > 0 || cfg.ResetRate > 0 {
		f.faults = s3sim.NewFaults(h, s3sim.FaultConfig{Seed: cfg.Seed, ErrorRate: cfg.ErrorRate, ResetRate: cfg.ResetRate})
		h = f.faults
	}
	f.throttle = s3sim.NewThrottle(h, s3sim.ThrottleConfig{Rate: cfg.Rate, Burst: cfg.Burst})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f.URL = "http://" + l.Addr().String()
	f.srv = &http.Server{Handler: f.throttle, ReadHeaderTimeout: 10 * time.Second}
	go f.srv.Serve(l)
	return f, nil
}

func (f *s3Front) Stats() s3sim.ThrottleStats { return f.throttle.Stats() }

func (f *s3Front) faultCounts() map[string]int64 {
	if f.faults == nil {
		return nil
	}
	return f.faults.Counts()
}

func (f *s3Front) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = f.srv.Shutdown(ctx)
	_ = f.srv.Close()
}

// storeOrder numbers the objects in the order S3 first answered a PUT of
// theirs with "stored": 200, or 412 Precondition Failed to a conditional
// write (already stored). That is when the function learns it stored the
// object, and so the order the function stored a FIFO group in. It is
// safe for concurrent use; its zero value is empty.
type storeOrder struct {
	mu    sync.Mutex
	n     int
	first map[string]int // by path-style path, /bucket/key
}

func (o *storeOrder) answer(resp *http.Response) {
	if resp.Request == nil || resp.Request.Method != http.MethodPut ||
		resp.StatusCode/100 != 2 && resp.StatusCode != http.StatusPreconditionFailed {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	path := resp.Request.URL.Path
	if _, ok := o.first[path]; ok {
		return
	}
	if o.first == nil {
		o.first = map[string]int{}
	}
	o.n++
	o.first[path] = o.n
}

// at returns the place of bucket/key in the order, and whether S3 was
// seen to store it.
func (o *storeOrder) at(bucket, key string) (int, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n, ok := o.first["/"+bucket+"/"+key]
	return n, ok
}
