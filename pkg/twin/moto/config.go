package moto

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// AWSConfig is an SDK configuration for endpoint (a moto server) with
// static local credentials. S3 clients built from it still need
// UsePathStyle.
func AWSConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

// AWSConfig is AWSConfig(s.Endpoint).
func (s *Server) AWSConfig() aws.Config { return AWSConfig(s.Endpoint) }
