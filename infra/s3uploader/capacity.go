package s3uploader

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3uploader/s3uploader/pkg/keys"
	"github.com/s3uploader/s3uploader/pkg/uploader"
)

// How many instances a prefix takes, from the fleet simulation (make fleet;
// README "How many instances a prefix takes"): each instance paces its own
// sends to a prefix and learns its share from its own answers. On one
// prefix of S3's 3,500 PUT/s (500,000 messages), 200 instances wasted 0.09
// extra requests per stored object, 500 0.10 and 1,000 0.16: the smaller
// each instance's share, the slower it learns it.
const (
	// prefixPutRate is S3's documented PUT rate per partitioned prefix.
	prefixPutRate = 3500
	// instancesPerPrefix is the advice: maxConcurrency up to this many per
	// prefix the writes spread over (waste under 0.1).
	instancesPerPrefix = 200
	// capacityWarnFactor is how far past the advice the synth warns.
	capacityWarnFactor = 2
)

// capacityWarningID names the synth's warning, for acknowledgeWarning.
const capacityWarningID = "s3uploader:maxConcurrencyPerPrefix"

// prefixesOf returns how many key prefixes cfg's writes spread over:
// prefixCount when set, else what keyTemplate's {shard:N} give (1 without).
func prefixesOf(cfg Config) int {
	if cfg.PrefixCount > 0 {
		return cfg.PrefixCount
	}
	tmpl, err := keys.NewKeyTemplate(cfg.KeyTemplate)
	if err != nil {
		return 1 // ConfigFromContext has refused it already
	}
	return tmpl.Prefixes()
}

// capacityWarning returns the synth's warning when cfg sends far more
// instances at its prefixes than they take, or "".
func capacityWarning(cfg Config) string {
	prefixes := prefixesOf(cfg)
	advice := instancesPerPrefix * prefixes
	if cfg.MaxConcurrency <= capacityWarnFactor*advice {
		return ""
	}
	upload := uploader.DefaultConcurrency
	if v, ok := cfg.FunctionEnv["UPLOAD_CONCURRENCY"]; ok {
		upload, _ = strconv.Atoi(v)
	}
	return fmt.Sprintf("maxConcurrency %d over %d key prefix(es) is more than %d × the advice of %d instances per prefix: "+
		"each instance's share of a prefix's %d PUT/s would be about %.1f PUT/s, and %d instances × %d uploads in flight "+
		"overshoot it together (in the fleet simulation, 1,000 instances on one prefix wasted 0.16 extra requests per object stored, 200 wasted 0.09). "+
		"Spread the keys over more prefixes (keyTemplate p{shard:N}/{key}; prefixCount if the senders spread them) "+
		"or set maxConcurrency to %d or less",
		cfg.MaxConcurrency, prefixes, capacityWarnFactor, instancesPerPrefix,
		prefixPutRate, float64(prefixPutRate*prefixes)/float64(cfg.MaxConcurrency), cfg.MaxConcurrency, upload, advice)
}

// warnCapacity adds the capacity warning, if any, to scope.
func warnCapacity(scope constructs.Construct, cfg Config) {
	if w := capacityWarning(cfg); w != "" {
		awscdk.Annotations_Of(scope).AddWarningV2(jsii.String(capacityWarningID), jsii.String(w), nil)
	}
}
