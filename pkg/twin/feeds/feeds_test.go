package feeds

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/s3uploader/s3uploader/pkg/twin/moto"
)

// TestPublishBatchRequest: the entries go out in the query protocol's
// shape, signed for SNS; the answer's successes and failures come back by
// entry ID, and an error answer as an *APIError with its code.
func TestPublishBatchRequest(t *testing.T) {
	var form url.Values
	var auth string
	answer := `<PublishBatchResponse><PublishBatchResult><Successful><member><Id>0</Id><MessageId>m-0</MessageId></member></Successful>` +
		`<Failed><member><Id>1</Id><Code>InvalidParameter</Code><Message>bad</Message><SenderFault>true</SenderFault></member></Failed></PublishBatchResult></PublishBatchResponse>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		form, _ = url.ParseQuery(string(b))
		auth = r.Header.Get("Authorization")
		if form.Get("TopicArn") == "missing" {
			w.WriteHeader(404)
			io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error></ErrorResponse>`)
			return
		}
		io.WriteString(w, answer)
	}))
	defer srv.Close()
	s := NewSNS(moto.AWSConfig(srv.URL))
	res, err := s.PublishBatch(context.Background(), "arn:t.fifo", []Publication{
		{ID: "0", Message: "hello", GroupID: "g1", DeduplicationID: "d0",
			Attributes: map[string]Attribute{"key": {"String", "a/b.txt"}, "content-encoding": {"String", "base64"}}},
		{ID: "1", Message: "x"},
	})
	if err != nil || res.MessageIDs["0"] != "m-0" || res.Failed["1"] == nil {
		t.Fatalf("PublishBatch = %+v, %v; want entry 0 published as m-0, entry 1 failed", res, err)
	}
	want := map[string]string{
		"Action": "PublishBatch", "Version": snsVersion, "TopicArn": "arn:t.fifo",
		"PublishBatchRequestEntries.member.1.Id":                                          "0",
		"PublishBatchRequestEntries.member.1.Message":                                     "hello",
		"PublishBatchRequestEntries.member.1.MessageGroupId":                              "g1",
		"PublishBatchRequestEntries.member.1.MessageDeduplicationId":                      "d0",
		"PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Name":              "content-encoding",
		"PublishBatchRequestEntries.member.1.MessageAttributes.entry.2.Name":              "key",
		"PublishBatchRequestEntries.member.1.MessageAttributes.entry.2.Value.DataType":    "String",
		"PublishBatchRequestEntries.member.1.MessageAttributes.entry.2.Value.StringValue": "a/b.txt",
		"PublishBatchRequestEntries.member.2.Message":                                     "x",
	}
	for k, v := range want {
		if form.Get(k) != v {
			t.Errorf("form %s = %q; want %q", k, form.Get(k), v)
		}
	}
	if form.Has("PublishBatchRequestEntries.member.2.MessageGroupId") {
		t.Errorf("entry without a group sent MessageGroupId")
	}
	if !strings.Contains(auth, "/us-east-1/sns/aws4_request") {
		t.Errorf("Authorization = %q; want a SigV4 signature for sns in us-east-1", auth)
	}
	_, err = s.PublishBatch(context.Background(), "missing", []Publication{{ID: "0", Message: "x"}})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "NotFound" || ae.Status != 404 {
		t.Errorf("PublishBatch(missing topic) = %v; want an *APIError NotFound, 404", err)
	}
}

// TestAgainstMoto publishes through moto's SNS to a FIFO queue subscribed
// to a FIFO topic, and puts events through moto's EventBridge to a queue a
// rule targets: the envelopes in the queues are moto's, carrying what was
// sent.
func TestAgainstMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the moto test")
	}
	srv := moto.StartTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := srv.AWSConfig()
	q := sqs.NewFromConfig(cfg)
	queue := func(name string, attrs map[string]string) (url, arn string) {
		out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
		if err != nil {
			t.Fatal(err)
		}
		return *out.QueueUrl, "arn:aws:sqs:" + moto.Region + ":" + moto.AccountID + ":" + name
	}
	t.Run("sns", func(t *testing.T) {
		url, arn := queue("q.fifo", map[string]string{"FifoQueue": "true"})
		s := NewSNS(cfg)
		topic, err := s.CreateTopic(ctx, "t.fifo", map[string]string{"FifoTopic": "true"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Subscribe(ctx, topic, "sqs", arn, nil); err != nil {
			t.Fatal(err)
		}
		subs, err := s.Subscriptions(ctx, topic)
		if err != nil || len(subs) != 1 || subs[0].Endpoint != arn || subs[0].Protocol != "sqs" {
			t.Fatalf("Subscriptions = %+v, %v; want the queue's", subs, err)
		}
		res, err := s.PublishBatch(ctx, topic, []Publication{{ID: "0", Message: "hello", GroupID: "g1", DeduplicationID: "d0",
			Attributes: map[string]Attribute{"key": {"String", "a/b.txt"}}}})
		if err != nil || res.MessageIDs["0"] == "" {
			t.Fatalf("PublishBatch = %+v, %v", res, err)
		}
		got := receive(ctx, t, q, url)
		var n struct{ Type, MessageId, Message string }
		json.Unmarshal([]byte(aws.ToString(got.Body)), &n)
		if n.Type != "Notification" || n.MessageId != res.MessageIDs["0"] || n.Message != "hello" ||
			!strings.Contains(aws.ToString(got.Body), `"a/b.txt"`) || got.Attributes["MessageGroupId"] != "g1" {
			t.Errorf("queue got %s, attributes %v; want moto's notification of message %s in group g1", aws.ToString(got.Body), got.Attributes, res.MessageIDs["0"])
		}
	})
	t.Run("eventbridge", func(t *testing.T) {
		url, arn := queue("events", nil)
		e := NewEventBridge(cfg)
		if err := e.do(ctx, "PutRule", map[string]any{"Name": "r", "EventPattern": `{"source":["demo"]}`}, &struct{}{}); err != nil {
			t.Fatal(err)
		}
		if err := e.do(ctx, "PutTargets", map[string]any{"Rule": "r", "Targets": []map[string]string{{"Id": "q", "Arn": arn}}}, &struct{}{}); err != nil {
			t.Fatal(err)
		}
		if names, err := e.RuleNamesByTarget(ctx, arn, ""); err != nil || len(names) != 1 || names[0] != "r" {
			t.Errorf("RuleNamesByTarget = %q, %v; want [r]", names, err)
		}
		res, err := e.PutEvents(ctx, []Event{{Source: "demo", DetailType: "Demo", Detail: `{"key":"a/b.txt"}`}})
		if err != nil || res.EventIDs[0] == "" || res.Failed[0] != nil {
			t.Fatalf("PutEvents = %+v, %v", res, err)
		}
		got := receive(ctx, t, q, url)
		var ev struct {
			ID     string `json:"id"`
			Detail struct{ Key string }
		}
		json.Unmarshal([]byte(aws.ToString(got.Body)), &ev)
		if ev.ID != res.EventIDs[0] || ev.Detail.Key != "a/b.txt" {
			t.Errorf("queue got %s; want moto's event %s with the detail sent", aws.ToString(got.Body), res.EventIDs[0])
		}
	})
}

func receive(ctx context.Context, t *testing.T, q *sqs.Client, url string) sqstypes.Message {
	t.Helper()
	out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 2,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("ReceiveMessage = %d messages, %v; want 1", len(out.Messages), err)
	}
	return out.Messages[0]
}
