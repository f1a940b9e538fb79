package esm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/s3uploader/s3uploader/pkg/twin/moto"
)

type fnErr struct{ timeout bool }

func (e fnErr) Error() string       { return "function failed" }
func (e fnErr) FunctionError() bool { return true }
func (e fnErr) Timeout() bool       { return e.timeout }

func TestClassifyInvokeError(t *testing.T) {
	tests := map[string]struct {
		err  error
		want Outcome
	}{
		"function error": {err: fnErr{}, want: FunctionError},
		"timeout":        {err: fmt.Errorf("invoke: %w", fnErr{timeout: true}), want: Timeout},
		"transport":      {err: errors.New("connection refused"), want: InvokeError},
		"ctx":            {err: context.DeadlineExceeded, want: InvokeError},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := classifyInvokeError(tc.err); got != tc.want {
				t.Errorf("classifyInvokeError(%v) = %v; want %v", tc.err, got, tc.want)
			}
		})
	}
}

// TestAgainstMoto runs the poller on a real SQS API (moto) with a queue
// and a dead-letter queue, and a function that fails some records
// partially, some whole batches, and answers garbage for others.
func TestAgainstMoto(t *testing.T) {
	srv := moto.StartTest(t)
	ctx := context.Background()
	client := sqs.NewFromConfig(srv.AWSConfig())

	dlq, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("dlq")})
	if err != nil {
		t.Fatal(err)
	}
	dlqARN := "arn:aws:sqs:us-east-1:123456789012:dlq"
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String("q"),
		Attributes: map[string]string{
			"VisibilityTimeout": "1",
			"RedrivePolicy":     `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":"3"}`,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	// ok-N succeed; fail-N are always reported failed (partial); flaky-N
	// fail the whole batch on first sight (function error). A record can
	// be in at most two failed batches (one per flaky record), so with
	// maxReceiveCount 3 only the fail-N records reach the DLQ.
	var bodies []string
	for i := range 20 {
		bodies = append(bodies, fmt.Sprintf("ok-%d", i))
	}
	bodies = append(bodies, "fail-1", "fail-2", "flaky-1", "flaky-2")
	for _, b := range bodies {
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{
			QueueUrl: q.QueueUrl, MessageBody: aws.String(b),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"kind": {DataType: aws.String("String"), StringValue: aws.String(strings.Split(b, "-")[0])},
			},
		}); err != nil {
			t.Fatal(err)
		}
	}

	var mu sync.Mutex
	seen := map[string]int{}
	fn := InvokerFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
		var ev events.SQSEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, err
		}
		mu.Lock()
		defer mu.Unlock()
		var resp events.SQSEventResponse
		flaky := false
		for _, r := range ev.Records {
			seen[r.Body]++
			if r.EventSource != "aws:sqs" || r.Attributes["ApproximateReceiveCount"] == "" || r.MessageAttributes["kind"].StringValue == nil {
				return nil, fmt.Errorf("record lacks fields: %+v", r)
			}
			if strings.HasPrefix(r.Body, "fail") {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			}
			if strings.HasPrefix(r.Body, "flaky") && seen[r.Body] == 1 {
				flaky = true
			}
		}
		if flaky {
			return nil, fnErr{}
		}
		return json.Marshal(resp)
	})
	var batches []Batch
	p := New(client, fn, Config{
		QueueURL: aws.ToString(q.QueueUrl), QueueARN: "arn:aws:sqs:us-east-1:123456789012:q", Region: "us-east-1",
		BatchSize: 5, MaxBatchingWindow: time.Second, ReportBatchItemFailures: true, Concurrency: 2,
		WaitTime: time.Second,
		OnBatch:  func(b Batch) { mu.Lock(); batches = append(batches, b); mu.Unlock() },
	})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()

	// Wait until both failing records are in the DLQ.
	deadline := time.Now().Add(40 * time.Second)
	for {
		a, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: dlq.QueueUrl, AttributeNames: []types.QueueAttributeName{"ApproximateNumberOfMessages"},
		})
		if err != nil {
			t.Fatal(err)
		}
		qa, _ := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: q.QueueUrl, AttributeNames: []types.QueueAttributeName{"All"},
		})
		if a.Attributes["ApproximateNumberOfMessages"] == "2" && qa.Attributes["ApproximateNumberOfMessages"] == "0" &&
			qa.Attributes["ApproximateNumberOfMessagesNotVisible"] == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("DLQ = %v, queue = %v after 40s; want 2 and empty", a.Attributes, qa.Attributes)
		}
		time.Sleep(200 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	st := p.Stats()
	mu.Lock()
	defer mu.Unlock()
	for _, b := range bodies {
		want := 1
		switch {
		case strings.HasPrefix(b, "fail"):
			want = 3 // maxReceiveCount
		case strings.HasPrefix(b, "flaky"):
			want = 2
		}
		if seen[b] < want {
			t.Errorf("record %q delivered %d times; want at least %d", b, seen[b], want)
		}
	}
	// At least once: with a 1s visibility timeout on a busy machine a record
	// can be received again before its delete lands, so 22 is a floor.
	if st.Deleted < 22 || st.FunctionErrors == 0 || st.PartialBatches == 0 {
		t.Errorf("Stats() = %+v; want at least 22 deleted, function errors and partial batches", st)
	}
	for _, b := range batches {
		if len(b.MessageIDs) > 5 {
			t.Errorf("batch of %d records; want at most BatchSize 5", len(b.MessageIDs))
		}
		// OnBatch sees the records as the function did: the demo renders
		// their keys from them (SentTimestamp, attributes).
		if len(b.Records) != len(b.MessageIDs) {
			t.Errorf("batch has %d records for %d message IDs; want them alike", len(b.Records), len(b.MessageIDs))
			continue
		}
		for i, r := range b.Records {
			if r.MessageId != b.MessageIDs[i] || r.Attributes["SentTimestamp"] == "" || r.MessageAttributes["kind"].StringValue == nil {
				t.Errorf("batch record %d = %+v; want message %s with its SentTimestamp and attributes", i, r, b.MessageIDs[i])
			}
		}
	}
}

