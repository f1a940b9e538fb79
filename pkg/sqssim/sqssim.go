// Package sqssim is an in-process Amazon SQS for tests: the actions the
// function calls (GetQueueUrl, SendMessage, ChangeMessageVisibility and
// its batch form) over HTTP in the AWS JSON 1.0 protocol the SDK speaks,
// with faults a test scripts. It keeps what it was sent so tests can
// check it, and tells a test of each call it carries out (Served); it
// does not deliver messages.
package sqssim

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
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
// It is safe for concurrent use; Fault, Script and Served may be called
// concurrently, and are set before the first call.
type Server struct {
	// Fault, when set, is asked before each action ("SendMessage",
	// "ChangeMessageVisibility", ...) on a queue; a non-empty code fails
	// the call with that error code (HTTP 500 for InternalError and
	// ServiceUnavailable, 403 for AccessDenied, 400 otherwise).
	Fault func(action, queue string) (code string)
	// Script, when set, is asked after Fault about each call on a queue
	// the server can carry out, with what the call carries; a non-empty
	// code fails it as Fault's do. Nothing of a failed call is kept.
	Script func(Call) (code string)
	// Served, when set, is told of each call the server carried out, once
	// Sent or Visibilities holds it and before the answer is written.
	Served func(Call)

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

// Call is one call on a queue, as the server decoded it: what Script and
// Served are given.
type Call struct {
	Action string // "SendMessage", "ChangeMessageVisibilityBatch", ...
	Queue  string // the queue's name
	// Message is what a SendMessage sends.
	Message Message
	// Visibility is what a ChangeMessageVisibility asks: its one change,
	// or the entries of the batch form.
	Visibility []Visibility
}

// ServeHTTP answers one SQS call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	action := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	var in map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, 400, "InvalidParameterValue", "body is not JSON")
		return
	}
	name := queueName(action, in)
	s.mu.Lock()
	q := s.queues[name]
	s.mu.Unlock()
	if q == nil {
		fail(w, 400, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
		return
	}
	if s.Fault != nil {
		if code := s.Fault(action, name); code != "" {
			fail(w, status(code), code, "scripted fault")
			return
		}
	}
	c, ids, err := decode(action, name, in)
	if err != nil {
		fail(w, 400, "InvalidParameterValue", err.Error())
		return
	}
	if s.Script != nil {
		if code := s.Script(c); code != "" {
			fail(w, status(code), code, "scripted fault")
			return
		}
	}
	s.serve(w, q, c, ids)
}

// queueName is the name of the queue a call is on: GetQueueUrl's
// QueueName, the last part of any other call's QueueUrl.
func queueName(action string, in map[string]json.RawMessage) string {
	var name string
	if action == "GetQueueUrl" {
		json.Unmarshal(in["QueueName"], &name)
		return name
	}
	var url string
	json.Unmarshal(in["QueueUrl"], &url)
	return url[strings.LastIndexByte(url, '/')+1:]
}

// status is the HTTP status SQS answers an error code with.
func status(code string) int {
	switch code {
	case "InternalError", "ServiceUnavailable":
		return 500
	case "AccessDenied":
		return 403
	}
	return 400
}

// decode reads the call in, on queue name; ids are the batch entries' Ids.
func decode(action, name string, in map[string]json.RawMessage) (c Call, ids []string, err error) {
	c = Call{Action: action, Queue: name}
	switch action {
	case "GetQueueUrl":
	case "SendMessage":
		c.Message, err = decodeMessage(in)
	case "ChangeMessageVisibility":
		var v struct {
			ReceiptHandle     string
			VisibilityTimeout int
		}
		remarshal(in, &v)
		c.Visibility = []Visibility{{v.ReceiptHandle, v.VisibilityTimeout}}
	case "ChangeMessageVisibilityBatch":
		var v struct {
			Entries []struct {
				Id, ReceiptHandle string
				VisibilityTimeout int
			}
		}
		remarshal(in, &v)
		for _, e := range v.Entries {
			c.Visibility = append(c.Visibility, Visibility{e.ReceiptHandle, e.VisibilityTimeout})
			ids = append(ids, e.Id)
		}
	default:
		return c, nil, fmt.Errorf("sqssim does not serve %s", action)
	}
	return c, ids, err
}

// serve carries out c on q, tells Served, and answers.
func (s *Server) serve(w http.ResponseWriter, q *queue, c Call, ids []string) {
	var out any
	s.mu.Lock()
	switch c.Action {
	case "GetQueueUrl":
		out = map[string]string{"QueueUrl": s.URL(c.Queue)}
	case "SendMessage":
		q.sent = append(q.sent, c.Message)
		sum := md5.Sum([]byte(c.Message.Body))
		out = map[string]string{"MessageId": fmt.Sprintf("sim-%d", len(q.sent)), "MD5OfMessageBody": hex.EncodeToString(sum[:])}
	case "ChangeMessageVisibility":
		q.visibility = append(q.visibility, c.Visibility...)
		out = map[string]string{}
	case "ChangeMessageVisibilityBatch":
		q.visibility = append(q.visibility, c.Visibility...)
		ok := []map[string]string{}
		for _, id := range ids {
			ok = append(ok, map[string]string{"Id": id})
		}
		out = map[string]any{"Successful": ok, "Failed": []any{}}
	}
	s.mu.Unlock()
	if s.Served != nil {
		s.Served(c)
	}
	reply(w, out)
}

// decodeMessage reads SendMessage's input; more than 10 attributes are
// refused, as SQS does.
func decodeMessage(in map[string]json.RawMessage) (Message, error) {
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
		return Message{}, fmt.Errorf("number of message attributes [%d] exceeds the allowed maximum [10]", len(v.MessageAttributes))
	}
	m := Message{Body: v.MessageBody, GroupID: v.MessageGroupId, Deduplication: v.MessageDeduplicationId,
		DelaySeconds: v.DelaySeconds, Attributes: map[string]Attribute{}}
	for name, a := range v.MessageAttributes {
		m.Attributes[name] = Attribute{DataType: a.DataType, String: a.StringValue, Binary: a.BinaryValue}
	}
	return m, nil
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
