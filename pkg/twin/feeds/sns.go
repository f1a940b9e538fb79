package feeds

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/url"
	"sort"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// snsVersion is the SNS API version of the query protocol.
const snsVersion = "2010-03-31"

// SNS is a client of the SNS operations the twin uses. Its zero value is
// not usable: create it with NewSNS. It is safe for concurrent use.
type SNS struct{ c caller }

// NewSNS returns a client for cfg's endpoint (BaseEndpoint, else the
// region's SNS), region and credentials.
func NewSNS(cfg aws.Config) *SNS { return &SNS{c: newCaller(cfg, "sns")} }

// Attribute is a message attribute: DataType String, Number or Binary
// (with a custom suffix), and its value.
type Attribute struct {
	DataType    string
	StringValue string
}

// Publication is one message of a PublishBatch call.
type Publication struct {
	ID         string // the entry's ID in the batch, unique in it
	Message    string
	Attributes map[string]Attribute
	// GroupID and DeduplicationID are for FIFO topics; "" leaves them out.
	GroupID, DeduplicationID string
}

// Published is what PublishBatch did: the SNS MessageId of each entry
// published, and the error of each refused, by entry ID.
type Published struct {
	MessageIDs map[string]string
	Failed     map[string]error
}

// Subscription is a topic's subscription.
type Subscription struct {
	SubscriptionArn string
	TopicArn        string
	Protocol        string // "sqs", ...
	Endpoint        string // for sqs, the queue's ARN
}

// CreateTopic creates the topic name (a FIFO topic's name ends in .fifo)
// with attrs (FifoTopic, ContentBasedDeduplication, ...) and returns its
// ARN; for an existing topic of the same attributes, its ARN.
func (s *SNS) CreateTopic(ctx context.Context, name string, attrs map[string]string) (string, error) {
	v := url.Values{"Name": {name}}
	entries(v, "Attributes", attrs)
	var out struct {
		TopicArn string `xml:"CreateTopicResult>TopicArn"`
	}
	return out.TopicArn, s.do(ctx, "CreateTopic", v, &out)
}

// Subscribe subscribes endpoint (for protocol sqs, a queue's ARN) to the
// topic, with attrs (RawMessageDelivery, ...), and returns the
// subscription's ARN.
func (s *SNS) Subscribe(ctx context.Context, topicArn, protocol, endpoint string, attrs map[string]string) (string, error) {
	v := url.Values{"TopicArn": {topicArn}, "Protocol": {protocol}, "Endpoint": {endpoint}, "ReturnSubscriptionArn": {"true"}}
	entries(v, "Attributes", attrs)
	var out struct {
		SubscriptionArn string `xml:"SubscribeResult>SubscriptionArn"`
	}
	return out.SubscriptionArn, s.do(ctx, "Subscribe", v, &out)
}

// Subscriptions returns every subscription of the topic.
func (s *SNS) Subscriptions(ctx context.Context, topicArn string) ([]Subscription, error) {
	var subs []Subscription
	token := ""
	for {
		v := url.Values{"TopicArn": {topicArn}}
		if token != "" {
			v.Set("NextToken", token)
		}
		var out struct {
			Members   []Subscription `xml:"ListSubscriptionsByTopicResult>Subscriptions>member"`
			NextToken string         `xml:"ListSubscriptionsByTopicResult>NextToken"`
		}
		if err := s.do(ctx, "ListSubscriptionsByTopic", v, &out); err != nil {
			return subs, err
		}
		subs = append(subs, out.Members...)
		if out.NextToken == "" || out.NextToken == token {
			return subs, nil
		}
		token = out.NextToken
	}
}

// PublishBatch publishes up to ten messages to the topic in one call. An
// error means the call failed as a whole; entries the topic refused are in
// Published.Failed.
func (s *SNS) PublishBatch(ctx context.Context, topicArn string, pubs []Publication) (Published, error) {
	v := url.Values{"TopicArn": {topicArn}}
	for i, p := range pubs {
		pre := "PublishBatchRequestEntries.member." + strconv.Itoa(i+1) + "."
		v.Set(pre+"Id", p.ID)
		v.Set(pre+"Message", p.Message)
		if p.GroupID != "" {
			v.Set(pre+"MessageGroupId", p.GroupID)
		}
		if p.DeduplicationID != "" {
			v.Set(pre+"MessageDeduplicationId", p.DeduplicationID)
		}
		messageAttributes(v, pre+"MessageAttributes", p.Attributes)
	}
	var out struct {
		Successful []struct{ Id, MessageId string }     `xml:"PublishBatchResult>Successful>member"`
		Failed     []struct{ Id, Code, Message string } `xml:"PublishBatchResult>Failed>member"`
	}
	if err := s.do(ctx, "PublishBatch", v, &out); err != nil {
		return Published{}, err
	}
	res := Published{MessageIDs: map[string]string{}, Failed: map[string]error{}}
	for _, m := range out.Successful {
		res.MessageIDs[m.Id] = m.MessageId
	}
	for _, f := range out.Failed {
		res.Failed[f.Id] = &APIError{Status: 200, Code: f.Code, Message: f.Message}
	}
	return res, nil
}

// do calls action with the parameters v and decodes the XML answer into
// out.
func (s *SNS) do(ctx context.Context, action string, v url.Values, out any) error {
	v.Set("Action", action)
	v.Set("Version", snsVersion)
	status, body, err := s.c.post(ctx, []byte(v.Encode()), map[string]string{
		"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
	})
	if err != nil {
		return fmt.Errorf("sns %s: %w", action, err)
	}
	if status/100 != 2 {
		var e struct {
			Code    string `xml:"Error>Code"`
			Message string `xml:"Error>Message"`
		}
		_ = xml.Unmarshal(body, &e)
		if e.Code == "" {
			e.Code, e.Message = "HTTP"+strconv.Itoa(status), truncate(string(body), 200)
		}
		return fmt.Errorf("sns %s: %w", action, &APIError{Status: status, Code: e.Code, Message: e.Message})
	}
	if err := xml.Unmarshal(body, out); err != nil {
		return fmt.Errorf("sns %s: answer: %w", action, err)
	}
	return nil
}

// entries encodes a string map as the query protocol's map of key and
// value entries (Attributes.entry.N.key / .value), in key order.
func entries(v url.Values, name string, m map[string]string) {
	for i, k := range sortedKeys(m) {
		pre := name + ".entry." + strconv.Itoa(i+1) + "."
		v.Set(pre+"key", k)
		v.Set(pre+"value", m[k])
	}
}

// messageAttributes encodes message attributes (MessageAttributes.entry.N.
// Name / .Value.DataType / .Value.StringValue), in name order.
func messageAttributes(v url.Values, name string, m map[string]Attribute) {
	for i, k := range sortedKeys(m) {
		pre := name + ".entry." + strconv.Itoa(i+1) + "."
		v.Set(pre+"Name", k)
		v.Set(pre+"Value.DataType", m[k].DataType)
		v.Set(pre+"Value.StringValue", m[k].StringValue)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
