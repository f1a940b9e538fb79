package feeds

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// APIError is an error answer of the service: its code and message.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s: %s (HTTP %d)", e.Code, e.Message, e.Status)
}

// ErrorCode returns the service's error code.
func (e *APIError) ErrorCode() string { return e.Code }

// caller sends signed requests to one service at cfg's endpoint.
type caller struct {
	cfg     aws.Config
	service string // the signing name: "sns", "events"
	signer  *v4.Signer
	client  *http.Client
}

func newCaller(cfg aws.Config, service string) caller {
	client := http.DefaultClient
	if c, ok := cfg.HTTPClient.(*http.Client); ok && c != nil {
		client = c
	}
	return caller{cfg: cfg, service: service, signer: v4.NewSigner(), client: client}
}

// endpoint is the configured endpoint, or the service's own in the
// configured region.
func (c caller) endpoint() string {
	if c.cfg.BaseEndpoint != nil && *c.cfg.BaseEndpoint != "" {
		return strings.TrimSuffix(*c.cfg.BaseEndpoint, "/") + "/"
	}
	return fmt.Sprintf("https://%s.%s.amazonaws.com/", c.service, c.cfg.Region)
}

// post sends body with the given headers, signed, and returns the answer's
// status and body.
func (c caller) post(ctx context.Context, body []byte, header map[string]string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if c.cfg.Credentials == nil {
		return 0, nil, fmt.Errorf("%s: no credentials", c.service)
	}
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: credentials: %w", c.service, err)
	}
	sum := sha256.Sum256(body)
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), c.service, c.cfg.Region, time.Now()); err != nil {
		return 0, nil, fmt.Errorf("%s: sign: %w", c.service, err)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}
