package feeds

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// EventBridge is a client of the EventBridge operations the twin uses. Its
// zero value is not usable: create it with NewEventBridge. It is safe for
// concurrent use.
type EventBridge struct{ c caller }

// NewEventBridge returns a client for cfg's endpoint (BaseEndpoint, else
// the region's EventBridge), region and credentials.
func NewEventBridge(cfg aws.Config) *EventBridge {
	return &EventBridge{c: newCaller(cfg, "events")}
}

// Event is one entry of a PutEvents call. Detail is a JSON object.
type Event struct {
	Source       string `json:"Source"`
	DetailType   string `json:"DetailType"`
	Detail       string `json:"Detail"`
	EventBusName string `json:"EventBusName,omitempty"` // "": the default bus
}

// Put is what PutEvents did, in the order of the events given: the event
// ID of each event put ("" for one refused), and the error of each refused
// (nil for one put).
type Put struct {
	EventIDs []string
	Failed   []error
}

// PutEvents puts up to ten events on their buses in one call. An error
// means the call failed as a whole; events refused are in Put.Failed.
func (e *EventBridge) PutEvents(ctx context.Context, events []Event) (Put, error) {
	var out struct {
		Entries []struct {
			EventId, ErrorCode, ErrorMessage string
		}
	}
	if err := e.do(ctx, "PutEvents", map[string]any{"Entries": events}, &out); err != nil {
		return Put{}, err
	}
	if len(out.Entries) != len(events) {
		return Put{}, fmt.Errorf("events PutEvents: %d entries answered for %d events", len(out.Entries), len(events))
	}
	res := Put{EventIDs: make([]string, len(events)), Failed: make([]error, len(events))}
	for i, en := range out.Entries {
		if en.ErrorCode != "" {
			res.Failed[i] = &APIError{Status: 200, Code: en.ErrorCode, Message: en.ErrorMessage}
			continue
		}
		res.EventIDs[i] = en.EventId
	}
	return res, nil
}

// RuleNamesByTarget returns the rules of the bus ("": the default) that
// have targetArn among their targets.
func (e *EventBridge) RuleNamesByTarget(ctx context.Context, targetArn, bus string) ([]string, error) {
	var names []string
	token := ""
	for {
		in := map[string]any{"TargetArn": targetArn}
		if bus != "" {
			in["EventBusName"] = bus
		}
		if token != "" {
			in["NextToken"] = token
		}
		var out struct {
			RuleNames []string
			NextToken string
		}
		if err := e.do(ctx, "ListRuleNamesByTarget", in, &out); err != nil {
			return names, err
		}
		names = append(names, out.RuleNames...)
		if out.NextToken == "" || out.NextToken == token {
			return names, nil
		}
		token = out.NextToken
	}
}

// do calls action with in as its JSON input and decodes the answer into
// out.
func (e *EventBridge) do(ctx context.Context, action string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("events %s: %w", action, err)
	}
	status, answer, err := e.c.post(ctx, body, map[string]string{
		"Content-Type": "application/x-amz-json-1.1",
		"X-Amz-Target": "AWSEvents." + action,
	})
	if err != nil {
		return fmt.Errorf("events %s: %w", action, err)
	}
	if status/100 != 2 {
		var ae struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(answer, &ae)
		code := ae.Type[strings.LastIndex(ae.Type, "#")+1:]
		if code == "" {
			code, ae.Message = "HTTP"+strconv.Itoa(status), truncate(string(answer), 200)
		}
		return fmt.Errorf("events %s: %w", action, &APIError{Status: status, Code: code, Message: ae.Message})
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return fmt.Errorf("events %s: answer: %w", action, err)
	}
	return nil
}
