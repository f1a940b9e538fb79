package main

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/s3uploader/s3uploader/pkg/twin/moto"
)

// fakeDLQ is a queue of messages that a receive hides (a visibility
// timeout that never runs out, unless set back to 0). Every emptyEvery-th
// receive answers empty, as a short poll of SQS may, and a receive returns
// at most perReceive messages; held messages are in flight with another
// reader throughout.
type fakeDLQ struct {
	msgs       []sqstypes.Message
	hidden     []bool
	handles    map[string]int // receipt handle → index in msgs
	held       int
	emptyEvery int
	perReceive int
	receives   int
}

func newFakeDLQ(n int) *fakeDLQ {
	f := &fakeDLQ{handles: map[string]int{}, perReceive: 10}
	for i := range n {
		f.msgs = append(f.msgs, sqstypes.Message{
			MessageId: aws.String(fmt.Sprintf("m%d", i)),
			MessageAttributes: map[string]sqstypes.MessageAttributeValue{
				"key": {DataType: aws.String("String"), StringValue: aws.String(fmt.Sprintf("k%d", i))},
			},
		})
		f.hidden = append(f.hidden, false)
	}
	return f
}

func (f *fakeDLQ) ReceiveMessage(_ context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	f.receives++
	out := &sqs.ReceiveMessageOutput{}
	if f.emptyEvery > 0 && f.receives%f.emptyEvery == 0 {
		return out, nil
	}
	for i, m := range f.msgs {
		if len(out.Messages) == min(int(in.MaxNumberOfMessages), f.perReceive) {
			break
		}
		if f.hidden[i] {
			continue
		}
		f.hidden[i] = in.VisibilityTimeout > 0
		h := fmt.Sprintf("h%d", len(f.handles))
		f.handles[h] = i
		m.ReceiptHandle = aws.String(h)
		out.Messages = append(out.Messages, m)
	}
	return out, nil
}

func (f *fakeDLQ) GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	return &sqs.GetQueueAttributesOutput{Attributes: map[string]string{
		"ApproximateNumberOfMessages":           strconv.Itoa(f.visible()),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(len(f.msgs) - f.visible() + f.held),
	}}, nil
}

func (f *fakeDLQ) ChangeMessageVisibilityBatch(_ context.Context, in *sqs.ChangeMessageVisibilityBatchInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	for _, e := range in.Entries {
		f.hidden[f.handles[aws.ToString(e.ReceiptHandle)]] = e.VisibilityTimeout > 0
	}
	return &sqs.ChangeMessageVisibilityBatchOutput{}, nil
}

func (f *fakeDLQ) visible() int {
	n := 0
	for _, h := range f.hidden {
		if !h {
			n++
		}
	}
	return n
}

// TestReadDLQ: the DLQ is read whole, past any fixed number of receives and
// past empty answers, each message once, and left as it was found.
func TestReadDLQ(t *testing.T) {
	tests := map[string]struct {
		messages, held, emptyEvery, perReceive int
		wantRead, wantDepth                    int
	}{
		"empty":                         {wantRead: 0, wantDepth: 0},
		"one batch":                     {messages: 7, perReceive: 10, wantRead: 7, wantDepth: 7},
		"over 500, short answers":       {messages: 1200, perReceive: 3, wantRead: 1200, wantDepth: 1200},
		"empty answers mid-count":       {messages: 572, perReceive: 10, emptyEvery: 4, wantRead: 572, wantDepth: 572},
		"some held by another reader":   {messages: 40, held: 2, perReceive: 10, wantRead: 40, wantDepth: 42},
		"empty answers, then held ones": {messages: 25, held: 1, perReceive: 10, emptyEvery: 2, wantRead: 25, wantDepth: 26},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFakeDLQ(tt.messages)
			f.held, f.emptyEvery, f.perReceive = tt.held, tt.emptyEvery, tt.perReceive
			msgs, depth, err := readQueue(context.Background(), f, "dlq", origin{})
			if err != nil {
				t.Fatalf("readQueue = %v", err)
			}
			seen := map[string]bool{}
			for _, m := range msgs {
				if seen[m.MessageID] {
					t.Errorf("message %s read twice", m.MessageID)
				}
				seen[m.MessageID] = true
			}
			if len(msgs) != tt.wantRead || depth != tt.wantDepth {
				t.Errorf("readQueue read %d of %d; want %d of %d", len(msgs), depth, tt.wantRead, tt.wantDepth)
			}
			if v := f.visible(); v != tt.messages {
				t.Errorf("%d of %d messages visible after the count; want all", v, tt.messages)
			}
		})
	}
}

