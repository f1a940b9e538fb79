package record

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/s3uploader/s3uploader/pkg/s3store"
)

// Message attributes with which the Amazon SQS Extended Client Library
// marks a body that is a pointer to the payload in S3: the payload's size
// in bytes. The second is the name its first versions used.
const (
	AttrExtendedPayloadSize = "ExtendedPayloadSize"
	AttrLegacyPayloadSize   = "SQSLargePayloadSize"
)

// The class names the Extended Client Library writes in a pointer body.
const (
	PointerClass       = "software.amazon.payloadoffloading.PayloadS3Pointer"
	LegacyPointerClass = "com.amazon.sqs.javamessaging.MessageS3Pointer"
)

// Pointer is a payload that S3 already holds, named by an Extended Client
// Library pointer:
//
//	["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"...","s3Key":"..."}]
//
// with the message attribute ExtendedPayloadSize (or SQSLargePayloadSize).
type Pointer struct {
	Bucket string
	Key    string
	Size   int64 // the payload's size as the attribute gives it
}

// pointerSize returns the payload size attribute of m, if it has one.
func pointerSize(m Message) (string, bool, error) {
	for _, name := range []string{AttrExtendedPayloadSize, AttrLegacyPayloadSize} {
		a, ok := m.Attributes[name]
		if !ok {
			continue
		}
		if a.StringValue == nil || !(strings.HasPrefix(a.DataType, "Number") || strings.HasPrefix(a.DataType, "String")) {
			return "", true, inputErr("InvalidPointer", "message attribute %s must be a Number, not %q", name, truncate(a.DataType, 64))
		}
		return *a.StringValue, true, nil
	}
	return "", false, nil
}

// parsePointer reads the pointer in m, when m carries one (the size
// attribute marks it), and checks it may be followed: its bucket must be
// in allowed. A message without the attribute is not a pointer, whatever
// its body looks like.
func parsePointer(m Message, allowed []string) (*Pointer, error) {
	sizeText, ok, err := pointerSize(m)
	if !ok || err != nil {
		return nil, err
	}
	size, err := strconv.ParseInt(strings.TrimSpace(sizeText), 10, 64)
	if err != nil || size < 0 {
		return nil, inputErr("InvalidPointer", "payload size attribute is not a whole number of bytes")
	}
	var parts []json.RawMessage
	if err := json.Unmarshal([]byte(m.Body), &parts); err != nil || len(parts) != 2 {
		return nil, inputErr("InvalidPointer", `body has a payload size attribute but is not a pointer ["%s",{"s3BucketName":"...","s3Key":"..."}]`, PointerClass)
	}
	var class string
	if err := json.Unmarshal(parts[0], &class); err != nil || (class != PointerClass && class != LegacyPointerClass) {
		return nil, inputErr("InvalidPointer", "pointer's first element is not the class name %s", PointerClass)
	}
	var loc map[string]json.RawMessage
	if err := json.Unmarshal(parts[1], &loc); err != nil || loc == nil {
		return nil, inputErr("InvalidPointer", `pointer's second element is not an object {"s3BucketName":"...","s3Key":"..."}`)
	}
	var bucket, key string
	var missing []string
	for name, dst := range map[string]*string{"s3BucketName": &bucket, "s3Key": &key} {
		if json.Unmarshal(loc[name], dst) != nil || *dst == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, inputErr("InvalidPointer", "pointer has no %s string", strings.Join(missing, " or "))
	}
	p := &Pointer{Bucket: bucket, Key: key, Size: size}
	switch {
	case !s3store.ValidBucketName(p.Bucket):
		return nil, inputErr("InvalidPointer", "pointer's s3BucketName is not a bucket name")
	case len(p.Key) > s3store.MaxKeyLen || !utf8.ValidString(p.Key) || strings.IndexFunc(p.Key, unicode.IsControl) >= 0:
		return nil, inputErr("InvalidPointer", "pointer's s3Key is not an S3 key (UTF-8, no control characters, at most %d bytes)", s3store.MaxKeyLen)
	case !slices.Contains(allowed, p.Bucket):
		return nil, inputErr("PointerNotAllowed", "pointer names bucket %q, which is not in POINTER_BUCKETS", p.Bucket)
	}
	return p, nil
}
