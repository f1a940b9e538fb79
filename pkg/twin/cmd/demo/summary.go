package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/s3uploader/s3uploader/pkg/batch"
	"github.com/s3uploader/s3uploader/pkg/deployed"
)

// Summary is what a run found. Counts of messages are of distinct
// messages; the test reads it.
type Summary struct {
	Sent   int // good messages accepted by SQS
	Poison int // poison messages accepted by SQS
	// Every message sent ends in one place: stored byte-exact (Uploaded;
	// StoredAndDLQ of them were dead-lettered as well), dead-lettered and
	// not stored (PoisonDLQ + GoodDLQ, DeadLettered by reason), stored
	// with other content (Wrong, by key) or Lost (Missing, by key sent).
	Uploaded     int
	StoredAndDLQ int // a cut-off attempt was stored, and the message was still dead-lettered
	Wrong        []string
	Missing      []string
	// Template is the deployed function's KEY_TEMPLATE; Keys are the keys
	// it renders for the good messages, in the order sent ("" for one never
	// delivered or not renderable); Stray are objects under the prefix that
	// no good message names.
	Template string
	Keys     []string
	Stray    []string
	// The DLQ, read whole: InDLQ messages, told apart by MessageId, of
	// DLQDepth the queue says it holds; by reason; their key attributes.
	// DLQCopies of them are a second copy of a message (dead-lettered
	// again after a redelivery), DLQForeign no message of this run.
	InDLQ      int
	DLQDepth   int
	DLQReasons map[string]int
	DLQKeys    []string
	DLQCopies  int
	DLQForeign int
	// Messages of this run dead-lettered and not stored, by reason, and
	// how many were good or poison.
	DeadLettered map[string]int
	GoodDLQ      int
	PoisonDLQ    int
	// PoisonDeliveries is how many times each poison message was handed
	// to the function, in the order sent; SQS's redrive moves a message
	// after MaxReceiveCount (the deployed queue's).
	PoisonDeliveries []int
	MaxReceiveCount  int
	Lost             int // sent, yet neither stored nor in the DLQ, nor still queued
	Queued           int // sent, and still in the queue: a run that did not drain
	Drained          bool

	// Source is what sent the messages to the queue (-source). With sns
	// or eventbridge, Enveloped messages reached the function in an
	// envelope moto wrote, carrying the ID moto gave when they were
	// published or put; Subscribed says the demo made the queue's
	// subscription the template declares (moto's CloudFormation skips
	// AWS::SNS::Subscription).
	Source     string
	Enveloped  int
	Subscribed bool
	// Groups is the number of FIFO message groups the messages were sent
	// in; OutOfOrder names each group whose messages were not stored in
	// the order sent (by the order the S3 proxy saw S3 answer "stored"),
	// OrderUnseen counts stored messages whose "stored" answer it did not
	// see (a cut-off attempt), left out of the check.
	Groups      int
	OutOfOrder  []string
	OrderUnseen int
	// Existing says the stack was deployed onto a bucket and queues made
	// outside it (-existing): ExistingUsed that the function, its event
	// source and its dead letters use them, StackMade the buckets and
	// queues the stack made all the same (must be none).
	Existing     bool
	ExistingUsed bool
	StackMade    []string

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

	// Metrics are the function's EMF metrics as the local CloudWatch
	// holds them after the run; EMFSums are the same metrics summed over
	// the EMF documents in CloudWatch Logs.
	Metrics runMetrics
	EMFSums map[string]float64
	// Chart is the path of the run's chart, if one was drawn.
	Chart string

	Elapsed time.Duration
	Phases  []phase // the parts of Elapsed, in the order they ended
	Pids    []int   // every long-running process started
}

// OK reports whether nothing was lost, every good message was stored and
// the whole DLQ was read.
func (s *Summary) OK() bool {
	return s.Drained && s.Lost == 0 && len(s.Wrong) == 0 && len(s.Stray) == 0 && s.Uploaded == s.Sent && s.InDLQ == s.DLQDepth &&
		len(s.OutOfOrder) == 0 && (!s.Existing || s.ExistingUsed && len(s.StackMade) == 0)
}

type messageRetries struct {
	MessageID, Key string
	Retries        int
	MaxAttempt     int
	Codes          map[string]int
	DelayMs        int64
}

