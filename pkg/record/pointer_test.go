package record

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/s3uploader/s3uploader/pkg/s3store"
)

func pointerBody(bucket, key string) string {
	b, _ := json.Marshal([]any{PointerClass, map[string]string{"s3BucketName": bucket, "s3Key": key}})
	return string(b)
}

func numAttr(v string) events.SQSMessageAttribute {
	return events.SQSMessageAttribute{DataType: "Number", StringValue: &v}
}

func TestParsePointer(t *testing.T) {
	good := pointerBody("payloads-test", "2026/abc-S3CR3T")
	tests := map[string]struct {
		body       string
		attrs      map[string]events.SQSMessageAttribute
		buckets    []string
		env        Envelope
		want       *Pointer
		wantBody   string // when no pointer: the body stored
		wantReason string
	}{
		"pointer": {body: good, attrs: map[string]events.SQSMessageAttribute{AttrExtendedPayloadSize: numAttr("2000000")},
			want: &Pointer{Bucket: "payloads-test", Key: "2026/abc-S3CR3T", Size: 2000000}},
		"legacy attribute and class": {body: `["com.amazon.sqs.javamessaging.MessageS3Pointer",{"s3BucketName":"payloads-test","s3Key":"k"}]`,
			attrs: map[string]events.SQSMessageAttribute{AttrLegacyPayloadSize: numAttr("7")}, want: &Pointer{Bucket: "payloads-test", Key: "k", Size: 7}},
		"size as a String attribute": {body: good, attrs: map[string]events.SQSMessageAttribute{AttrExtendedPayloadSize: strAttr("12")},
			want: &Pointer{Bucket: "payloads-test", Key: "2026/abc-S3CR3T", Size: 12}},
		"content type kept for the copy": {body: good, attrs: map[string]events.SQSMessageAttribute{AttrExtendedPayloadSize: numAttr("1"), AttrContentType: strAttr("image/png")},
			want: &Pointer{Bucket: "payloads-test", Key: "2026/abc-S3CR3T", Size: 1}},
		"inside an SNS notification": {env: EnvelopeSNS, body: snsBody(good, nil, map[string]any{"MessageAttributes": map[string]any{
			AttrExtendedPayloadSize: map[string]string{"Type": "Number", "Value": "300000"}}}),
			want: &Pointer{Bucket: "payloads-test", Key: "2026/abc-S3CR3T", Size: 300000}},

		"no size attribute: a plain body": {body: good, wantBody: good},
		"no buckets allowed: a plain body": {body: good, attrs: map[string]events.SQSMessageAttribute{AttrExtendedPayloadSize: numAttr("1")},
			buckets: []string{}, wantBody: good},

		"bucket not allowed": {body: pointerBody("someone-elses", "k"), attrs: map[string]events.SQSMessageAttribute{AttrExtendedPayloadSize: numAttr("1")}, wantReason: "PointerNotAllowed"},
		"not a pointer":      {body: "S3CR3T", attrs: map[string]events.SQSMessageAttribute{AttrExtendedPayloadSize: numAttr("6")}, wantReason: "InvalidPointer"},
		"other class":        {body: `["java.lang.String",{"s3BucketName":"payloads-test","s3Key":"k"}]`, attrs: map[string]events.SQSMessageAttribute{AttrExtendedPayloadSize: numAttr("1")}, wantReason: "InvalidPointer"},
		"three elements":     {body: `["` + PointerClass + `",{"s3BucketName":"payloads-test","s3Key":"k"},1]`, attrs: map[string]events.SQSMessageAttribute{AttrExtendedPayloadSize: numAttr("1")}, wantReason: "InvalidPointer"},
		"no key":             {body: `["` + PointerClass + `",{"s3BucketName":"payloads-test"}]`, attrs: map[string]events.SQSMessageAttribute{AttrExtendedPayloadSize: numAttr("1")}, wantReason: "InvalidPointer"},
		"field names exact":  {body: `["` + PointerClass + `",{"S3BucketName":"payloads-test","S3Key":"k"}]`, attrs: map[string]events.SQSMessageAttribute{AttrExtendedPayloadSize: numAttr("1")}, wantReason: "InvalidPointer"},
		"bad bucket name":    {body: pointerBody("Payloads_Test", "k"), attrs: map[string]events.SQSMessageAttribute{AttrExtendedPayloadSize: numAttr("1")}, wantReason: "InvalidPointer"},
		"control char key":   {body: pointerBody("payloads-test", "a\nb"), attrs: map[string]events.SQSMessageAttribute{AttrExtendedPayloadSize: numAttr("1")}, wantReason: "InvalidPointer"},
		"key too long":       {body: pointerBody("payloads-test", strings.Repeat("k", s3store.MaxKeyLen+1)), attrs: map[string]events.SQSMessageAttribute{AttrExtendedPayloadSize: numAttr("1")}, wantReason: "InvalidPointer"},
		"negative size":      {body: good, attrs: map[string]events.SQSMessageAttribute{AttrExtendedPayloadSize: numAttr("-1")}, wantReason: "InvalidPointer"},
		"size not a number":  {body: good, attrs: map[string]events.SQSMessageAttribute{AttrExtendedPayloadSize: numAttr("1e6")}, wantReason: "InvalidPointer"},
		"binary size":        {body: good, attrs: map[string]events.SQSMessageAttribute{AttrExtendedPayloadSize: {DataType: "Binary", BinaryValue: []byte("1")}}, wantReason: "InvalidPointer"},
		"base64 pointer": {body: good, attrs: map[string]events.SQSMessageAttribute{AttrExtendedPayloadSize: numAttr("1"), AttrContentEncoding: strAttr("base64")},
			wantReason: "InvalidPointer"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rec := envelopeRecord(tc.body)
			for k, v := range tc.attrs {
				rec.MessageAttributes[k] = v
			}
			buckets := tc.buckets
			if buckets == nil {
				buckets = []string{"uploads-test", "payloads-test"}
			}
			it, err := Parser{Prefix: "uploads/", Envelope: tc.env, PointerBuckets: buckets}.Parse(rec)
			if tc.wantReason != "" {
				var ie *InputError
				if !errors.As(err, &ie) || ie.Reason != tc.wantReason {
					t.Fatalf("Parse error = %v; want reason %s", err, tc.wantReason)
				}
				if strings.Contains(err.Error(), "S3CR3T") {
					t.Errorf("Parse error %q quotes the payload or its key", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse error = %v", err)
			}
			switch {
			case tc.want == nil && it.Pointer != nil:
				t.Errorf("Parse gave pointer %+v; want a plain body", *it.Pointer)
			case tc.want == nil && string(it.Body) != tc.wantBody:
				t.Errorf("Parse body = %q; want %q", it.Body, tc.wantBody)
			case tc.want != nil && (it.Pointer == nil || *it.Pointer != *tc.want || len(it.Body) != 0):
				t.Errorf("Parse = pointer %+v, body %q; want pointer %+v and no body", it.Pointer, it.Body, *tc.want)
			}
			if it.Key != "uploads/sqs-1" && tc.env == EnvelopeNone {
				t.Errorf("Parse key = %q; want the record's key, uploads/sqs-1", it.Key)
			}
		})
	}
}
