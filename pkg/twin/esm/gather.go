package esm

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// gather receives up to BatchSize messages within the batching window.
func (p *Poller) gather(ctx context.Context) []types.Message {
	var msgs []types.Message
	size := 0
	var deadline time.Time
	for len(msgs) < p.cfg.BatchSize && size < maxPayload {
		wait := p.cfg.WaitTime
		if len(msgs) > 0 {
			left := deadline.Sub(p.cfg.Now())
			if left < time.Second {
				if left > 0 { // finish the window without a receive
					select {
					case <-time.After(left):
					case <-ctx.Done():
					}
				}
				break
			}
			wait = min(wait, left)
		}
		out, err := p.receive(ctx, int32(min(10, p.cfg.BatchSize-len(msgs))), wait)
		if err != nil {
			if ctx.Err() != nil {
				return msgs // invoked by the caller: never strand received messages
			}
			p.receiveErrs.Add(1)
			select { // back off on errors, as the service does
			case <-time.After(time.Second):
			case <-ctx.Done():
			}
			continue
		}
		if len(msgs) == 0 && len(out.Messages) > 0 {
			deadline = p.cfg.Now().Add(p.cfg.MaxBatchingWindow)
		}
		for _, m := range out.Messages {
			msgs = append(msgs, m)
			size += len(aws.ToString(m.Body))
		}
		if len(msgs) > 0 && p.cfg.MaxBatchingWindow == 0 {
			break
		}
		if ctx.Err() != nil {
			break
		}
	}
	return msgs
}

// fifoPollEvery is how often a poller asks a FIFO queue that had nothing
// to hand out. A FIFO queue is not long-polled: moto looks at the groups
// in flight once, when a receive starts, so a long poll would not see a
// group freed while it waits, and would hold every other poller up (see
// Poller) until it ends.
const fifoPollEvery = 200 * time.Millisecond

// maxPayload is Lambda's synchronous invocation payload limit.
const maxPayload = 6 << 20

// receive receives up to n messages, waiting up to wait for the first,
// with every system attribute (on a FIFO queue MessageGroupId and
// SequenceNumber, which the records carry) and every message attribute.
// A FIFO queue is polled in short receives, one poller at a time (see
// Poller), fifoPollEvery apart while it has nothing to hand out.
func (p *Poller) receive(ctx context.Context, n int32, wait time.Duration) (*sqs.ReceiveMessageOutput, error) {
	in := &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(p.cfg.QueueURL),
		MaxNumberOfMessages:         n,
		WaitTimeSeconds:             int32(wait / time.Second),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	}
	if !p.cfg.FIFO {
		return p.sqs.ReceiveMessage(ctx, in)
	}
	in.WaitTimeSeconds = 0
	p.receiveMu.Lock()
	out, err := p.sqs.ReceiveMessage(ctx, in)
	p.receiveMu.Unlock()
	if err == nil && len(out.Messages) == 0 {
		select {
		case <-time.After(fifoPollEvery):
		case <-ctx.Done():
		}
	}
	return out, err
}
