package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3uploader/s3uploader/pkg/keys"
	"github.com/s3uploader/s3uploader/pkg/record"
	"github.com/s3uploader/s3uploader/pkg/uploader"
)

// checkTemplate reads the keyTemplate context setting of a run, if any,
// with the function's own reader, and refuses a run whose poison messages
// would not be poison: they carry an invalid key attribute, which only a
// template reading the key ({key}, {shard:N}) refuses.
func checkTemplate(cfg Config) error {
	v, ok := cfg.Ctx["keyTemplate"]
	if !ok {
		return nil
	}
	tmpl, err := uploader.ParseKeyTemplate(v)
	if err != nil {
		return fmt.Errorf("-c keyTemplate: %w", err)
	}
	if cfg.Poison > 0 && !tmpl.UsesKey() {
		return fmt.Errorf("-poison %d: the poison messages carry an invalid key attribute, which KEY_TEMPLATE %s never reads, so they would be stored: put {key} or {shard:N} in the template, or run with -poison 0",
			cfg.Poison, tmpl)
	}
	return nil
}

// expectedKeys renders, with the deployed function's KEY_PREFIX,
// KEY_TEMPLATE and ENVELOPE, the key each delivered record names: the
// objects the byte-for-byte check reads. A message the function never got,
// or whose record does not render, has no expected key ("").
func expectedKeys(env map[string]string, ids []string, delivered func(id string) (events.SQSMessage, bool)) ([]string, *keys.KeyTemplate, error) {
	var tmpl *keys.KeyTemplate
	if v := env["KEY_TEMPLATE"]; v != "" {
		var err error
		if tmpl, err = uploader.ParseKeyTemplate(v); err != nil {
			return nil, nil, fmt.Errorf("the deployed function's %w", err)
		}
	}
	prefix := env["KEY_PREFIX"]
	if prefix == "" {
		prefix = uploader.DefaultKeyPrefix
	}
	envelope, err := record.ParseEnvelope(env["ENVELOPE"])
	if err != nil {
		return nil, nil, fmt.Errorf("the deployed function's ENVELOPE=%w", err)
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		rec, ok := delivered(id)
		if id == "" || !ok {
			continue
		}
		m, err := envelope.Open(rec)
		if err != nil {
			continue
		}
		if k, err := tmpl.Render(m.Fields(), prefix); err == nil {
			keys[i] = k
		}
	}
	return keys, tmpl, nil
}

// listKeys returns every key in bucket under prefix.
func listKeys(ctx context.Context, c clients, bucket, prefix string) (map[string]bool, error) {
	keys := map[string]bool{}
	p := s3.NewListObjectsV2Paginator(c.s3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			keys[aws.ToString(o.Key)] = true
		}
	}
	return keys, nil
}
