package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/s3uploader/s3uploader/pkg/twin/deployed"
	"github.com/s3uploader/s3uploader/pkg/twin/esm"
	"github.com/s3uploader/s3uploader/pkg/twin/loadgen"
)

// Summary is what a run found. Counts of messages are of distinct
// messages; the test reads it.
type Summary struct {
	Sent     int // good messages accepted by SQS
	Poison   int // poison messages accepted by SQS
	Uploaded int // good messages whose object is in S3, byte-exact
	Wrong    []string
	Missing  []string // good messages neither in S3 nor in the DLQ
	// Template is the deployed function's KEY_TEMPLATE; Keys are the keys
	// it renders for the good messages, in the order sent ("" for one never
	// delivered or not renderable); Stray are objects under the prefix that
	// no good message names.
	Template string
	Keys     []string
	Stray    []string
	InDLQ    int
	DLQKeys  []string // keys of the messages in the DLQ
	GoodDLQ  int      // good messages that ended in the DLQ
	// PoisonDeliveries is how many times each poison message was handed
	// to the function, in the order sent.
	PoisonDeliveries []int
	Lost             int // sent, yet neither in S3 nor in the DLQ
	Drained          bool

	Invocations   int64
	Partial       int64
	BatchFailures int64 // function errors, timeouts, invalid responses
	Redeliveries  int
	MostDelivered int
	Throttled     int64 // 503 SlowDown answered by the S3 throttle
	PutsAdmitted  int64
	Faults        map[string]int64

	Retries          int            // "upload retry" lines in CloudWatch Logs
	FailedLines      int            // "upload failed" lines
	FailedReasons    map[string]int // "upload failed" lines by reason
	TimeoutLines     int            // "Task timed out" / status timeout
	LogEvents        int64
	LogEventsFailed  int64
	RetriesByMessage []messageRetries

	Deploy, Elapsed time.Duration
	Pids            []int // every long-running process started
}

// OK reports whether nothing was lost and every good message was stored.
func (s *Summary) OK() bool {
	return s.Drained && s.Lost == 0 && len(s.Wrong) == 0 && len(s.Stray) == 0 && s.Uploaded == s.Sent
}

type messageRetries struct {
	MessageID, Key string
	Retries        int
	MaxAttempt     int
	Codes          map[string]int
	DelayMs        int64
}

func (s *Summary) collect(ctx context.Context, c clients, st *deployed.Stack, msgs []loadgen.Message, ids []string,
	es esm.Stats, tr *tracker, front *s3Front, fn *function) error {
	s.Invocations, s.Partial = es.Invocations, es.PartialBatches
	s.BatchFailures = es.FunctionErrors + es.Timeouts + es.InvalidResponses + es.InvokeErrors
	s.Redeliveries, s.MostDelivered = tr.redeliveries()
	ts := front.Stats()
	s.Throttled, s.PutsAdmitted, s.Faults = ts.Throttled, ts.Admitted, front.faultCounts()
	s.LogEvents, s.LogEventsFailed = fn.shipped()

	// The DLQ: peek at every message (a short visibility timeout puts
	// them back at once).
	inDLQ := map[string]bool{}
	seen := map[string]bool{}
	for range 50 {
		out, err := c.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(st.DLQURL), MaxNumberOfMessages: 10, VisibilityTimeout: 5,
			MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			return fmt.Errorf("read the DLQ: %w", err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			if seen[aws.ToString(m.MessageId)] {
				continue
			}
			seen[aws.ToString(m.MessageId)] = true
			inDLQ[aws.ToString(m.MessageId)] = true
			key := ""
			if a, ok := m.MessageAttributes["key"]; ok {
				key = aws.ToString(a.StringValue)
			}
			s.DLQKeys = append(s.DLQKeys, key)
		}
	}
	s.InDLQ = len(inDLQ)
	sort.Strings(s.DLQKeys)

	// S3 against what was sent, byte for byte, at the keys the deployed
	// template renders for the records as delivered.
	keys, tmpl, err := expectedKeys(st.Env, ids, tr.record)
	if err != nil {
		return err
	}
	s.Template = tmpl.String()
	stored, err := listKeys(ctx, c, st.Bucket, st.KeyPrefix)
	if err != nil {
		return err
	}
	named := map[string]bool{}
	for i, m := range msgs {
		if ids[i] == "" {
			continue
		}
		if m.Poison {
			s.PoisonDeliveries = append(s.PoisonDeliveries, tr.deliveriesOf(ids[i]))
			if !inDLQ[ids[i]] {
				s.Lost++
				s.Missing = append(s.Missing, m.Key)
			}
			continue
		}
		key := keys[i]
		s.Keys = append(s.Keys, key)
		var got []byte
		err := fmt.Errorf("message %s was never delivered, or its record does not render", ids[i])
		if key != "" {
			named[key] = true
			got, err = getObject(ctx, c, st.Bucket, key)
		}
		switch {
		case err == nil && bytes.Equal(got, m.Payload):
			s.Uploaded++
		case err == nil:
			s.Wrong = append(s.Wrong, key)
		case inDLQ[ids[i]]:
			s.GoodDLQ++
		default:
			s.Lost++
			s.Missing = append(s.Missing, m.Key)
		}
	}

	for k := range stored {
		if !named[k] {
			s.Stray = append(s.Stray, k)
		}
	}
	sort.Strings(s.Stray)

	// The retries, read back from CloudWatch Logs.
	return s.readLogs(ctx, c, st)
}

