package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"syscall"
	"testing"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// apiErr builds the error chain the SDK returns for an S3 error answer.
func apiErr(status int, code string) error {
	return &smithy.OperationError{ServiceID: "S3", OperationName: "PutObject", Err: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      &smithy.GenericAPIError{Code: code, Message: "m"},
	}}
}

func TestClassify(t *testing.T) {
	tests := map[string]struct {
		err      error
		kind     Kind
		code     string
		retry    bool
		throttle bool
	}{
		"SlowDown":                   {apiErr(503, "SlowDown"), Throttled, "SlowDown", true, true},
		"429":                        {apiErr(429, "TooManyRequests"), Throttled, "TooManyRequests", true, true},
		"InternalError":              {apiErr(500, "InternalError"), Transient, "InternalError", true, false},
		"503 ServiceUnavailable":     {apiErr(503, "ServiceUnavailable"), Transient, "ServiceUnavailable", true, false},
		"502":                        {apiErr(502, "BadGateway"), Transient, "BadGateway", true, false},
		"504":                        {apiErr(504, "GatewayTimeout"), Transient, "GatewayTimeout", true, false},
		"RequestTimeout 400":         {apiErr(400, "RequestTimeout"), Transient, "RequestTimeout", true, false},
		"ConditionalRequestConflict": {apiErr(409, "ConditionalRequestConflict"), Transient, "ConditionalRequestConflict", true, false},
		"BadDigest":                  {apiErr(400, "BadDigest"), Transient, "BadDigest", true, false},
		"AccessDenied":               {apiErr(403, "AccessDenied"), Permanent, "AccessDenied", false, false},
		"NoSuchBucket":               {apiErr(404, "NoSuchBucket"), Permanent, "NoSuchBucket", false, false},
		"InvalidArgument":            {apiErr(400, "InvalidArgument"), Permanent, "InvalidArgument", false, false},
		"connection reset":           {fmt.Errorf("send: %w", syscall.ECONNRESET), Transient, "ConnectionError", true, false},
		"cut body":                   {fmt.Errorf("read: %w", io.ErrUnexpectedEOF), Transient, "ConnectionError", true, false},
		"deadline":                   {fmt.Errorf("op: %w", context.DeadlineExceeded), Transient, "RequestTimeout", true, false},
		"caller canceled":            {fmt.Errorf("op: %w", context.Canceled), Permanent, "Canceled", false, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := classify("put", "k", tc.err)
			if e.Kind != tc.kind || e.Code != tc.code || e.RetryableError() != tc.retry || e.ThrottleError() != tc.throttle {
				t.Errorf("classify(%v) = %v %q retry=%v throttle=%v; want %v %q %v %v",
					tc.err, e.Kind, e.Code, e.RetryableError(), e.ThrottleError(), tc.kind, tc.code, tc.retry, tc.throttle)
			}
			if !errors.Is(e, tc.err) {
				t.Errorf("classified error does not unwrap to %v", tc.err)
			}
		})
	}
}
