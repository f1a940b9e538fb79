package main

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/s3uploader/s3uploader/pkg/s3sim"
)

// s3Front is the S3 endpoint the function sees: a throttle (and optional
// faults) in front of a reverse proxy to the local AWS's S3.
type s3Front struct {
	URL      string
	throttle *s3sim.Throttle
	faults   *s3sim.Faults
	srv      *http.Server
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
