package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestCheckSource: the combinations of -source, -groups and -existing
// that cannot run are refused with a message naming why, before anything
// starts; the others get the context they deploy with.
func TestCheckSource(t *testing.T) {
	const acct = ":us-east-1:123456789012:"
	tests := map[string]struct {
		cfg     Config
		wantErr string
		wantCtx contextFlags
	}{
		"queue":               {cfg: Config{}, wantCtx: contextFlags{}},
		"sns":                 {cfg: Config{Source: "sns"}, wantCtx: contextFlags{"snsTopicArn": "arn:aws:sns" + acct + "s3uploader-demo"}},
		"sns fifo":            {cfg: Config{Source: "sns", Groups: 3}, wantCtx: contextFlags{"snsTopicArn": "arn:aws:sns" + acct + "s3uploader-demo.fifo", "fifo": "true"}},
		"eventbridge":         {cfg: Config{Source: "eventbridge"}, wantCtx: contextFlags{"eventPattern": `{"source":["s3uploader.demo"]}`}},
		"groups":              {cfg: Config{Groups: 4}, wantCtx: contextFlags{"fifo": "true"}},
		"existing":            {cfg: Config{Existing: true}, wantCtx: contextFlags{"bucketName": "s3uploader-demo-existing", "queueArn": "arn:aws:sqs" + acct + "s3uploader-demo-existing", "deadLetterQueueArn": "arn:aws:sqs" + acct + "s3uploader-demo-existing-dlq"}},
		"existing fifo":       {cfg: Config{Existing: true, Groups: 2}, wantCtx: contextFlags{"bucketName": "s3uploader-demo-existing", "queueArn": "arn:aws:sqs" + acct + "s3uploader-demo-existing.fifo", "deadLetterQueueArn": "arn:aws:sqs" + acct + "s3uploader-demo-existing-dlq.fifo"}},
		"unknown source":      {cfg: Config{Source: "kinesis"}, wantErr: `-source "kinesis": want queue, sns or eventbridge`},
		"negative groups":     {cfg: Config{Groups: -1}, wantErr: "-groups -1: want 0"},
		"sns and envelope":    {cfg: Config{Source: "sns", Envelope: "sns"}, wantErr: "-source sns with -envelope sns: with -source moto's SNS writes each envelope, with -envelope the sender does"},
		"eb and envelope":     {cfg: Config{Source: "eventbridge", Envelope: "eventbridge"}, wantErr: "with -source moto's EventBridge writes each envelope"},
		"existing and sns":    {cfg: Config{Source: "sns", Existing: true}, wantErr: "-existing with -source sns: the stack never wires a source to an existing queue"},
		"existing and eb":     {cfg: Config{Source: "eventbridge", Existing: true}, wantErr: "-existing with -source eventbridge"},
		"eventbridge groups":  {cfg: Config{Source: "eventbridge", Groups: 2}, wantErr: "-groups with -source eventbridge: the stack refuses fifo=true"},
		"eventbridge pointer": {cfg: Config{Source: "eventbridge", Pointer: true}, wantErr: "no Extended Client Library pointer"},
		"eventbridge poison":  {cfg: Config{Source: "eventbridge", Poison: 3}, wantErr: "-poison 3 with -source eventbridge"},
		"fifo given":          {cfg: Config{Groups: 2, Ctx: contextFlags{"fifo": "true"}}, wantErr: "-c fifo: the demo sets it: use -groups N"},
		"topic given":         {cfg: Config{Ctx: contextFlags{"snsTopicArn": "arn:aws:sns" + acct + "t"}}, wantErr: "-c snsTopicArn: the demo sets it: use -source sns"},
		"queue given":         {cfg: Config{Ctx: contextFlags{"queueArn": "arn:aws:sqs" + acct + "q"}}, wantErr: "-c queueArn: the demo sets it: use -existing"},
		"raw delivery":        {cfg: Config{Source: "sns", Ctx: contextFlags{"rawMessageDelivery": "true"}}, wantErr: "a raw delivery carries no SNS MessageId"},
		"event bus":           {cfg: Config{Source: "eventbridge", Ctx: contextFlags{"eventBusName": "b"}}, wantErr: "-c eventBusName"},
		"existing bad count":  {cfg: Config{Existing: true, Ctx: contextFlags{"maxReceiveCount": "0"}}, wantErr: "-c maxReceiveCount=0: want 1 to 1000"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := tc.cfg
			err := checkSource(&cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("checkSource = %v; want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(cfg.Ctx) != len(tc.wantCtx) {
				t.Fatalf("checkSource = %v, context %v; want %v", err, cfg.Ctx, tc.wantCtx)
			}
			for k, v := range tc.wantCtx {
				if cfg.Ctx[k] != v {
					t.Errorf("context %s = %q; want %q", k, cfg.Ctx[k], v)
				}
			}
		})
	}
}

