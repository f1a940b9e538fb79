package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3uploader/s3uploader/pkg/keys"
	"github.com/s3uploader/s3uploader/pkg/s3store"
)

// snsBody builds an SNS notification as SNS delivers it to a queue
// without raw message delivery; set drops or replaces fields (nil value:
// drop).
func snsBody(message string, attrs map[string]string, set map[string]any) string {
	n := map[string]any{
		"Type": "Notification", "MessageId": "0b7c-sns-1", "TopicArn": "arn:aws:sns:us-east-1:123456789012:uploads",
		"Message": message, "Timestamp": "2026-12-02T03:04:05.678Z", "SignatureVersion": "1", "Signature": "c2ln",
		"SigningCertURL": "https://sns.us-east-1.amazonaws.com/cert.pem", "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
	}
	if len(attrs) > 0 {
		ma := map[string]any{}
		for k, v := range attrs {
			ma[k] = map[string]string{"Type": "String", "Value": v}
		}
		n["MessageAttributes"] = ma
	}
	for k, v := range set {
		if v == nil {
			delete(n, k)
		} else {
			n[k] = v
		}
	}
	b, _ := json.Marshal(n)
	return string(b)
}

// eventBody builds an EventBridge event as a rule delivers it to a queue.
func eventBody(set map[string]any) string {
	ev := map[string]any{
		"version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": "Order Placed", "source": "com.example.orders",
		"account": "123456789012", "time": "2026-12-02T03:04:05Z", "region": "us-east-1", "resources": []string{},
		"detail": map[string]any{"orderId": "S3CR3T-1", "total": 12.5},
	}
	for k, v := range set {
		if v == nil {
			delete(ev, k)
		} else {
			ev[k] = v
		}
	}
	b, _ := json.Marshal(ev)
	return string(b)
}

func envelopeRecord(body string, attrs ...string) events.SQSMessage {
	rec := events.SQSMessage{MessageId: "sqs-1", Body: body, MessageAttributes: map[string]events.SQSMessageAttribute{},
		Attributes: map[string]string{"SentTimestamp": "1700000000000"}}
	for i := 0; i+1 < len(attrs); i += 2 {
		rec.MessageAttributes[attrs[i]] = strAttr(attrs[i+1])
	}
	return rec
}

