package logship

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// Logs is the part of the CloudWatch Logs client a Shipper uses;
// *cloudwatchlogs.Client satisfies it.
type Logs interface {
	CreateLogStream(context.Context, *cloudwatchlogs.CreateLogStreamInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogStreamOutput, error)
	PutLogEvents(context.Context, *cloudwatchlogs.PutLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutLogEventsOutput, error)
}

// Format is a function's log format.
type Format int

const (
	Text Format = iota // platform lines as text: START RequestId: ...
	JSON               // platform lines as JSON records: {"type":"platform.start",...}
)

// Config sets a Shipper. The zero value of each optional field means the
// default.
type Config struct {
	LogGroup string // required; it must exist
	// LogStream defaults to Lambda's shape for version $LATEST.
	LogStream string
	Format    Format
	// Timeout is the function timeout, for the "Task timed out after N
	// seconds" line (default 3s).
	Timeout time.Duration
	// FlushInterval is the most time an event waits before it is sent
	// (default 1s).
	FlushInterval time.Duration
	// Echo, if set, also receives every line shipped (after translation).
	Echo func(line string)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Shipper is an io.Writer shipping lines to one log stream. Write may be
// called from any goroutine; Close once, after the last Write.
type Shipper struct {
	logs Logs
	cfg  Config

	mu      sync.Mutex
	partial []byte // an unterminated line
	req     requestState
	lastTS  int64

	queue  *Queue[types.InputLogEvent]
	ticker *time.Ticker

	shipped, failed atomic.Int64
}

// StreamName returns a stream name of Lambda's shape for the given day.
func StreamName(t time.Time) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return t.UTC().Format("2006/01/02") + "/[$LATEST]" + hex.EncodeToString(b[:])
}

// New creates the log stream and starts the background flusher.
func New(ctx context.Context, logs Logs, cfg Config) (*Shipper, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = time.Second
	}
	if cfg.LogStream == "" {
		cfg.LogStream = StreamName(cfg.Now())
	}
	if _, err := logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{
		LogGroupName: aws.String(cfg.LogGroup), LogStreamName: aws.String(cfg.LogStream),
	}); err != nil {
		return nil, fmt.Errorf("create log stream %s: %w", cfg.LogStream, err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	s := &Shipper{logs: logs, cfg: cfg, ticker: time.NewTicker(cfg.FlushInterval)}
	s.req.timeout = strconv.FormatFloat(cfg.Timeout.Seconds(), 'f', 2, 64)
	s.queue = NewQueue(s.ticker.C, s.put)
	return s, nil
}

// Stream is the log stream's name.
func (s *Shipper) Stream() string { return s.cfg.LogStream }

// Shipped counts the events accepted by CloudWatch Logs; Failed those that
// could not be sent.
func (s *Shipper) Shipped() int64 { return s.shipped.Load() }

// Failed counts events lost because PutLogEvents failed.
func (s *Shipper) Failed() int64 { return s.failed.Load() }

// Write splits p into lines and queues the ones Lambda would log.
func (s *Shipper) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data := append(s.partial, p...)
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		s.line(string(bytes.TrimRight(data[:i], "\r")))
		data = data[i+1:]
	}
	s.partial = append([]byte(nil), data...)
	return len(p), nil
}

// line translates one line of emulator output; s.mu is held.
func (s *Shipper) line(l string) {
	now := s.cfg.Now()
	for _, out := range s.req.translate(l, now, s.cfg.Format) {
		ts := now.UnixMilli()
		if ts < s.lastTS {
			ts = s.lastTS
		}
		s.lastTS = ts
		s.queue.Add(types.InputLogEvent{Message: aws.String(out), Timestamp: aws.Int64(ts)})
		if s.cfg.Echo != nil {
			s.cfg.Echo(out)
		}
	}
}

// Flush sends the queued events now.
func (s *Shipper) Flush(ctx context.Context) { _ = s.queue.Flush(ctx) }

// put sends events with PutLogEvents, in calls of at most 10,000 events and
// 1 MB, counting them as shipped or failed.
func (s *Shipper) put(ctx context.Context, events []types.InputLogEvent) error {
	for len(events) > 0 {
		n, size := 0, 0
		for n < len(events) && n < 10000 {
			sz := len(*events[n].Message) + 26
			if size+sz > 1<<20 {
				break
			}
			size += sz
			n++
		}
		_, err := s.logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
			LogGroupName: aws.String(s.cfg.LogGroup), LogStreamName: aws.String(s.cfg.LogStream),
			LogEvents: events[:n],
		})
		if err != nil {
			s.failed.Add(int64(n))
		} else {
			s.shipped.Add(int64(n))
		}
		events = events[n:]
	}
	return nil
}

// Close ships what is left, an unterminated last line included, and stops
// the flusher.
func (s *Shipper) Close(ctx context.Context) error {
	s.mu.Lock()
	if len(s.partial) > 0 {
		s.line(string(s.partial))
		s.partial = nil
	}
	s.mu.Unlock()
	_ = s.queue.Close(ctx)
	s.ticker.Stop()
	if n := s.failed.Load(); n > 0 {
		return fmt.Errorf("logship: %d events could not be sent to %s", n, s.cfg.LogStream)
	}
	return nil
}