// TestFIFOAgainstMoto runs four pollers on a FIFO queue of moto's SQS with
// three message groups, and a function that stops a group at its first
// failure (as the uploader does) and fails some records once: no group
// is ever in two batches at once, every record carries its MessageGroupId
// and SequenceNumber, and each group's records succeed in the order sent.
func TestFIFOAgainstMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the moto test")
	}
	srv := moto.StartTest(t)
	ctx := context.Background()
	client := sqs.NewFromConfig(srv.AWSConfig())
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q.fifo"),
		Attributes: map[string]string{"FifoQueue": "true", "VisibilityTimeout": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	const groups, perGroup = 3, 10
	sent := map[string][]string{}
	for i := range groups * perGroup {
		g, body := fmt.Sprintf("g%d", i%groups), fmt.Sprintf("m%02d", i)
		sent[g] = append(sent[g], body)
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(body),
			MessageGroupId: aws.String(g), MessageDeduplicationId: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	f := &fifoFunction{inFlight: map[string]bool{}, done: map[string][]string{}, seen: map[string]int{}}
	p := New(client, InvokerFunc(f.invoke), Config{QueueURL: aws.ToString(q.QueueUrl), BatchSize: 4,
		ReportBatchItemFailures: true, Concurrency: 4, WaitTime: time.Second})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	deadline := time.Now().Add(60 * time.Second)
	for f.count() < groups*perGroup && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	<-done
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.errs {
		t.Error(e)
	}
	for g, want := range sent {
		if got := f.done[g]; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("group %s stored %q; want %q, the order sent", g, got, want)
		}
	}
}

// fifoFunction handles a batch as the uploader does on a FIFO queue: in
// order, a group stopped at its first failure, the rest of the group
// reported failed. Every fifth record fails on its first delivery.
type fifoFunction struct {
	mu       sync.Mutex
	inFlight map[string]bool
	done     map[string][]string
	seen     map[string]int
	errs     []string
}

func (f *fifoFunction) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, d := range f.done {
		n += len(d)
	}
	return n
}

func (f *fifoFunction) invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	f.mu.Lock()
	groups := map[string]bool{}
	for _, r := range ev.Records {
		g := r.Attributes["MessageGroupId"]
		if g == "" || r.Attributes["SequenceNumber"] == "" {
			f.errs = append(f.errs, fmt.Sprintf("record %s lacks MessageGroupId or SequenceNumber: %v", r.Body, r.Attributes))
		}
		if f.inFlight[g] && !groups[g] {
			f.errs = append(f.errs, fmt.Sprintf("group %s in two batches at once", g))
		}
		groups[g] = true
	}
	for g := range groups {
		f.inFlight[g] = true
	}
	f.mu.Unlock()
	time.Sleep(20 * time.Millisecond) // the uploads
	f.mu.Lock()
	defer f.mu.Unlock()
	var resp events.SQSEventResponse
	stopped := map[string]bool{}
	for _, r := range ev.Records {
		g := r.Attributes["MessageGroupId"]
		f.seen[r.Body]++
		if stopped[g] || f.seen[r.Body] == 1 && r.Body[len(r.Body)-1]%5 == 0 {
			stopped[g] = true
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			continue
		}
		f.done[g] = append(f.done[g], r.Body)
	}
	for g := range groups {
		f.inFlight[g] = false
	}
	return json.Marshal(resp)
}