func getObject(ctx context.Context, c clients, bucket, key string) ([]byte, error) {
	out, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// retryFilter selects the function's retry lines. The stack's saved query
// "retries-by-message" filters on message = "upload retry"; moto's Logs
// Insights ignores filter and fields, and its filter-log-events ignores
// JSON patterns, so the quoted term (which both moto and CloudWatch Logs
// honour) selects the lines, and the JSON is read here.
const retryFilter = `"upload retry"`

func (s *Summary) readLogs(ctx context.Context, c clients, st *deployed.Stack) error {
	byMsg := map[string]*messageRetries{}
	var token *string
	for {
		out, err := c.logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{
			LogGroupName: aws.String(st.LogGroup), NextToken: token,
		})
		if err != nil {
			return fmt.Errorf("filter-log-events %s: %w", st.LogGroup, err)
		}
		for _, e := range out.Events {
			msg := aws.ToString(e.Message)
			if strings.Contains(msg, "Task timed out") || strings.Contains(msg, `"status":"timeout"`) {
				s.TimeoutLines++
			}
			var l struct {
				Reason    string `json:"reason"`
				Message   string `json:"message"`
				MessageID string `json:"messageId"`
				Key       string `json:"key"`
				Attempt   int    `json:"attempt"`
				DelayMs   int64  `json:"delayMs"`
				ErrorCode string `json:"errorCode"`
			}
			if json.Unmarshal([]byte(msg), &l) != nil {
				continue
			}
			switch l.Message {
			case "upload failed":
				s.FailedLines++
				if s.FailedReasons == nil {
					s.FailedReasons = map[string]int{}
				}
				s.FailedReasons[l.Reason]++
			case "upload retry":
				s.Retries++
				m := byMsg[l.MessageID]
				if m == nil {
					m = &messageRetries{MessageID: l.MessageID, Key: l.Key, Codes: map[string]int{}}
					byMsg[l.MessageID] = m
				}
				m.Retries++
				m.MaxAttempt = max(m.MaxAttempt, l.Attempt)
				m.Codes[l.ErrorCode]++
				m.DelayMs += l.DelayMs
			}
		}
		if out.NextToken == nil || aws.ToString(out.NextToken) == aws.ToString(token) {
			break
		}
		token = out.NextToken
	}
	for _, m := range byMsg {
		s.RetriesByMessage = append(s.RetriesByMessage, *m)
	}
	sort.Slice(s.RetriesByMessage, func(i, j int) bool {
		a, b := s.RetriesByMessage[i], s.RetriesByMessage[j]
		if a.Retries != b.Retries {
			return a.Retries > b.Retries
		}
		return a.Key < b.Key
	})
	return nil
}

