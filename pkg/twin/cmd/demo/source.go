package main

import (
	"cmp"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/s3uploader/s3uploader/pkg/twin/moto"
)

// The sources of the queue's messages (-source).
const (
	sourceQueue       = "queue"       // the sender, SendMessageBatch to the queue
	sourceSNS         = "sns"         // published to a topic the stack subscribes the queue to
	sourceEventBridge = "eventbridge" // put on the default bus, where the stack's rule targets the queue
)

// Names of what the demo makes in moto outside the stack: the topic of
// -source sns (a FIFO topic's name ends in .fifo), the bucket and queues
// of -existing.
const (
	demoTopic      = "s3uploader-demo"
	existingBucket = "s3uploader-demo-existing"
	existingQueue  = "s3uploader-demo-existing"
	existingDLQ    = "s3uploader-demo-existing-dlq"
)

// What the events of -source eventbridge carry, and the pattern of the
// stack's rule that matches them.
const (
	eventSource     = "s3uploader.demo"
	eventDetailType = "Demo Upload"
	eventPattern    = `{"source":["` + eventSource + `"]}`
)

// stackMaxReceiveCount is the stack's default maxReceiveCount (infra's
// settings table): the redrive policy of the queue -existing makes,
// unless -c maxReceiveCount says otherwise.
const stackMaxReceiveCount = 15

// ownedKeys are the context keys a flag of the demo sets, each with the
// flag: given with -c, they are refused, naming the flag.
var ownedKeys = map[string]string{
	"snsTopicArn":        "-source sns, which makes the topic in moto",
	"eventPattern":       "-source eventbridge",
	"fifo":               "-groups N, which also sends each message in one of N groups",
	"bucketName":         "-existing, which makes the bucket in moto",
	"bucketArn":          "-existing, which makes the bucket in moto",
	"queueArn":           "-existing, which makes the queues in moto",
	"deadLetterQueueArn": "-existing, which makes the queues in moto",
}

// checkSource refuses the combinations of -source, -groups and -existing
// the stack or the demo cannot run, before anything starts, and sets the
// context they deploy with.
func checkSource(cfg *Config) error {
	cfg.Source = cmp.Or(cfg.Source, sourceQueue)
	if err := sourceConflict(*cfg); err != nil {
		return err
	}
	if cfg.Existing {
		if _, _, err := existingQueueSettings(*cfg); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(ownedKeys))
	for k := range ownedKeys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, given := cfg.Ctx[k]; given {
			return fmt.Errorf("-c %s: the demo sets it: use %s", k, ownedKeys[k])
		}
	}
	if cfg.Ctx == nil {
		cfg.Ctx = contextFlags{}
	}
	for k, v := range sourceContext(*cfg) {
		cfg.Ctx[k] = v
	}
	return nil
}

// sourceConflict is the first combination of the flags that cannot run,
// or nil.
func sourceConflict(cfg Config) error {
	src, envelope := cfg.Source, cfg.Envelope != "" && cfg.Envelope != "none"
	switch {
	case src != sourceQueue && src != sourceSNS && src != sourceEventBridge:
		return fmt.Errorf("-source %q: want queue, sns or eventbridge", src)
	case cfg.Groups < 0:
		return fmt.Errorf("-groups %d: want 0 (standard queues) or a number of FIFO message groups", cfg.Groups)
	case src != sourceQueue && envelope:
		return fmt.Errorf("-source %s with -envelope %s: with -source moto's %s writes each envelope, with -envelope the sender does: choose one",
			src, cfg.Envelope, map[string]string{sourceSNS: "SNS", sourceEventBridge: "EventBridge"}[src])
	case cfg.Existing && src != sourceQueue:
		return fmt.Errorf("-existing with -source %s: the stack never wires a source to an existing queue (it would replace that queue's policy, which it never modifies): run -source %s without -existing, or -existing alone", src, src)
	case src == sourceEventBridge && cfg.Groups > 0:
		return fmt.Errorf("-groups with -source eventbridge: the stack refuses fifo=true with an EventBridge rule (a FIFO target needs a message group per event, which it does not choose)")
	case src == sourceEventBridge && cfg.Pointer:
		return fmt.Errorf("-pointer with -source eventbridge: an EventBridge event carries no message attributes, so no Extended Client Library pointer")
	case cfg.Ctx["rawMessageDelivery"] != "":
		return fmt.Errorf("-c rawMessageDelivery: a raw delivery carries no SNS MessageId, by which the demo tells which publish each queue message is: run -source sns without it")
	case cfg.Ctx["eventBusName"] != "":
		return fmt.Errorf("-c eventBusName: -source eventbridge puts the events on the default bus, where the stack's rule listens unless told otherwise: leave it out")
	case src == sourceEventBridge && cfg.Poison > 0:
		return fmt.Errorf("-poison %d with -source eventbridge: an EventBridge event carries no message attributes, so no invalid key to send, and the function stores every event the rule delivers: run with -poison 0 (the default with -source eventbridge)", cfg.Poison)
	}
	return nil
}

