package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/s3uploader/s3uploader/pkg/deployed"
	"github.com/s3uploader/s3uploader/pkg/twin/emfmetrics"
	"github.com/s3uploader/s3uploader/pkg/twin/esm"
	"github.com/s3uploader/s3uploader/pkg/loadgen"
)

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
