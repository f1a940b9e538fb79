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
		out, err := p.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(p.cfg.QueueURL),
			MaxNumberOfMessages:         int32(min(10, p.cfg.BatchSize-len(msgs))),
			WaitTimeSeconds:             int32(wait / time.Second),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
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

// maxPayload is Lambda's synchronous invocation payload limit.
const maxPayload = 6 << 20
