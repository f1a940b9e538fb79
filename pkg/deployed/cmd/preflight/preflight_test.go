package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3uploader/s3uploader/pkg/twin/moto"
)

// awsHome gives the test a home of its own, with ~/.aws/config and
// ~/.aws/credentials holding config and credentials, and no AWS_*
// variable of the developer's: each is unset for the test and restored
// after it, as is what run sets. The SDK reads the shared files' default paths from HOME once,
// when it starts, so they are named by AWS_CONFIG_FILE and
// AWS_SHARED_CREDENTIALS_FILE too; IMDS is off.
func awsHome(t *testing.T, config, credentials string) {
	t.Helper()
	names := []string{"AWS_PROFILE"} // which run sets, from -profile
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			names = append(names, k)
		}
	}
	for _, k := range names {
		t.Setenv(k, "") // restored when the test ends
		os.Unsetenv(k)
	}
	home := t.TempDir()
	dir := filepath.Join(home, ".aws")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"config": config, "credentials": credentials} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("HOME", home)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

const (
	keys       = "aws_access_key_id = test\naws_secret_access_key = test\n"
	regionOnly = "[default]\nregion = eu-west-1\n"
	ssoProfile = "[profile work]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Deployer\nregion = eu-west-1\n" +
		"[sso-session corp]\nsso_region = eu-west-1\nsso_start_url = https://corp.awsapps.com/start\n"
)

type preflightCase struct {
	config, credentials string
	env                 map[string]string // "$STS" in a value is the endpoint of the test's STS
	opts                options
	want                string // the line printed: "preflight: " and the error, or the success line
}

// TestFailures: each way the configuration can fall short, and each way
// STS can answer no, gives one line naming what is missing and how to fix
// it.
func TestFailures(t *testing.T) {
	deploy := options{action: "deploy"}
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>` +
			`<Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error>` +
			`<RequestId>1</RequestId></ErrorResponse>`))
	}))
	defer refusing.Close()
	runCases(t, refusing.URL, map[string]preflightCase{
		"profile of AWS_PROFILE missing": {env: map[string]string{"AWS_PROFILE": "nope"}, opts: deploy,
			want: `preflight: AWS profile "nope" not found in ~/.aws/config or ~/.aws/credentials: set AWS_PROFILE to one that exists, or run aws configure --profile nope`},
		"profile of -profile missing": {config: regionOnly, credentials: "[default]\n" + keys, opts: options{profile: "nope", action: "deploy"},
			want: `preflight: AWS profile "nope" not found in ~/.aws/config or ~/.aws/credentials: set AWS_PROFILE to one that exists, or run aws configure --profile nope`},
		"no region": {credentials: "[default]\n" + keys, opts: deploy,
			want: `preflight: no AWS region: set AWS_REGION or the profile's region (aws configure set region REGION --profile default)`},
		"no credentials": {config: regionOnly, opts: deploy,
			want: `preflight: no AWS credentials: profile "default" has none and none are in the environment: run aws configure --profile default (or aws sso login), or set AWS_PROFILE to a profile that has some`},
		"SSO never logged in": {config: ssoProfile, env: map[string]string{"AWS_PROFILE": "work"}, opts: deploy,
			want: `preflight: no AWS credentials: the SSO session of profile "work" has expired or was never started: run aws sso login --profile work`},
		"credentials STS refuses": {config: regionOnly, credentials: "[default]\n" + keys, env: map[string]string{"AWS_ENDPOINT_URL": "$STS"}, opts: deploy,
			want: `preflight: AWS credentials refused by STS (InvalidClientTokenId: The security token included in the request is invalid.): renew them (aws sso login, aws configure) or set AWS_PROFILE to a profile that works`},
		"STS out of reach": {config: regionOnly, credentials: "[default]\n" + keys, env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, opts: deploy,
			want: `preflight: cannot reach STS: request send failed, Post "http://127.0.0.1:1/": dial tcp 127.0.0.1:1: connect: connection refused`},
		"unknown action": {opts: options{action: "synth"}, want: `preflight: -action "synth": want deploy or destroy`},
	})
}

// TestSuccess: against a moto server, the line names the identity STS
// answered, the region and where the credentials came from.
func TestSuccess(t *testing.T) {
	srv := moto.StartTest(t) // stopped by its process group id when the test ends
	const arn = "arn:aws:sts::" + moto.AccountID + ":user/moto"
	runCases(t, srv.Endpoint, map[string]preflightCase{
		"default profile": {config: regionOnly, credentials: "[default]\n" + keys, env: map[string]string{"AWS_ENDPOINT_URL": "$STS"},
			opts: options{action: "deploy"}, want: "deploying as " + arn + " in eu-west-1 (profile default)"},
		"-profile, to destroy": {config: "[profile ci]\nregion = eu-central-1\n", credentials: "[ci]\n" + keys, env: map[string]string{"AWS_ENDPOINT_URL": "$STS"},
			opts: options{profile: "ci", action: "destroy"}, want: "destroying as " + arn + " in eu-central-1 (profile ci)"},
		"environment": {env: map[string]string{"AWS_ENDPOINT_URL": "$STS", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-west-2"},
			opts: options{action: "deploy"}, want: "deploying as " + arn + " in us-west-2 (credentials from the environment)"},
		"environment before AWS_PROFILE": {config: "[profile ci]\nregion = eu-central-1\n",
			env:  map[string]string{"AWS_ENDPOINT_URL": "$STS", "AWS_PROFILE": "ci", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"},
			opts: options{action: "deploy"}, want: "deploying as " + arn + " in eu-central-1 (credentials from the environment, not from profile ci)"},
	})
}

func runCases(t *testing.T, sts string, cases map[string]preflightCase) {
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			awsHome(t, tc.config, tc.credentials)
			for k, v := range tc.env {
				t.Setenv(k, strings.ReplaceAll(v, "$STS", sts))
			}
			line, err := run(context.Background(), tc.opts)
			if err != nil {
				line = "preflight: " + err.Error()
			}
			if line != tc.want {
				t.Errorf("run(%+v) = %q; want %q", tc.opts, line, tc.want)
			}
		})
	}
}
