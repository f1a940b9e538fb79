package sqssim

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// start serves a Server holding queues over HTTP and returns it with a
// real SQS client that makes one attempt per call.
func start(t *testing.T, queues ...string) (*Server, *sqs.Client) {
	t.Helper()
	var sim *Server
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sim.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	sim = New(srv.URL, queues...)
	client := sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  aws.AnonymousCredentials{},
		Retryer:      aws.NopRetryer{},
	})
	return sim, client
}

// TestScriptSeesTheCallAndFailsIt: Script is given what a call carries;
// the code it returns fails the call with SQS's status for it, and nothing
// of the call is kept or Served.
func TestScriptSeesTheCallAndFailsIt(t *testing.T) {
	for code, want := range map[string]int{"InternalError": 500, "AccessDenied": 403, "KMS.DisabledException": 400} {
		t.Run(code, func(t *testing.T) {
			sim, client := start(t, "dlq")
			var got []Call
			sim.Script = func(c Call) string {
				got = append(got, c)
				return code
			}
			sim.Served = func(c Call) { t.Errorf("Served(%+v) after a failed call", c) }
			_, err := client.SendMessage(context.Background(), &sqs.SendMessageInput{
				QueueUrl:    aws.String(sim.URL("dlq")),
				MessageBody: aws.String("body"),
				MessageAttributes: map[string]types.MessageAttributeValue{
					"failure.messageId": {DataType: aws.String("String"), StringValue: aws.String("m-1")},
				},
			})
			var api smithy.APIError
			var resp *awshttp.ResponseError
			if !errors.As(err, &api) || api.ErrorCode() != code || !errors.As(err, &resp) || resp.HTTPStatusCode() != want {
				t.Fatalf("SendMessage = %v; want %s with HTTP %d", err, code, want)
			}
			if len(got) != 1 || got[0].Action != "SendMessage" || got[0].Queue != "dlq" || got[0].Message.Body != "body" ||
				got[0].Message.Attributes["failure.messageId"].String != "m-1" {
				t.Errorf("Script got %+v; want the SendMessage to dlq with its body and attributes", got)
			}
			if n := len(sim.Sent("dlq")); n != 0 {
				t.Errorf("Sent(dlq) holds %d messages after a failed send; want none", n)
			}
		})
	}
}

// TestServedTellsWhatWasKept: Served is told of each call carried out,
// with the changes of a batch in order, once Visibilities holds them.
func TestServedTellsWhatWasKept(t *testing.T) {
	sim, client := start(t, "uploads")
	var (
		mu     sync.Mutex
		served []Call
	)
	sim.Served = func(c Call) {
		mu.Lock()
		defer mu.Unlock()
		if c.Action == "ChangeMessageVisibilityBatch" && len(sim.Visibilities(c.Queue)) != len(c.Visibility) {
			t.Errorf("Served before Visibilities holds the call's changes")
		}
		served = append(served, c)
	}
	ctx := context.Background()
	url, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("uploads")})
	if err != nil || aws.ToString(url.QueueUrl) != sim.URL("uploads") {
		t.Fatalf("GetQueueUrl = %v, %v; want %s", url, err, sim.URL("uploads"))
	}
	out, err := client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{
		QueueUrl: url.QueueUrl,
		Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
			{Id: aws.String("0"), ReceiptHandle: aws.String("rh-a"), VisibilityTimeout: 3},
			{Id: aws.String("1"), ReceiptHandle: aws.String("rh-b"), VisibilityTimeout: 7},
		},
	})
	if err != nil || len(out.Successful) != 2 || len(out.Failed) != 0 {
		t.Fatalf("ChangeMessageVisibilityBatch = %+v, %v; want both entries successful", out, err)
	}
	want := []Visibility{{"rh-a", 3}, {"rh-b", 7}}
	if len(served) != 2 || served[0].Action != "GetQueueUrl" || !slices.Equal(served[1].Visibility, want) {
		t.Errorf("Served %+v; want GetQueueUrl, then the batch's changes %v", served, want)
	}
}