func (s *Summary) print(out io.Writer, st *deployed.Stack) {
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
	s.printSource(out)
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
	if e := s.expected(st.Timeout); e != "" {
		fmt.Fprintf(out, "                            %s\n", e)
	}
	s.printDLQ(out)
	fmt.Fprintf(out, "  lost               %6d  %s\n", s.Lost, mark(s.Lost == 0))
	if len(s.Missing) > 0 {
		fmt.Fprintf(out, "                            missing: %v\n", head(s.Missing, 8))
	}
	if s.Queued > 0 {
		fmt.Fprintf(out, "  still queued       %6d  not drained: in the queue, neither stored nor dead-lettered yet\n", s.Queued)
	}
	fmt.Fprintf(out, "  log events         %6d  shipped to %s (%d failed)\n", s.LogEvents, st.LogGroup, s.LogEventsFailed)
	s.printMetrics(out)
	if s.Chart != "" {
		fmt.Fprintf(out, "  chart                      %s\n", s.Chart)
	}
	fmt.Fprintf(out, "  time               %s%s\n", timeLine(s.Elapsed, s.Phases), drainedText(s.Drained))

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

// expected says which of the run's failures and redeliveries the demo
// makes on purpose, from what the run shows: batches its short function
// timeout ends early, retries its throttle uses up, its poison messages;
// "" when the run had no failure and no redelivery.
func (s *Summary) expected(timeout time.Duration) string {
	if s.FailedLines == 0 && s.Redeliveries == 0 && s.PoisonDLQ == 0 {
		return ""
	}
	var causes []string
	if s.FailedReasons[batch.ReasonDeadline] > 0 {
		causes = append(causes, fmt.Sprintf("the %s function timeout ends batches early (%s)", timeout, batch.ReasonDeadline))
	}
	var spent []string
	for _, r := range []string{batch.ReasonBudget, batch.ReasonAttempts} {
		if s.FailedReasons[r] > 0 {
			spent = append(spent, r)
		}
	}
	if len(spent) > 0 {
		causes = append(causes, fmt.Sprintf("the S3 throttle uses up retries (%s)", strings.Join(spent, ", ")))
	}
	var parts []string
	switch {
	case len(causes) > 0:
		parts = append(parts, strings.Join(causes, " and ")+": those records come back")
	case s.Redeliveries > 0:
		parts = append(parts, "a record that failed for now comes back")
	}
	if s.PoisonDLQ > 0 {
		parts = append(parts, fmt.Sprintf("the %d poison messages are dead-lettered", s.PoisonDLQ))
	}
	return "expected: " + strings.Join(append(parts, "lost must be 0"), "; ")
}

// printDLQ prints the DLQ, read whole, by reason, and where the messages
// of this run that it holds ended.
func (s *Summary) printDLQ(out io.Writer) {
	fmt.Fprintf(out, "  in DLQ             %6d  of %d the queue holds %s%s\n", s.InDLQ, s.DLQDepth, mark(s.InDLQ == s.DLQDepth), byReason(s.DLQReasons))
	if len(s.DLQKeys) > 0 {
		var others []string
		if s.DLQCopies > 0 {
			others = append(others, fmt.Sprintf("%d second copies: dead-lettered again after a redelivery", s.DLQCopies))
		}
		if s.DLQForeign > 0 {
			others = append(others, fmt.Sprintf("%d not sent by this run", s.DLQForeign))
		}
		note := ""
		if len(others) > 0 {
			note = " (" + strings.Join(others, "; ") + ")"
		}
		fmt.Fprintf(out, "                            keys: %s%s\n", strings.Join(head(s.DLQKeys, 4), " "), note)
	}
	fmt.Fprintf(out, "  dead-lettered      %6d  sent, not stored: %d of %d poison, %d good%s\n",
		s.PoisonDLQ+s.GoodDLQ, s.PoisonDLQ, s.Poison, s.GoodDLQ, byReason(s.DeadLettered))
	fmt.Fprintf(out, "  stored and in DLQ  %6d  stored byte-exact, and still dead-lettered\n", s.StoredAndDLQ)
}

// byReason is " · by reason: A×2 B×1", or "" for none.
func byReason(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	return " · by reason: " + codes(m)
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

func printKeep(out io.Writer, cfg Config, endpoint string, st *deployed.Stack, front *s3Front, m runMetrics) {
	fmt.Fprintf(out, `
══ still running (Ctrl-C stops everything) ═════════════════════════
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=%s
%s
  aws --endpoint-url %s s3 ls s3://%s/%s --recursive
  aws --endpoint-url %s logs filter-log-events --log-group-name %s --filter-pattern '"upload retry"'
  aws --endpoint-url %s sqs receive-message --queue-url %s --message-attribute-names All
  aws --endpoint-url %s cloudwatch list-metrics --namespace %s
  aws --endpoint-url %s cloudwatch get-metric-statistics --namespace %s --metric-name Retries \
      --dimensions Name=FunctionName,Value=%s --statistics Sum --period 3600 \
      --start-time $(date -u -d '-1 hour' +%%FT%%TZ) --end-time $(date -u -d '+1 hour' +%%FT%%TZ)
  (the function's S3 endpoint, with the throttle: %s)
`, st.Region, sendCommand(cfg, endpoint, st.QueueURL), endpoint, st.Bucket, st.KeyPrefix, endpoint, st.LogGroup, endpoint, st.DLQURL,
		endpoint, m.Namespace, endpoint, m.Namespace, m.FunctionName, front.URL)
}

// sendCommand is the AWS CLI command that sends one message of your own
// the way this run's messages went: to the queue (with a message group
// on a FIFO queue), published to the SNS topic, or put on the event bus.
func sendCommand(cfg Config, endpoint, queueURL string) string {
	const key = `'{"key":{"DataType":"String","StringValue":"hand/hello.txt"}}'`
	group := ""
	if cfg.Groups > 0 {
		group = " --message-group-id hand --message-deduplication-id hand-$(date +%s%N)"
	}
	switch {
	case cfg.Source == sourceSNS:
		return fmt.Sprintf("  aws --endpoint-url %s sns publish --topic-arn %s%s \\\n      --message 'hello' --message-attributes %s",
			endpoint, arn("sns", topicName(cfg)), group, key)
	case cfg.Source == sourceEventBridge:
		// An event carries no message attributes: it is stored as
		// received, under the prefix at its event id.
		entry, _ := json.Marshal([]map[string]string{{"Source": eventSource, "DetailType": eventDetailType,
			"Detail": `{"message":"hello"}`}})
		return fmt.Sprintf("  aws --endpoint-url %s events put-events --entries '%s'   # stored as received, at the prefix + its EventId", endpoint, entry)
	case cfg.Envelope != "" && cfg.Envelope != "none":
		return fmt.Sprintf("  (the function reads %s envelopes here: a bare message would be dead-lettered InvalidEnvelope)\n"+
			"  aws --endpoint-url %s sqs send-message --queue-url %s --message-body 'hello'", cfg.Envelope, endpoint, queueURL)
	}
	return fmt.Sprintf("  aws --endpoint-url %s sqs send-message --queue-url %s%s \\\n      --message-body 'hello' --message-attributes %s",
		endpoint, queueURL, group, key)
}

// printMetrics prints the function's metrics read back from the local
// CloudWatch, beside what the logs and the throttle said.
func (s *Summary) printMetrics(out io.Writer) {
	m := s.Metrics
	var parts []string
	for _, name := range metricNames {
		parts = append(parts, fmt.Sprintf("%s %.0f", name, m.Sums[name]))
	}
	fmt.Fprintf(out, "  metrics            %6d  datums put to CloudWatch from the EMF documents (%d failed, %d documents invalid)\n",
		m.Published, m.Failed, m.Invalid)
	same := true
	for _, name := range metricNames {
		same = same && m.Sums[name] == s.EMFSums[name]
	}
	fmt.Fprintf(out, "                            %s: %s\n", m.Namespace, strings.Join(parts, " · "))
	fmt.Fprintf(out, "                            the sums of the EMF documents in CloudWatch Logs  %s\n", mark(same))
	fmt.Fprintf(out, "                            (logs: %d \"upload retry\" lines; throttle: %d SlowDown)\n", s.Retries, s.Throttled)
}

func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

// printSource prints what sent the messages and who wrote their
// envelopes, the groups' order and the existing resources, for the runs
// that have them.
func (s *Summary) printSource(out io.Writer) {
	sent := s.Sent + s.Poison
	switch s.Source {
	case sourceSNS:
		fmt.Fprintf(out, "  source             %6d  of %d published through moto's SNS reached the function in moto's notification %s\n",
			s.Enveloped, sent, mark(s.Enveloped == sent))
	case sourceEventBridge:
		fmt.Fprintf(out, "  source             %6d  of %d put on moto's EventBridge reached the function as moto's event %s\n",
			s.Enveloped, sent, mark(s.Enveloped == sent))
		fmt.Fprintf(out, "                            each object checked as the event moto delivered (its id and time moto's): id as PutEvents gave it,\n")
		fmt.Fprintf(out, "                            detail the one sent byte for byte (compact JSON), source %s, detail-type %q\n", eventSource, eventDetailType)
	}
	if s.Groups > 0 {
		kept := "order kept in each"
		if len(s.OutOfOrder) > 0 {
			kept = fmt.Sprintf("order BROKEN in %d: %s", len(s.OutOfOrder), strings.Join(head(s.OutOfOrder, 3), "; "))
		}
		unseen := ""
		if s.OrderUnseen > 0 {
			unseen = fmt.Sprintf(" (%d stored by a cut-off attempt, not placed)", s.OrderUnseen)
		}
		fmt.Fprintf(out, "  groups             %6d  FIFO message groups, %s%s %s\n", s.Groups, kept, unseen, mark(len(s.OutOfOrder) == 0))
	}
	if s.Existing {
		made := "the stack created neither"
		if len(s.StackMade) > 0 {
			made = "the stack created " + strings.Join(s.StackMade, ", ")
		}
		fmt.Fprintf(out, "  existing                  bucket and queues made before the deploy, used by the stack; %s %s\n",
			made, mark(s.ExistingUsed && len(s.StackMade) == 0))
	}
}