func (s *Summary) print(out io.Writer, st *deployed.Stack) {
	mark := func(ok bool) string {
		if ok {
			return "✓"
		}
		return "✗"
	}
	fmt.Fprintf(out, "\n══ summary ═════════════════════════════════════════════════════════\n")
	fmt.Fprintf(out, "  sent               %6d  good messages (+%d poison)\n", s.Sent, s.Poison)
	fmt.Fprintf(out, "  uploaded           %6d  byte-exact in s3://%s/%s  %s\n", s.Uploaded, st.Bucket, st.KeyPrefix, mark(s.Uploaded == s.Sent && len(s.Wrong) == 0))
	fmt.Fprintf(out, "  keys                       KEY_TEMPLATE %s, e.g. %s\n", s.Template, firstKey(s.Keys))
	if len(s.Wrong) > 0 {
		fmt.Fprintf(out, "  WRONG CONTENT      %6d  %v\n", len(s.Wrong), head(s.Wrong, 5))
	}
	if len(s.Stray) > 0 {
		fmt.Fprintf(out, "  STRAY OBJECTS      %6d  no message names them: %v\n", len(s.Stray), head(s.Stray, 5))
	}
	fmt.Fprintf(out, "  retries            %6d  \"upload retry\" lines in CloudWatch Logs, %d messages retried\n", s.Retries, len(s.RetriesByMessage))
	fmt.Fprintf(out, "  throttled requests %6d  503 SlowDown from the S3 throttle (%d PUTs let through)\n", s.Throttled, s.PutsAdmitted)
	if len(s.Faults) > 0 {
		fmt.Fprintf(out, "  injected faults           %v\n", s.Faults)
	}
	fmt.Fprintf(out, "  invocations        %6d  %d with partial batch failures, %d failed whole\n", s.Invocations, s.Partial, s.BatchFailures)
	fmt.Fprintf(out, "  redeliveries       %6d  records delivered again (most: %d deliveries of one message)\n", s.Redeliveries, s.MostDelivered)
	if s.FailedLines > 0 {
		fmt.Fprintf(out, "  records failed     %6d  \"upload failed\" lines, by reason: %s\n", s.FailedLines, codes(s.FailedReasons))
	}
	fmt.Fprintf(out, "  in DLQ             %6d  %s (poison sent: %d, good: %d)  %s\n", s.InDLQ, strings.Join(head(s.DLQKeys, 4), " "), s.Poison, s.GoodDLQ, mark(s.InDLQ == s.Poison+s.GoodDLQ))
	fmt.Fprintf(out, "  lost               %6d  %s\n", s.Lost, mark(s.Lost == 0))
	if len(s.Missing) > 0 {
		fmt.Fprintf(out, "                            missing: %v\n", head(s.Missing, 8))
	}
	fmt.Fprintf(out, "  log events         %6d  shipped to %s (%d failed)\n", s.LogEvents, st.LogGroup, s.LogEventsFailed)
	fmt.Fprintf(out, "  elapsed            %6.1fs (deploy %.1fs)%s\n", s.Elapsed.Seconds(), s.Deploy.Seconds(), drainedText(s.Drained))

	fmt.Fprintf(out, "\n── retries by message (CloudWatch Logs, filter %s) ──\n", retryFilter)
	if q := st.Queries["retries-by-message"]; q != "" {
		// moto's Logs Insights ignores filter and fields; in the cloud
		// this saved query gives the same table.
		fmt.Fprintf(out, "  in the cloud, saved query %s/retries-by-message: %s\n", st.Name, strings.ReplaceAll(q, "\n", " "))
	}
	if len(s.RetriesByMessage) == 0 {
		fmt.Fprintf(out, "  none: lower -rate to see the backoff at work\n")
		return
	}
	fmt.Fprintf(out, "  %-36s %-34s %7s %7s %8s  %s\n", "messageId", "key", "retries", "attempt", "delay ms", "errorCode")
	for _, m := range head(s.RetriesByMessage, 10) {
		fmt.Fprintf(out, "  %-36s %-34s %7d %7d %8d  %s\n", m.MessageID, trimKey(m.Key, 34), m.Retries, m.MaxAttempt, m.DelayMs, codes(m.Codes))
	}
	if n := len(s.RetriesByMessage) - 10; n > 0 {
		fmt.Fprintf(out, "  … and %d more messages with retries\n", n)
	}
}

func firstKey(keys []string) string {
	for _, k := range keys {
		if k != "" {
			return k
		}
	}
	return "none"
}

func drainedText(ok bool) string {
	if ok {
		return ""
	}
	return "  — the queue did NOT drain in time"
}

func head[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func trimKey(k string, n int) string {
	if len(k) <= n {
		return k
	}
	return "…" + k[len(k)-n+1:]
}

func codes(m map[string]int) string {
	var s []string
	for k, v := range m {
		s = append(s, fmt.Sprintf("%s×%d", k, v))
	}
	sort.Strings(s)
	return strings.Join(s, " ")
}

func printKeep(out io.Writer, endpoint string, st *deployed.Stack, front *s3Front) {
	fmt.Fprintf(out, `
══ still running (Ctrl-C stops everything) ═════════════════════════
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=%s
  aws --endpoint-url %s sqs send-message --queue-url %s \
      --message-body 'hello' --message-attributes '{"key":{"DataType":"String","StringValue":"hand/hello.txt"}}'
  aws --endpoint-url %s s3 ls s3://%s/%s --recursive
  aws --endpoint-url %s logs filter-log-events --log-group-name %s --filter-pattern '"upload retry"'
  aws --endpoint-url %s sqs receive-message --queue-url %s --message-attribute-names All
  (the function's S3 endpoint, with the throttle: %s)
`, st.Region, endpoint, st.QueueURL, endpoint, st.Bucket, st.KeyPrefix, endpoint, st.LogGroup, endpoint, st.DLQURL, front.URL)
}
