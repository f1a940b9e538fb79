package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/s3uploader/s3uploader/pkg/deployed"
)

// Time limits of the two steps that wait. Working credentials (static,
// SSO's cached token, a credential process) resolve in well under a second
// and STS answers in about as long; the point is to fail before the CDK
// CLI's synth (about 11 s) would have.
const (
	credentialsTimeout = 5 * time.Second
	identityTimeout    = 5 * time.Second
)

// check loads the SDK's configuration from the environment (AWS_PROFILE,
// AWS_REGION or AWS_DEFAULT_REGION, the shared config and credentials
// files, environment credentials, SSO, AWS_ENDPOINT_URL) and returns the
// line "<verb> as <ARN> in <region> (<where the credentials came from>)",
// or an error of one line.
func check(ctx context.Context, verb string) (string, error) {
	cfg, err := deployed.AWSConfig(ctx, "", "")
	if err != nil {
		return "", configError(err)
	}
	profile := profileName(cfg)
	if cfg.Region == "" {
		return "", fmt.Errorf("no AWS region: set AWS_REGION or the profile's region (aws configure set region REGION --profile %s)", profile)
	}
	if err := retrieve(ctx, cfg, profile); err != nil {
		return "", err
	}
	arn, err := callerARN(ctx, sts.NewFromConfig(cfg))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s as %s in %s (%s)", verb, arn, cfg.Region, credentialSource(cfg, profile)), nil
}

// configError rewrites the SDK's error for a profile that is in neither
// shared file (it names only the profile) into what to do about it.
func configError(err error) error {
	var missing awsconfig.SharedConfigProfileNotExistError
	if errors.As(err, &missing) {
		p := missing.Profile
		return fmt.Errorf("AWS profile %q not found in %s or %s: set AWS_PROFILE to one that exists, or run aws configure --profile %s",
			p, sharedFile("AWS_CONFIG_FILE", awsconfig.DefaultSharedConfigFilename()),
			sharedFile("AWS_SHARED_CREDENTIALS_FILE", awsconfig.DefaultSharedCredentialsFilename()), p)
	}
	return fmt.Errorf("AWS configuration: %s", oneLine(err))
}

// sharedFile is the shared file the SDK reads, the environment variable
// env's or else def, with the home folder written "~".
func sharedFile(env, def string) string {
	path := cmp.Or(os.Getenv(env), def)
	if home, err := os.UserHomeDir(); err == nil && home != "" && strings.HasPrefix(path, home+string(os.PathSeparator)) {
		return "~" + path[len(home):]
	}
	return path
}

// profileName is the profile the SDK read, else the one AWS_PROFILE names,
// else "default".
func profileName(cfg aws.Config) string {
	for _, src := range cfg.ConfigSources {
		if sc, ok := src.(awsconfig.SharedConfig); ok && sc.Profile != "" {
			return sc.Profile
		}
	}
	return cmp.Or(os.Getenv("AWS_PROFILE"), "default")
}

// sources are the steps of cfg's credential chain, known before any is
// tried.
func sources(cfg aws.Config) []aws.CredentialSource {
	if ps, ok := cfg.Credentials.(aws.CredentialProviderSource); ok {
		return ps.ProviderSources()
	}
	return nil
}

func hasAny(srcs []aws.CredentialSource, want ...aws.CredentialSource) bool {
	return slices.ContainsFunc(srcs, func(s aws.CredentialSource) bool { return slices.Contains(want, s) })
}

// oneLine is err's message on one line.
func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }
