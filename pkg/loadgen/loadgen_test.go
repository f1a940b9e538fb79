package loadgen

import (
	"bytes"
	"context"
	"encoding/base64"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/s3uploader/s3uploader/pkg/twin/moto"
)

func TestMessages(t *testing.T) {
	tests := map[string]struct {
		spec    Spec
		wantKey string
		wantErr bool
	}{
		"text":       {spec: Spec{Count: 12, Run: "r1"}, wantKey: "demo/r1/00.txt"},
		"base64":     {spec: Spec{Count: 3, Encoding: Base64, KeyPattern: "b/{i}.bin"}, wantKey: "b/0.bin"},
		"no index":   {spec: Spec{Count: 1, KeyPattern: "x"}, wantErr: true},
		"bad encode": {spec: Spec{Count: 1, Encoding: "gzip"}, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			msgs, err := tc.spec.Messages()
			if (err != nil) != tc.wantErr {
				t.Fatalf("Messages() error = %v; want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if msgs[0].Key != tc.wantKey {
				t.Errorf("Messages()[0].Key = %q; want %q", msgs[0].Key, tc.wantKey)
			}
			again, _ := tc.spec.Messages()
			for i := range msgs {
				if !bytes.Equal(msgs[i].Payload, again[i].Payload) {
					t.Fatalf("message %d differs between two calls; want reproducible payloads", i)
				}
				body := []byte(msgs[i].Body)
				if msgs[i].Base64 {
					body, _ = base64.StdEncoding.DecodeString(msgs[i].Body)
				}
				if !bytes.Equal(body, msgs[i].Payload) {
					t.Fatalf("message %d: body does not decode to its payload", i)
				}
			}
		})
	}
}

func TestSendToMoto(t *testing.T) {
	srv := moto.StartTest(t)
	ctx := context.Background()
	client := sqs.NewFromConfig(srv.AWSConfig())
	for name, spec := range map[string]Spec{
		"q":      {Count: 25, Poison: 2, Size: 100},
		"f.fifo": {Count: 13, Groups: 3, Encoding: Base64, Run: "r"},
	} {
		t.Run(name, func(t *testing.T) {
			in := &sqs.CreateQueueInput{QueueName: aws.String(name)}
			if spec.Groups > 0 {
				in.Attributes = map[string]string{"FifoQueue": "true"}
			}
			q, err := client.CreateQueue(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			msgs, err := spec.Messages()
			if err != nil {
				t.Fatal(err)
			}
			sent := 0
			s := &Sender{SQS: client, QueueURL: aws.ToString(q.QueueUrl), OnSent: func(n int) { sent += n }, Concurrency: 1}
			res, err := s.Send(ctx, msgs)
			if err != nil || res.Sent != len(msgs) || sent != len(msgs) || len(res.Failed) > 0 {
				t.Fatalf("Send = %+v, %v; want %d sent", res, err, len(msgs))
			}
			got := map[string]bool{}
			for len(got) < len(msgs) {
				out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
					QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"},
					MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
				})
				if err != nil {
					t.Fatal(err)
				}
				if len(out.Messages) == 0 {
					break
				}
				for _, m := range out.Messages {
					got[aws.ToString(m.MessageAttributes["key"].StringValue)] = true
					// Delete, or FIFO groups stay locked.
					if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle}); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, m := range msgs {
				if !got[m.Key] {
					t.Errorf("message with key %q not received", m.Key)
				}
			}
		})
	}
}
