package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/s3uploader/s3uploader/pkg/deployed"
	"github.com/s3uploader/s3uploader/pkg/twin/esm"
)

// waitDrained polls the queue until it has been empty (nothing visible,
// nothing in flight) for cfg.SettleQuiet, printing a status line every few
// seconds. It returns false on timeout.
func waitDrained(ctx context.Context, c clients, st *deployed.Stack, cfg Config, p *esm.Poller, front *s3Front, out io.Writer) bool {
	begin := time.Now()
	deadline := begin.Add(cfg.Timeout)
	var emptySince, lastPrint time.Time
	last := ""
	for {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(250 * time.Millisecond):
		}
		line, visible, inflight := status(ctx, c, st, p, front)
		// A line when something changed (at most every 2 s), else every 15 s.
		if (line != last && time.Since(lastPrint) >= 2*time.Second) || time.Since(lastPrint) >= 15*time.Second {
			note := ""
			if visible == 0 && inflight > 0 {
				note = "  (failed records wait out the visibility timeout)"
			}
			fmt.Fprintf(out, "  %5.1fs  %s%s\n", time.Since(begin).Seconds(), line, note)
			last, lastPrint = line, time.Now()
		}
		if visible == 0 && inflight == 0 {
			if emptySince.IsZero() {
				emptySince = time.Now()
			}
			if time.Since(emptySince) >= cfg.SettleQuiet {
				return true
			}
		} else {
			emptySince = time.Time{}
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(out, "  ✗ queue not drained after %s\n", cfg.Timeout)
			return false
		}
	}
}

// status is the run's status line: the queue and the DLQ, the event
// source's invocations and the S3 throttle; with the queue's depth.
func status(ctx context.Context, c clients, st *deployed.Stack, p *esm.Poller, front *s3Front) (line string, visible, inflight int) {
	visible, inflight = queueDepth(ctx, c, st.QueueURL)
	dlq, _ := queueDepth(ctx, c, st.DLQURL)
	s, ts := p.Stats(), front.Stats()
	line = fmt.Sprintf("queue %4d visible %4d in flight │ DLQ %d │ invocations %d (%d partial, %d failed) │ S3 PUT %d ok, %d SlowDown",
		visible, inflight, dlq, s.Invocations, s.PartialBatches,
		s.FunctionErrors+s.Timeouts+s.InvalidResponses+s.InvokeErrors, ts.Admitted, ts.Throttled)
	return line, visible, inflight
}

// queueDepth is depthOf for the progress line: -1, -1 when the queue
// cannot be counted.
func queueDepth(ctx context.Context, c clients, url string) (visible, inflight int) {
	if url == "" {
		return 0, 0
	}
	visible, inflight, err := depthOf(ctx, c.sqs, url)
	if err != nil {
		return -1, -1
	}
	return visible, inflight
}
