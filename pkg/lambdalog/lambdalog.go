// Package lambdalog writes slog records in the shape of AWS Lambda's JSON log
// format: one JSON object per line with "timestamp" (RFC 3339, UTC), "level"
// (DEBUG, INFO, WARN, ERROR) and "message", then the record's attributes.
// CloudWatch Logs Insights discovers every field of such lines, and JSON
// filter patterns ({ $.attempt > 1 }) match them.
package lambdalog

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// New returns a logger writing Lambda-shaped JSON lines to w at level and
// above. Records logged with a Lambda invocation's context carry its
// "requestId", as Lambda's own JSON lines do. Writes to w are serialised.
func New(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(requestIDHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				return slog.String("timestamp", a.Value.Time().UTC().Format(time.RFC3339Nano))
			case slog.MessageKey:
				a.Key = "message"
			}
			return a
		},
	})})
}

// requestIDHandler adds the Lambda request ID found in a record's context.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		r.AddAttrs(slog.String("requestId", lc.AwsRequestID))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// Level parses a Lambda log level, as Lambda sets it in AWS_LAMBDA_LOG_LEVEL
// from the function's application log level: TRACE and DEBUG give
// slog.LevelDebug, WARN slog.LevelWarn, ERROR and FATAL slog.LevelError;
// INFO, empty or anything else slog.LevelInfo.
func Level(s string) slog.Level {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "TRACE", "DEBUG":
		return slog.LevelDebug
	case "WARN", "WARNING":
		return slog.LevelWarn
	case "ERROR", "FATAL":
		return slog.LevelError
	}
	return slog.LevelInfo
}
