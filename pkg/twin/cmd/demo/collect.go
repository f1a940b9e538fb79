package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3uploader/s3uploader/pkg/deployed"
	"github.com/s3uploader/s3uploader/pkg/loadgen"
	"github.com/s3uploader/s3uploader/pkg/record"
	"github.com/s3uploader/s3uploader/pkg/twin/emfmetrics"
	"github.com/s3uploader/s3uploader/pkg/twin/esm"
)

// sentRun is what the run sent: its messages, the ID each was sent with
// ("" for one refused), how to tell which of them a message read back is
// (origin), and whether an object holds what a message must leave there
// (match, given the message and its ID).
type sentRun struct {
	msgs   []loadgen.Message
	ids    []string
	origin origin
	match  func(m loadgen.Message, id string, got []byte) bool
}

// collect counts and checks what the run left: the event source's, the
// throttle's and the log shippers' counts; the DLQ, read whole; every
// message sent, reconciled with S3 and the DLQ, and each FIFO group's
// order; and the retries, read back from CloudWatch Logs.
func (s *Summary) collect(ctx context.Context, c clients, st *deployed.Stack, run sentRun,
	es esm.Stats, tr *tracker, front *s3Front, fn *function) error {
	s.count(es, tr, front, fn)
	dlq, depth, err := readQueue(ctx, c.sqs, st.DLQURL, run.origin)
	if err != nil {
		return err
	}
	s.DLQDepth, s.MaxReceiveCount = depth, st.MaxReceiveCount
	var queued []dlqMessage
	if !s.Drained {
		// What the run left in the queue is not lost: read it whole too.
		if queued, _, err = readQueue(ctx, c.sqs, st.QueueURL, run.origin); err != nil {
			return err
		}
	}
	sent, err := s.checkS3(ctx, c, st, run, tr)
	if err != nil {
		return err
	}
	s.reconcile(sent, dlq, queued)
	s.checkOrder(sent, st.Bucket, &front.stored)
	return s.readLogs(ctx, c, st)
}

// count copies the event source's, the throttle's and the log shippers'
// counts.
func (s *Summary) count(es esm.Stats, tr *tracker, front *s3Front, fn *function) {
	s.Invocations, s.Partial = es.Invocations, es.PartialBatches
	s.BatchFailures = es.FunctionErrors + es.Timeouts + es.InvalidResponses + es.InvokeErrors
	s.Redeliveries, s.MostDelivered = tr.redeliveries()
	ts := front.Stats()
	s.Throttled, s.PutsAdmitted, s.Faults = ts.Throttled, ts.Admitted, front.faultCounts()
	s.LogEvents, s.LogEventsFailed = fn.shipped()
}

// checkS3 reads, for every message accepted (ids[i] != ""), the object at
// the key the deployed template renders for its record as delivered and
// checks it holds what the message must leave (run.match: the payload
// sent, byte for byte, or for EventBridge the event delivered); poison
// messages name no valid key and are not read. Objects under the prefix
// that no message names are Stray. With a source that writes envelopes,
// it counts the messages delivered in one (Enveloped).
func (s *Summary) checkS3(ctx context.Context, c clients, st *deployed.Stack, run sentRun, tr *tracker) ([]sentMessage, error) {
	msgs, ids := run.msgs, run.ids
	keys, tmpl, err := expectedKeys(st.Env, ids, tr.record)
	if err != nil {
		return nil, err
	}
	s.Template = tmpl.String()
	stored, err := listKeys(ctx, c, st.Bucket, st.KeyPrefix)
	if err != nil {
		return nil, err
	}
	var sent []sentMessage
	named := map[string]bool{}
	for i, m := range msgs {
		if ids[i] == "" {
			continue
		}
		sm := sentMessage{ID: ids[i], Key: m.Key, Group: m.Group, Poison: m.Poison}
		if _, ok := tr.record(ids[i]); ok && run.origin.envelope != record.EnvelopeNone {
			s.Enveloped++
		}
		if m.Poison {
			s.PoisonDeliveries = append(s.PoisonDeliveries, tr.deliveriesOf(ids[i]))
			sent = append(sent, sm)
			continue
		}
		sm.ObjectKey = keys[i]
		s.Keys = append(s.Keys, sm.ObjectKey)
		if sm.ObjectKey != "" {
			named[sm.ObjectKey] = true
			got, err := getObject(ctx, c, st.Bucket, sm.ObjectKey)
			switch {
			case err == nil && run.match(m, ids[i], got):
				sm.Object = objectExact
			case err == nil:
				sm.Object = objectDiffers
			}
		}
		sent = append(sent, sm)
	}
	for k := range stored {
		if !named[k] {
			s.Stray = append(s.Stray, k)
		}
	}
	sort.Strings(s.Stray)
	return sent, nil
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
	ns := metricsNamespace(st)
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
			if datums, err := emfmetrics.Parse(msg); err == nil {
				for _, d := range datums {
					if d.Namespace != ns {
						continue
					}
					if s.EMFSums == nil {
						s.EMFSums = map[string]float64{}
					}
					for _, v := range d.Values {
						s.EMFSums[d.Name] += v
					}
				}
			}
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
