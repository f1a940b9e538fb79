package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// retrieve gets cfg's credentials within credentialsTimeout, or says by
// the chain's kind what to do: log in again to SSO, configure some, or
// (credential process, assume role) what the SDK said.
func retrieve(ctx context.Context, cfg aws.Config, profile string) error {
	if cfg.Credentials == nil {
		return fmt.Errorf("no AWS credentials: run aws configure --profile %s", profile)
	}
	ctx, cancel := context.WithTimeout(ctx, credentialsTimeout)
	defer cancel()
	_, err := cfg.Credentials.Retrieve(ctx)
	srcs := sources(cfg)
	switch {
	case err == nil:
		return nil
	case hasAny(srcs, aws.CredentialSourceSSO, aws.CredentialSourceProfileSSO, aws.CredentialSourceSSOLegacy, aws.CredentialSourceProfileSSOLegacy):
		return fmt.Errorf("no AWS credentials: the SSO session of profile %q has expired or was never started: run aws sso login --profile %s", profile, profile)
	case hasAny(srcs, aws.CredentialSourceLogin, aws.CredentialSourceProfileLogin):
		return fmt.Errorf("no AWS credentials: the login session of profile %q has expired or was never started: run aws login --profile %s", profile, profile)
	case ctx.Err() != nil:
		return fmt.Errorf("no AWS credentials from profile %q within %v: %s", profile, credentialsTimeout, oneLine(err))
	case slices.Equal(srcs, []aws.CredentialSource{aws.CredentialSourceHTTP}):
		return fmt.Errorf("no AWS credentials from the container endpoint (AWS_CONTAINER_CREDENTIALS_*): %s", oneLine(err))
	case !slices.Equal(srcs, []aws.CredentialSource{aws.CredentialSourceIMDS}):
		// The profile names a way to get credentials (a process, a role to
		// assume, a web identity) and it failed.
		return fmt.Errorf("no AWS credentials from profile %q: %s", profile, oneLine(err))
	}
	// Nothing configured: the SDK fell back to the instance's role.
	return fmt.Errorf("no AWS credentials: profile %q has none and none are in the environment: run aws configure --profile %s (or aws sso login), or set AWS_PROFILE to a profile that has some", profile, profile)
}

// callerARN asks STS who the credentials are, within identityTimeout.
func callerARN(ctx context.Context, c *sts.Client) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, identityTimeout)
	defer cancel()
	out, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	var apiErr smithy.APIError
	var conn interface {
		error
		ConnectionError() bool
	}
	switch {
	case errors.As(err, &apiErr):
		return "", fmt.Errorf("AWS credentials refused by STS (%s: %s): renew them (aws sso login, aws configure) or set AWS_PROFILE to a profile that works",
			apiErr.ErrorCode(), apiErr.ErrorMessage())
	case errors.As(err, &conn) && conn.ConnectionError():
		return "", fmt.Errorf("cannot reach STS: %s", oneLine(conn))
	case err != nil:
		return "", fmt.Errorf("STS GetCallerIdentity: %s", oneLine(err))
	}
	return aws.ToString(out.Arn), nil
}

// credentialSource says where cfg's credentials came from: the profile,
// unless the chain took them from the environment (which the SDK and the
// CDK CLI both prefer to AWS_PROFILE), an instance or a container.
func credentialSource(cfg aws.Config, profile string) string {
	srcs := sources(cfg)
	switch {
	case hasAny(srcs, aws.CredentialSourceEnvVars, aws.CredentialSourceEnvVarsSTSWebIDToken):
		if p := os.Getenv("AWS_PROFILE"); p != "" {
			return "credentials from the environment, not from profile " + p
		}
		return "credentials from the environment"
	case slices.Equal(srcs, []aws.CredentialSource{aws.CredentialSourceIMDS}):
		return "instance role"
	case slices.Equal(srcs, []aws.CredentialSource{aws.CredentialSourceHTTP}):
		return "container credentials"
	}
	return "profile " + profile
}