// TestNewDLQMessage: a message the function dead-lettered names the message
// sent and the reason; one SQS's redrive moved keeps its messageId.
func TestNewDLQMessage(t *testing.T) {
	str := func(v string) sqstypes.MessageAttributeValue {
		return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	tests := map[string]struct {
		in   sqstypes.Message
		want dlqMessage
	}{
		"dead-lettered by the function": {
			in: sqstypes.Message{MessageId: aws.String("new"), MessageAttributes: map[string]sqstypes.MessageAttributeValue{
				"key": str("../poison/1"), "failure.reason": str("InvalidKey"), "failure.messageId": str("sent"),
				"failure.errorCode": str("InvalidKey"), "failure.function": str("fn"),
				"failure.receiveCount": {DataType: aws.String("Number"), StringValue: aws.String("1")},
			}},
			want: dlqMessage{MessageID: "new", OriginalID: "sent", Key: "../poison/1", Reason: "InvalidKey"},
		},
		"moved by redrive": {
			in:   sqstypes.Message{MessageId: aws.String("sent"), MessageAttributes: map[string]sqstypes.MessageAttributeValue{"key": str("a/1")}},
			want: dlqMessage{MessageID: "sent", OriginalID: "sent", Key: "a/1", Reason: redriveReason},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := newDLQMessage(tt.in, origin{}); got != tt.want {
				t.Errorf("newDLQMessage = %+v; want %+v", got, tt.want)
			}
		})
	}
}

// TestReadDLQMoto reads a queue of moto's SQS whole, over the SQS protocol:
// messages dead-lettered by the function and moved by redrive, each once,
// and all of them visible again afterwards.
func TestReadDLQMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the moto test")
	}
	srv := moto.StartTest(t)
	ctx := context.Background()
	q := sqs.NewFromConfig(srv.AWSConfig())
	created, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("dlq")})
	if err != nil {
		t.Fatal(err)
	}
	url := aws.ToString(created.QueueUrl)
	str := func(v string) sqstypes.MessageAttributeValue {
		return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	const n = 35
	for i := range n {
		attrs := map[string]sqstypes.MessageAttributeValue{"key": str(fmt.Sprintf("k/%d", i))}
		if i%5 == 0 {
			attrs["failure.reason"], attrs["failure.messageId"] = str("InvalidKey"), str(fmt.Sprintf("sent-%d", i))
			attrs["failure.receiveCount"] = sqstypes.MessageAttributeValue{DataType: aws.String("Number"), StringValue: aws.String("1")}
		}
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageAttributes: attrs}); err != nil {
			t.Fatal(err)
		}
	}
	msgs, depth, err := readQueue(ctx, q, url, origin{})
	if err != nil {
		t.Fatalf("readQueue = %v", err)
	}
	reasons := map[string]int{}
	for _, m := range msgs {
		reasons[m.Reason]++
	}
	if len(msgs) != n || depth != n || reasons["InvalidKey"] != 7 || reasons[redriveReason] != 28 {
		t.Errorf("readQueue = %d messages of %d, by reason %v; want %d of %d, InvalidKey 7, redrive 28", len(msgs), depth, reasons, n, n)
	}
	a, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil || a.Attributes["ApproximateNumberOfMessages"] != strconv.Itoa(n) {
		t.Errorf("ApproximateNumberOfMessages = %v, %v; want %d visible again", a.Attributes, err, n)
	}
}
