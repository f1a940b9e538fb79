package esm

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func (p *Poller) invoke(ctx context.Context, msgs []types.Message) Batch {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = aws.ToString(m.MessageId)
	}
	b := Batch{MessageIDs: ids}
	p.invocations.Add(1)
	p.records.Add(int64(len(msgs)))

	ev, payload, err := marshalEvent(msgs, p.cfg.QueueARN, p.cfg.Region)
	b.Records = ev.Records
	if err != nil {
		b.Outcome, b.Err = InvokeError, err
	} else {
		ictx, cancel := context.WithTimeout(ctx, p.cfg.FunctionTimeout+15*time.Second)
		start := p.cfg.Now()
		resp, err := p.fn.Invoke(ictx, payload)
		b.Duration = p.cfg.Now().Sub(start)
		cancel()
		switch {
		case err != nil:
			b.Outcome, b.Err = classifyInvokeError(err), err
		case p.cfg.ReportBatchItemFailures:
			failed, err := parseResponse(resp, ids)
			if err != nil {
				b.Outcome, b.Err = InvalidResponse, err
			} else if len(failed) > 0 {
				b.Outcome, b.Failed = Partial, failed
			}
		}
	}
	if b.Outcome != Success && b.Outcome != Partial {
		b.Failed = ids
	}
	p.count(b.Outcome)
	p.failed.Add(int64(len(b.Failed)))
	if p.cfg.FIFO && len(b.Failed) > 1 {
		p.releaseBehind(ctx, msgs, b.Failed)
	}
	b.Deleted = p.deleteAllBut(ctx, msgs, b.Failed)
	p.deleted.Add(int64(b.Deleted))
	return b
}

func (p *Poller) count(o Outcome) {
	switch o {
	case Partial:
		p.partial.Add(1)
	case FunctionError:
		p.functionErrors.Add(1)
	case Timeout:
		p.timeouts.Add(1)
	case InvalidResponse:
		p.invalid.Add(1)
	case InvokeError:
		p.invokeErrs.Add(1)
	}
}

// classifyInvokeError tells function errors and timeouts from invocations
// that could not be made, by behaviour: an error in the chain with
// FunctionError() bool reporting true failed in the function, and one
// whose Timeout() also reports true ran out of time (*rie.FunctionError
// has both). Anything else is an InvokeError.
func classifyInvokeError(err error) Outcome {
	var fe interface {
		FunctionError() bool
	}
	if !errors.As(err, &fe) || !fe.FunctionError() {
		return InvokeError
	}
	var t interface{ Timeout() bool }
	if errors.As(err, &t) && t.Timeout() {
		return Timeout
	}
	return FunctionError
}

// deleteAllBut deletes every message not in keep and returns how many
// were deleted.
func (p *Poller) deleteAllBut(ctx context.Context, msgs []types.Message, keep []string) int {
	skip := make(map[string]bool, len(keep))
	for _, id := range keep {
		skip[id] = true
	}
	var entries []types.DeleteMessageBatchRequestEntry
	for i, m := range msgs {
		if skip[aws.ToString(m.MessageId)] {
			continue
		}
		entries = append(entries, types.DeleteMessageBatchRequestEntry{
			Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle,
		})
	}
	deleted := 0
	for len(entries) > 0 {
		n := min(10, len(entries))
		out, err := p.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{
			QueueUrl: aws.String(p.cfg.QueueURL), Entries: entries[:n],
		})
		if err != nil {
			p.delErrs.Add(int64(n))
		} else {
			deleted += len(out.Successful)
			p.delErrs.Add(int64(len(out.Failed)))
		}
		entries = entries[n:]
	}
	return deleted
}

// releaseBehind makes visible again, at once, every failed record of a
// FIFO batch but the first of its message group (see Poller). A record it
// cannot release keeps its visibility timeout.
func (p *Poller) releaseBehind(ctx context.Context, msgs []types.Message, failed []string) {
	isFailed := make(map[string]bool, len(failed))
	for _, id := range failed {
		isFailed[id] = true
	}
	first := map[string]bool{}
	var entries []types.ChangeMessageVisibilityBatchRequestEntry
	for i, m := range msgs {
		if !isFailed[aws.ToString(m.MessageId)] {
			continue
		}
		g := m.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)]
		if !first[g] {
			first[g] = true
			continue
		}
		entries = append(entries, types.ChangeMessageVisibilityBatchRequestEntry{
			Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0,
		})
	}
	for len(entries) > 0 {
		n := min(10, len(entries))
		_, _ = p.sqs.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{
			QueueUrl: aws.String(p.cfg.QueueURL), Entries: entries[:n],
		})
		entries = entries[n:]
	}
}