// sourceContext is the context -source, -groups and -existing deploy
// with: the topic's ARN or the rule's pattern, FIFO queues, the existing
// bucket and queues. (The names are the demo's, the account and region
// moto's, so the ARNs are known before moto starts, while cdk synth
// runs.)
func sourceContext(cfg Config) map[string]string {
	ctx := map[string]string{}
	switch cfg.Source {
	case sourceSNS:
		ctx["snsTopicArn"] = arn("sns", topicName(cfg))
	case sourceEventBridge:
		ctx["eventPattern"] = eventPattern
	}
	if cfg.Groups > 0 && !cfg.Existing {
		ctx["fifo"] = "true"
	}
	if cfg.Existing {
		queue, dlq := existingQueues(cfg)
		ctx["bucketName"] = existingBucket
		ctx["queueArn"], ctx["deadLetterQueueArn"] = arn("sqs", queue), arn("sqs", dlq)
	}
	return ctx
}

// topicName is the name of the topic -source sns makes: a FIFO topic
// with -groups.
func topicName(cfg Config) string { return demoTopic + fifoSuffix(cfg) }

// existingQueues are the names of the queue and the dead-letter queue
// -existing makes: FIFO queues with -groups.
func existingQueues(cfg Config) (queue, dlq string) {
	return existingQueue + fifoSuffix(cfg), existingDLQ + fifoSuffix(cfg)
}

func fifoSuffix(cfg Config) string {
	if cfg.Groups > 0 {
		return ".fifo"
	}
	return ""
}

// arn is the ARN of moto's resource name of service (sns, sqs).
func arn(service, name string) string {
	return "arn:aws:" + service + ":" + moto.Region + ":" + moto.AccountID + ":" + name
}

// queueShaping are the settings of a queue the stack would create: with
// -existing they shape the queue the demo makes, and the stack, which
// refuses them with queueArn, does not get them.
var queueShaping = map[string]bool{"visibilityTimeout": true, "maxReceiveCount": true}

// existingQueueSettings are the visibility timeout and maxReceiveCount of
// the queue -existing makes: the demo's derived visibility timeout
// (localContext) or the one given, and the maxReceiveCount given or the
// stack's default.
func existingQueueSettings(cfg Config) (visibility time.Duration, maxReceive int, err error) {
	local := localContext(cfg.Ctx)
	if visibility, err = time.ParseDuration(local["visibilityTimeout"]); err != nil || visibility%time.Second != 0 || visibility <= 0 {
		return 0, 0, fmt.Errorf("-existing: the queue's visibility timeout %q: want whole seconds (from -c functionTimeout and maxBatchingWindow, or -c visibilityTimeout)", local["visibilityTimeout"])
	}
	maxReceive = stackMaxReceiveCount
	if v, ok := cfg.Ctx["maxReceiveCount"]; ok {
		if maxReceive, err = strconv.Atoi(v); err != nil || maxReceive < 1 || maxReceive > 1000 {
			return 0, 0, fmt.Errorf("-existing: -c maxReceiveCount=%s: want 1 to 1000, SQS's range", v)
		}
	}
	return visibility, maxReceive, nil
}
