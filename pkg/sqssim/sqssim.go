// Package sqssim is an in-process Amazon SQS for tests: the actions the
// function calls (GetQueueUrl, SendMessage, ChangeMessageVisibility and
// its batch form) over HTTP in the AWS JSON 1.0 protocol the SDK speaks,
// with faults a test scripts. It keeps what it was sent so tests can
// check it; it does not deliver messages.
package sqssim

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Message is a message a queue was sent.
type Message struct {
	Body                   string
	Attributes             map[string]Attribute
	GroupID, Deduplication string // FIFO only
	DelaySeconds           int
}

// Attribute is a message attribute as sent: Binary is decoded.
type Attribute struct {
	DataType string
	String   string
	Binary   []byte
}

// Visibility is one visibility change a queue was asked for.
type Visibility struct {
	ReceiptHandle string
	Seconds       int
}

// Server is the in-process SQS. Its zero value is not usable: use New.
// It is safe for concurrent use.
type Server struct {
	// Fault, when set, is asked before each action ("SendMessage",
	// "ChangeMessageVisibility", ...) on a queue; a non-empty code fails
	// the call with that error code (HTTP 500 for InternalError and
	// ServiceUnavailable, 400 otherwise).
	Fault func(action, queue string) (code string)

	base   string
	mu     sync.Mutex
	queues map[string]*queue
}

type queue struct {
	sent       []Message
	visibility []Visibility
}

// New returns a Server whose queue URLs start with base (the address the
// test server listens on, e.g. httptest.Server.URL) and which holds the
// named queues.
func New(base string, queues ...string) *Server {
	s := &Server{base: strings.TrimSuffix(base, "/"), queues: map[string]*queue{}}
	for _, q := range queues {
		s.queues[q] = &queue{}
	}
	return s
}

// URL returns the URL of queue name.
func (s *Server) URL(name string) string { return s.base + "/123456789012/" + name }

// Sent returns the messages sent to queue name, in order.
func (s *Server) Sent(name string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.queues[name]; q != nil {
		return append([]Message(nil), q.sent...)
	}
	return nil
}

// Visibilities returns the visibility changes asked of queue name, in order.
func (s *Server) Visibilities(name string) []Visibility {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.queues[name]; q != nil {
		return append([]Visibility(nil), q.visibility...)
	}
	return nil
}

// ServeHTTP answers one SQS call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	action := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	var in map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, 400, "InvalidParameterValue", "body is not JSON")
		return
	}
	var name string
	if action == "GetQueueUrl" {
		json.Unmarshal(in["QueueName"], &name)
	} else {
		var url string
		json.Unmarshal(in["QueueUrl"], &url)
		name = url[strings.LastIndexByte(url, '/')+1:]
	}
	s.mu.Lock()
	q := s.queues[name]
	s.mu.Unlock()
	if q == nil {
		fail(w, 400, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
		return
	}
	if s.Fault != nil {
		if code := s.Fault(action, name); code != "" {
			status := 400
			if code == "InternalError" || code == "ServiceUnavailable" {
				status = 500
			}
			fail(w, status, code, "scripted fault")
			return
		}
	}
	switch action {
	case "GetQueueUrl":
		reply(w, map[string]string{"QueueUrl": s.URL(name)})
	case "SendMessage":
		s.send(w, q, in)
	case "ChangeMessageVisibility":
		var v struct {
			ReceiptHandle     string
			VisibilityTimeout int
		}
		remarshal(in, &v)
		s.mu.Lock()
		q.visibility = append(q.visibility, Visibility{v.ReceiptHandle, v.VisibilityTimeout})
		s.mu.Unlock()
		reply(w, map[string]string{})
	case "ChangeMessageVisibilityBatch":
		var v struct {
			Entries []struct {
				Id, ReceiptHandle string
				VisibilityTimeout int
			}
		}
		remarshal(in, &v)
		var ok []map[string]string
		s.mu.Lock()
		for _, e := range v.Entries {
			q.visibility = append(q.visibility, Visibility{e.ReceiptHandle, e.VisibilityTimeout})
			ok = append(ok, map[string]string{"Id": e.Id})
		}
		s.mu.Unlock()
		reply(w, map[string]any{"Successful": ok, "Failed": []any{}})
	default:
		fail(w, 400, "InvalidAction", "sqssim does not serve "+action)
	}
}

func (s *Server) send(w http.ResponseWriter, q *queue, in map[string]json.RawMessage) {
	var v struct {
		MessageBody            string
		DelaySeconds           int
		MessageGroupId         string
		MessageDeduplicationId string
		MessageAttributes      map[string]struct {
			DataType    string
			StringValue string
			BinaryValue []byte // base64 in JSON
		}
	}
	remarshal(in, &v)
	if len(v.MessageAttributes) > 10 {
		fail(w, 400, "InvalidParameterValue", "Number of message attributes ["+strconv.Itoa(len(v.MessageAttributes))+"] exceeds the allowed maximum [10].")
		return
	}
	m := Message{Body: v.MessageBody, GroupID: v.MessageGroupId, Deduplication: v.MessageDeduplicationId,
		DelaySeconds: v.DelaySeconds, Attributes: map[string]Attribute{}}
	for name, a := range v.MessageAttributes {
		m.Attributes[name] = Attribute{DataType: a.DataType, String: a.StringValue, Binary: a.BinaryValue}
	}
	s.mu.Lock()
	q.sent = append(q.sent, m)
	n := len(q.sent)
	s.mu.Unlock()
	sum := md5.Sum([]byte(v.MessageBody))
	reply(w, map[string]string{"MessageId": fmt.Sprintf("sim-%d", n), "MD5OfMessageBody": hex.EncodeToString(sum[:])})
}

func remarshal(in map[string]json.RawMessage, v any) {
	b, _ := json.Marshal(in)
	json.Unmarshal(b, v)
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#" + code, "message": msg})
}
