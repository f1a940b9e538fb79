// Package moto starts and stops a local moto server (a Python emulator of
// AWS: S3, SQS, CloudFormation, Lambda's control plane, IAM, STS, SSM,
// CloudWatch and CloudWatch Logs in one process) for demos and tests.
//
// The server listens on 127.0.0.1 on a free port, in its own process
// group; Stop kills the group. Clients use Endpoint, which names the host
// "localhost": moto resolves CloudFormation's template and asset URLs by
// that host name.
package moto

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"time"

	"github.com/s3uploader/s3uploader/pkg/proc"
)

// Local credentials, account and region that moto accepts.
const (
	AccessKeyID     = "test"
	SecretAccessKey = "test"
	Region          = "us-east-1"
	AccountID       = "123456789012"
)

// Install is the advice printed when moto_server is missing.
const Install = "moto_server not found: pip install 'moto[server]'"

// ErrNotInstalled is returned by Start when moto_server is not on PATH.
var ErrNotInstalled = errors.New(Install)

// Path returns the path of moto_server, or ErrNotInstalled.
func Path() (string, error) {
	p, err := exec.LookPath("moto_server")
	if err != nil {
		return "", ErrNotInstalled
	}
	return p, nil
}

// Server is a running moto_server.
type Server struct {
	// Endpoint is http://localhost:PORT.
	Endpoint string
	// Port is the TCP port on 127.0.0.1.
	Port int
	proc *proc.Process
}

// Start runs moto_server on a free port and waits until it answers. Its
// output goes to log (nil discards it).
func Start(ctx context.Context, log io.Writer) (*Server, error) {
	path, err := Path()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = io.Discard
	}
	var lastErr error
	for range 3 { // the free port may be taken between choosing and binding
		port, err := proc.FreePort()
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(path, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
		cmd.Stdout, cmd.Stderr = log, log
		p, err := proc.Start(cmd)
		if err != nil {
			return nil, err
		}
		s := &Server{Endpoint: "http://localhost:" + strconv.Itoa(port), Port: port, proc: p}
		if lastErr = s.waitReady(ctx, 30*time.Second); lastErr == nil {
			return s, nil
		}
		p.Stop(time.Second)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return nil, fmt.Errorf("moto_server: %w", lastErr)
}

func (s *Server) waitReady(ctx context.Context, timeout time.Duration) error {
	if err := s.proc.WaitListening(proc.Addr(s.Port), timeout); err != nil {
		return err
	}
	// moto's own API answers once the app is loaded.
	deadline := time.Now().Add(timeout)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+proc.Addr(s.Port)+"/moto-api/data.json", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("moto not ready: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Pid is the server's process id (and process group id).
func (s *Server) Pid() int { return s.proc.Pid() }

// Done is closed if the server exits.
func (s *Server) Done() <-chan struct{} { return s.proc.Done() }

// Stop stops the server and its process group.
func (s *Server) Stop() { s.proc.Stop(3 * time.Second) }

// Env is the environment for AWS clients and the AWS CLI talking to s.
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + s.Endpoint,
		"AWS_ACCESS_KEY_ID=" + AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + SecretAccessKey,
		"AWS_REGION=" + Region,
		"AWS_DEFAULT_REGION=" + Region,
	}
}