func TestParseEnvelope(t *testing.T) {
	for in, want := range map[string]Envelope{"": EnvelopeNone, "none": EnvelopeNone, "SNS": EnvelopeSNS, " eventbridge ": EnvelopeEventBridge} {
		if got, err := ParseEnvelope(in); err != nil || got != want {
			t.Errorf("ParseEnvelope(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseEnvelope("auto"); err == nil || !strings.Contains(err.Error(), "want none, sns or eventbridge") {
		t.Errorf("ParseEnvelope(auto) error = %v; want one listing the envelopes", err)
	}
}

// TestParseSNS: the object holds Message byte for byte; key, content-type
// and content-encoding come from the notification's attributes with the
// rules of SQS attributes; the default key is the SNS MessageId; the
// record's own attributes are not read.
func TestParseSNS(t *testing.T) {
	tests := map[string]struct {
		body       string
		recAttrs   []string
		tmpl       string
		wantKey    string
		wantBody   string
		wantType   string
		wantReason string
		wantDetail []string // parts of the error
	}{
		"message id as key":   {body: snsBody(`{"S3CR3T":"a \"quoted\" \\ value"}`, nil, nil), wantKey: "uploads/0b7c-sns-1", wantBody: `{"S3CR3T":"a \"quoted\" \\ value"}`},
		"unicode and newline": {body: snsBody("héllo\r\n\t日本 \u2028", nil, nil), wantKey: "uploads/0b7c-sns-1", wantBody: "héllo\r\n\t日本 \u2028"},
		"empty message":       {body: snsBody("", nil, nil), wantKey: "uploads/0b7c-sns-1", wantBody: ""},
		"key and type":        {body: snsBody("x", map[string]string{"key": "a/b.json", "content-type": "application/json"}, nil), wantKey: "uploads/a/b.json", wantBody: "x", wantType: "application/json"},
		"base64":              {body: snsBody("AP8=", map[string]string{"content-encoding": "base64"}, nil), wantKey: "uploads/0b7c-sns-1", wantBody: "\x00\xff"},
		"record attributes are not the message's": {body: snsBody("x", nil, nil), recAttrs: []string{"key", "sqs/key"}, wantKey: "uploads/0b7c-sns-1", wantBody: "x"},
		"sent is the notification's Timestamp":    {body: snsBody("x", nil, nil), tmpl: "{sent:2006/01/02/15.000}/{messageId}", wantKey: "uploads/2026/12/02/03.678/0b7c-sns-1", wantBody: "x"},
		"string attribute in a template":          {body: snsBody("x", map[string]string{"tenant": "acme"}, nil), tmpl: "{attr:tenant}/{key}", wantKey: "uploads/acme/0b7c-sns-1", wantBody: "x"},
		"number attribute in a template, as in SQS": {body: snsBody("x", nil, map[string]any{"MessageAttributes": map[string]any{"tenant": map[string]string{"Type": "Number", "Value": "42"}}}),
			tmpl: "{attr:tenant}/{key}", wantReason: "InvalidAttribute"},

		"traversal key attribute": {body: snsBody("x", map[string]string{"key": "../../etc"}, nil), wantReason: "InvalidKey"},
		"bad base64":              {body: snsBody("S3CR3T!", map[string]string{"content-encoding": "base64"}, nil), wantReason: "InvalidBase64"},
		"binary key attribute":    {body: snsBody("x", nil, map[string]any{"MessageAttributes": map[string]any{"key": map[string]string{"Type": "Binary", "Value": "a2V5"}}}), wantReason: "InvalidAttribute"},
		"not JSON":                {body: "S3CR3T plain text", wantReason: "InvalidEnvelope", wantDetail: []string{"not JSON", "ENVELOPE=sns"}},
		"JSON array":              {body: `["S3CR3T"]`, wantReason: "InvalidEnvelope", wantDetail: []string{"array, not an object"}},
		"JSON null":               {body: `null`, wantReason: "InvalidEnvelope", wantDetail: []string{"null"}},
		"missing fields":          {body: `{"Type":"Notification","Message":"S3CR3T"}`, wantReason: "InvalidEnvelope", wantDetail: []string{"missing MessageId, TopicArn, Timestamp"}},
		"missing Message":         {body: snsBody("", nil, map[string]any{"Message": nil}), wantReason: "InvalidEnvelope", wantDetail: []string{"missing Message"}},
		"Message not a string":    {body: snsBody("", nil, map[string]any{"Message": map[string]string{"S3CR3T": "x"}}), wantReason: "InvalidEnvelope", wantDetail: []string{"not a string: Message"}},
		"field names are exact":   {body: strings.ToLower(snsBody("S3CR3T", nil, nil)), wantReason: "InvalidEnvelope", wantDetail: []string{"missing Type, MessageId, TopicArn, Message, Timestamp"}},
		"subscription confirm":    {body: snsBody("S3CR3T", nil, map[string]any{"Type": "SubscriptionConfirmation"}), wantReason: "InvalidEnvelope", wantDetail: []string{"Type is SubscriptionConfirmation"}},
		"other type":              {body: snsBody("x", nil, map[string]any{"Type": "S3CR3T"}), wantReason: "InvalidEnvelope", wantDetail: []string{"Type is another type"}},
		"bad timestamp":           {body: snsBody("x", nil, map[string]any{"Timestamp": "yesterday"}), wantReason: "InvalidEnvelope", wantDetail: []string{"Timestamp is not an RFC 3339 time"}},
		"traversal MessageId":     {body: snsBody("x", nil, map[string]any{"MessageId": "../../x"}), wantReason: "InvalidEnvelope", wantDetail: []string{"MessageId cannot name an object"}},
		"TopicArn not an ARN":     {body: snsBody("x", nil, map[string]any{"TopicArn": "topic"}), wantReason: "InvalidEnvelope", wantDetail: []string{"TopicArn is not an ARN"}},
		"attributes of a bad shape": {body: snsBody("x", nil, map[string]any{"MessageAttributes": []string{"S3CR3T"}}), wantReason: "InvalidEnvelope",
			wantDetail: []string{"MessageAttributes is not an object"}},
		"invalid UTF-8": {body: "{\"Message\":\"\xff\"}", wantReason: "InvalidEnvelope", wantDetail: []string{"not valid UTF-8"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := Parser{Prefix: "uploads/", Envelope: EnvelopeSNS}
			if tc.tmpl != "" {
				p.KeyTemplate = mustTemplate(tc.tmpl)
			}
			it, err := p.Parse(envelopeRecord(tc.body, tc.recAttrs...))
			checkParsed(t, it, err, tc.wantKey, tc.wantBody, tc.wantType, tc.wantReason, tc.wantDetail)
		})
	}
}

func checkParsed(t *testing.T, it Item, err error, wantKey, wantBody, wantType, wantReason string, wantDetail []string) {
	t.Helper()
	if wantReason != "" {
		var ie *InputError
		if !errors.As(err, &ie) || ie.Reason != wantReason {
			t.Fatalf("Parse error = %v; want reason %s", err, wantReason)
		}
		for _, w := range wantDetail {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Parse error = %q; want it to contain %q", err, w)
			}
		}
		if strings.Contains(err.Error(), "S3CR3T") {
			t.Errorf("Parse error %q quotes the payload", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("Parse error = %v", err)
	}
	if it.Key != wantKey || string(it.Body) != wantBody || it.ContentType != wantType || it.MessageID != "sqs-1" {
		t.Errorf("Parse = id %q key %q body %q type %q; want sqs-1 %q %q %q", it.MessageID, it.Key, it.Body, it.ContentType, wantKey, wantBody, wantType)
	}
}

// TestParseEventBridge: the object holds the event as received,
// application/json; the default key is the event id; a body that is not an
// event names what it lacks.
func TestParseEventBridge(t *testing.T) {
	good := eventBody(nil)
	spaced := "  {\"version\":\"0\", \"id\":\"ev-2\",\"detail-type\":\"x\",\"source\":\"s\",\"time\":\"2026-12-02T03:04:05Z\",\n \"detail\": {\"S3CR3T\": [1, 2]} }\n"
	tests := map[string]struct {
		body       string
		recAttrs   []string
		tmpl       string
		wantKey    string
		wantBody   string
		wantReason string
		wantDetail []string
	}{
		"event id as key":           {body: good, wantKey: "uploads/6a7e8feb-b491-4cf7-a9f1-bf3703467718", wantBody: good},
		"stored as received":        {body: spaced, wantKey: "uploads/ev-2", wantBody: spaced},
		"content attributes unread": {body: good, recAttrs: []string{"content-encoding", "base64", "content-type", "text/plain"}, wantKey: "uploads/6a7e8feb-b491-4cf7-a9f1-bf3703467718", wantBody: good},
		"sent is the event's time":  {body: good, tmpl: "{sent:2006-01-02T15:04:05}/{messageId}.json", wantKey: "uploads/2026-12-02T03:04:05/6a7e8feb-b491-4cf7-a9f1-bf3703467718.json", wantBody: good},

		"missing id and detail": {body: eventBody(map[string]any{"id": nil, "detail": nil}), wantReason: "InvalidEnvelope", wantDetail: []string{"missing id, detail", "ENVELOPE=eventbridge"}},
		"detail not an object":  {body: eventBody(map[string]any{"detail": "S3CR3T"}), wantReason: "InvalidEnvelope", wantDetail: []string{"detail is not a JSON object"}},
		"detail-type a number":  {body: eventBody(map[string]any{"detail-type": 7}), wantReason: "InvalidEnvelope", wantDetail: []string{"not a string: detail-type"}},
		"bad time":              {body: eventBody(map[string]any{"time": "1700000000"}), wantReason: "InvalidEnvelope", wantDetail: []string{"time is not an RFC 3339 time"}},
		"an SNS notification":   {body: snsBody("S3CR3T", nil, nil), wantReason: "InvalidEnvelope", wantDetail: []string{"missing version, id, detail-type, source, time, detail"}},
		"empty id":              {body: eventBody(map[string]any{"id": ""}), wantReason: "InvalidEnvelope", wantDetail: []string{"id is empty"}},
		"truncated":             {body: good[:len(good)/2], wantReason: "InvalidEnvelope", wantDetail: []string{"not JSON"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := Parser{Prefix: "uploads/", Envelope: EnvelopeEventBridge}
			if tc.tmpl != "" {
				p.KeyTemplate = mustTemplate(tc.tmpl)
			}
			wantType := ContentTypeJSON
			if tc.wantReason != "" {
				wantType = ""
			}
			it, err := p.Parse(envelopeRecord(tc.body, tc.recAttrs...))
			checkParsed(t, it, err, tc.wantKey, tc.wantBody, wantType, tc.wantReason, tc.wantDetail)
		})
	}
}

// TestEnvelopeNotGuessed: without ENVELOPE an SNS notification is a plain
// body, stored as it came.
func TestEnvelopeNotGuessed(t *testing.T) {
	body := snsBody("inner", nil, nil)
	it, err := Parser{Prefix: "uploads/"}.Parse(envelopeRecord(body))
	if err != nil || it.Key != "uploads/sqs-1" || string(it.Body) != body {
		t.Errorf("Parse(SNS notification, no envelope) = %q %q, %v; want the notification stored as sent under the SQS messageId", it.Key, it.Body, err)
	}
}

// TestEnvelopeRedelivery: the same notification or event delivered twice
// into the queue (two SQS messages, two SentTimestamps) maps to one key,
// whatever the template reads.
func TestEnvelopeRedelivery(t *testing.T) {
	tmpl := mustTemplate("{sent:2006/01/02/15/04/05.000}/{shard:8}/{key}")
	for _, env := range []Envelope{EnvelopeSNS, EnvelopeEventBridge} {
		body := snsBody("x", nil, nil)
		if env == EnvelopeEventBridge {
			body = eventBody(nil)
		}
		first, again := envelopeRecord(body), envelopeRecord(body)
		again.MessageId, again.Attributes["SentTimestamp"] = "sqs-2", "1800000000000"
		p := Parser{Prefix: "u/", KeyTemplate: tmpl, Envelope: env}
		i1, err1 := p.Parse(first)
		i2, err2 := p.Parse(again)
		k1, k2 := i1.Key, i2.Key
		if err1 != nil || err2 != nil || k1 != k2 {
			t.Errorf("%s: keys of two deliveries = %q, %q (%v, %v); want one key", env, k1, k2, err1, err2)
		}
	}
}

// FuzzEnvelope checks, for any body in either envelope: Open and Parse
// never panic; a refusal is an *InputError with a reason and never quotes
// the payload marker; what is accepted is named inside the prefix, an
// EventBridge event is stored byte for byte as application/json, and an
// SNS notification's Message byte for byte. Its seeds are in
// testdata/fuzz/FuzzEnvelope, grown from the bad-input corpus.
func FuzzEnvelope(f *testing.F) {
	f.Add(true, snsBody("S3CR3T", map[string]string{"key": "a/b"}, nil))
	f.Add(true, `{"Type":"Notification","Message":"S3CR3T"}`)
	f.Add(false, eventBody(nil))
	f.Add(false, `{"version":"0","id":"..","detail-type":"x","source":"s","time":"2026-12-02T03:04:05Z","detail":{}}`)
	f.Fuzz(func(t *testing.T, sns bool, body string) {
		env := EnvelopeEventBridge
		if sns {
			env = EnvelopeSNS
		}
		const prefix = "uploads/"
		it, err := Parser{Prefix: prefix, Envelope: env}.Parse(envelopeRecord(body))
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || ie.Reason == "" {
				t.Fatalf("Parse error %v is not an *InputError with a reason", err)
			}
			if strings.Contains(err.Error(), "S3CR3T") {
				t.Fatalf("Parse error %q quotes the payload", err)
			}
			return
		}
		if !strings.HasPrefix(it.Key, prefix) || len(it.Key) > s3store.MaxKeyLen || it.Key == prefix {
			t.Fatalf("accepted key %q is outside the prefix, empty or too long", it.Key)
		}
		for _, seg := range strings.Split(strings.TrimPrefix(it.Key, prefix), "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("accepted key %q has a dot segment", it.Key)
			}
		}
		if env == EnvelopeEventBridge && (string(it.Body) != body || it.ContentType != ContentTypeJSON) {
			t.Fatalf("event stored as %q (%s); want the body as received, application/json", it.Body, it.ContentType)
		}
		if env == EnvelopeSNS {
			var n map[string]json.RawMessage
			var msg string
			if json.Unmarshal([]byte(body), &n) != nil || json.Unmarshal(n["Message"], &msg) != nil {
				t.Fatalf("accepted %q, which has no Message string", body)
			}
			if _, hasAttrs := n["MessageAttributes"]; !hasAttrs && string(it.Body) != msg {
				t.Fatalf("stored %q; want the Message %q byte for byte", it.Body, msg)
			}
		}
	})
}

// FuzzSNSMessage builds an SNS notification around any message and key
// and checks that the stored bytes are the message's, byte for byte, under
// the notification's key (or its MessageId).
func FuzzSNSMessage(f *testing.F) {
	f.Add("hello", "a/b.txt", "0b7c-sns-1")
	f.Add("\"\\\u2028</script>", "", "id")
	f.Add("", "../x", "..")
	f.Fuzz(func(t *testing.T, message, key, id string) {
		if !utf8.ValidString(message) || !utf8.ValidString(key) || !utf8.ValidString(id) {
			return // JSON carries only text: SNS never sends these
		}
		attrs := map[string]string{}
		if key != "" {
			attrs["key"] = key
		}
		body := snsBody(message, attrs, map[string]any{"MessageId": id})
		it, err := Parser{Prefix: "uploads/", Envelope: EnvelopeSNS}.Parse(envelopeRecord(body))
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("Parse error %v is not an *InputError", err)
			}
			if ie.Reason == "InvalidEnvelope" && keys.Validate("", id) == nil && len(id) <= 256 && json.Valid([]byte(body)) && !strings.ContainsRune(message+key+id, '\uFFFD') {
				t.Fatalf("a well-formed notification (id %q) refused: %v", id, err)
			}
			return
		}
		if !strings.ContainsRune(message, '\uFFFD') && string(it.Body) != message {
			t.Fatalf("stored %q; want the message %q byte for byte", it.Body, message)
		}
		want := "uploads/" + key
		if key == "" {
			want = "uploads/" + id
		}
		if it.Key != want {
			t.Fatalf("key %q; want %q", it.Key, want)
		}
	})
}

func ExampleEnvelope_Open() {
	rec := events.SQSMessage{MessageId: "sqs-1", Body: `{"Type":"Notification","MessageId":"sns-1",` +
		`"TopicArn":"arn:aws:sns:us-east-1:123456789012:uploads","Message":"hello","Timestamp":"2026-12-02T03:04:05.678Z"}`}
	m, err := EnvelopeSNS.Open(rec)
	fmt.Println(m.ID, m.Body, m.SentTimestamp, err)

	_, err = EnvelopeSNS.Open(events.SQSMessage{MessageId: "sqs-2", Body: "hello"})
	fmt.Println(err)
	_, err = EnvelopeEventBridge.Open(events.SQSMessage{MessageId: "sqs-3", Body: `{"id":"e-1","detail":{}}`})
	fmt.Println(err)
	// Output:
	// sns-1 hello 1796180645678 <nil>
	// InvalidEnvelope: body is not an SNS notification (ENVELOPE=sns): it is not JSON (syntax error at byte 1 of 5)
	// InvalidEnvelope: body is not an EventBridge event (ENVELOPE=eventbridge): missing version, detail-type, source, time
}