// TestDefaultsFor: -source eventbridge sends no poison and fewer messages
// unless -poison and -n are given; -pointer sends fewer, larger messages
// unless -n and -size are.
func TestDefaultsFor(t *testing.T) {
	tests := map[string]struct {
		cfg       Config
		set       []string
		wantN     int
		wantSize  int
		wantPoisn int
	}{
		"plain":               {cfg: Config{Messages: 300, Size: 2048, Poison: 3}, wantN: 300, wantSize: 2048, wantPoisn: 3},
		"eventbridge":         {cfg: Config{Source: "eventbridge", Messages: 300, Size: 2048, Poison: 3}, wantN: eventBridgeMessages, wantSize: 2048},
		"eventbridge -poison": {cfg: Config{Source: "eventbridge", Messages: 300, Size: 2048, Poison: 3}, set: []string{"poison", "n"}, wantN: 300, wantSize: 2048, wantPoisn: 3},
		"pointer":             {cfg: Config{Pointer: true, Messages: 300, Size: 2048, Poison: 3}, wantN: 20, wantSize: sqsMaxBody + 4096, wantPoisn: 3},
		"pointer -n":          {cfg: Config{Pointer: true, Messages: 7, Size: 2048, Poison: 3}, set: []string{"n"}, wantN: 7, wantSize: sqsMaxBody + 4096, wantPoisn: 3},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			set := map[string]bool{}
			for _, f := range tc.set {
				set[f] = true
			}
			cfg := tc.cfg
			cfg.defaultsFor(set)
			if cfg.Messages != tc.wantN || cfg.Size != tc.wantSize || cfg.Poison != tc.wantPoisn {
				t.Errorf("defaultsFor = -n %d -size %d -poison %d; want %d, %d, %d", cfg.Messages, cfg.Size, cfg.Poison, tc.wantN, tc.wantSize, tc.wantPoisn)
			}
		})
	}
}

// TestExistingContext: with -existing, the queue's settings shape the
// queue the demo makes (the demo's derived visibility timeout, or the one
// given) and are not passed to the stack, which refuses them with
// queueArn.
func TestExistingContext(t *testing.T) {
	cfg := Config{Arch: "x86_64", Stack: "S", Existing: true, Ctx: contextFlags{"functionTimeout": "5s", "maxReceiveCount": "6"}}
	if err := checkSource(&cfg); err != nil {
		t.Fatal(err)
	}
	args := strings.Join(contextArgs(cfg), " ")
	for _, refused := range []string{"visibilityTimeout", "maxReceiveCount"} {
		if strings.Contains(args, refused) {
			t.Errorf("contextArgs = %s; want no %s with -existing", args, refused)
		}
	}
	if !strings.Contains(args, "queueArn=arn:aws:sqs:us-east-1:123456789012:s3uploader-demo-existing") {
		t.Errorf("contextArgs = %s; want the existing queue's ARN", args)
	}
	vis, count, err := existingQueueSettings(cfg)
	if err != nil || vis != 10*time.Second || count != 6 {
		t.Errorf("existingQueueSettings = %s, %d, %v; want 10s (2 × functionTimeout), 6", vis, count, err)
	}
	cfg.Ctx = contextFlags{}
	if vis, count, _ := existingQueueSettings(cfg); vis != 4*time.Second || count != stackMaxReceiveCount {
		t.Errorf("existingQueueSettings (defaults) = %s, %d; want 4s, %d", vis, count, stackMaxReceiveCount)
	}
}

// TestSendCommand: -keep's command for a message of your own goes the way
// the run's messages went: a FIFO queue needs a message group, a topic is
// published to, the bus gets an event the stack's rule matches.
func TestSendCommand(t *testing.T) {
	const endpoint, queue = "http://localhost:5000", "http://localhost:5000/123456789012/q"
	tests := map[string]struct {
		cfg     Config
		want    []string
		wantNot []string
	}{
		"queue":       {cfg: Config{Source: sourceQueue}, want: []string{"sqs send-message --queue-url " + queue, `"StringValue":"hand/hello.txt"`}, wantNot: []string{"group"}},
		"fifo queue":  {cfg: Config{Source: sourceQueue, Groups: 4}, want: []string{"sqs send-message", "--message-group-id hand"}},
		"sns":         {cfg: Config{Source: sourceSNS}, want: []string{"sns publish --topic-arn " + arn("sns", demoTopic) + " ", "--message 'hello'"}},
		"fifo sns":    {cfg: Config{Source: sourceSNS, Groups: 2}, want: []string{arn("sns", demoTopic+".fifo"), "--message-group-id hand"}},
		"eventbridge": {cfg: Config{Source: sourceEventBridge}, want: []string{"events put-events --entries '"}},
		"envelope":    {cfg: Config{Source: sourceQueue, Envelope: "sns"}, want: []string{"reads sns envelopes", "InvalidEnvelope"}},
	}
	for name, tt := range tests {
		got := sendCommand(tt.cfg, endpoint, queue)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: sendCommand =\n%s\nwant it to contain %q", name, got, w)
			}
		}
		for _, w := range tt.wantNot {
			if strings.Contains(got, w) {
				t.Errorf("%s: sendCommand =\n%s\nwant no %q", name, got, w)
			}
		}
	}
	// The event is one the stack's rule matches, with a detail the
	// function takes: a JSON object.
	cmd := sendCommand(Config{Source: sourceEventBridge}, endpoint, queue)
	_, entries, _ := strings.Cut(cmd, "--entries '")
	entries, _, _ = strings.Cut(entries, "'")
	var put []struct{ Source, DetailType, Detail string }
	if err := json.Unmarshal([]byte(entries), &put); err != nil || len(put) != 1 {
		t.Fatalf("put-events entries %q: %v", entries, err)
	}
	var detail map[string]any
	if put[0].Source != eventSource || json.Unmarshal([]byte(put[0].Detail), &detail) != nil {
		t.Errorf("put-events entry %+v; want source %s and a JSON object as detail", put[0], eventSource)
	}
}
