package moto

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// AWSConfig is an SDK configuration for endpoint (a moto server) with
// static local credentials. S3 clients built from it still need
// UsePathStyle, CloudWatch clients CloudWatchOptions; SNS (service/sns
// v1.48.0, query protocol) and EventBridge (service/eventbridge v1.55.11,
// JSON 1.1) clients need nothing more: moto 5.2.1 answers both as built.
func AWSConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

// AWSConfig is AWSConfig(s.Endpoint).
func (s *Server) AWSConfig() aws.Config { return AWSConfig(s.Endpoint) }

// CloudWatchOptions makes a CloudWatch client speak a protocol moto
// understands: cloudwatch.NewFromConfig(AWSConfig(endpoint), CloudWatchOptions).
//
// service/cloudwatch v1.76.0 speaks Smithy RPC v2 CBOR by default, which
// moto 5.2.1 answers with 404. The query protocol works, with or without the
// SDK's gzip compression of PutMetricData. (awsJson1_0 works only with
// DisableRequestCompression: moto's server does not ungzip JSON bodies and
// answers 500.)
func CloudWatchOptions(o *cloudwatch.Options) {
	o.Protocol = awsquery.New(schemas.GraniteServiceVersion20100801)
}
