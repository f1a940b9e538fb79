package invoke

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/s3uploader/s3uploader/pkg/s3store"
)

// Options are what one invocation needs. The zero value of each field but
// Event means its default.
type Options struct {
	// Event is the path of the SQS event file (-event). Required.
	Event string
	// Env sets the function's environment variables over invoke's
	// defaults (-env KEY=VALUE): what Lambda sets, BUCKET_NAME
	// DefaultBucket and DEAD_LETTER_QUEUE_URL the local DefaultDLQ.
	Env Vars
	// Objects are put in the local S3 before the invocation (-object
	// BUCKET/KEY=FILE), their buckets created.
	Objects Seeds
	// Timeout is the function timeout the emulator enforces (-timeout);
	// default DefaultTimeout.
	Timeout time.Duration
	// Emulator is the path of aws-lambda-rie (-rie); default $RIE, then
	// Root/.tools/bin/aws-lambda-rie (make rie installs it), then PATH.
	Emulator string
	// Root is the module's root, where ./functions/uploader is built;
	// default the folder holding the go.mod above the current directory.
	Root string
	// Out is where the bootstrap is built and the objects' copies are
	// written (Out/s3/BUCKET/KEY); default Root/.build/invoke.
	Out string

	// s3Front, when set, wraps the in-memory S3 (for testing).
	s3Front func(http.Handler) http.Handler
}

// Defaults: the stack's function timeout and memory size (infra's
// Config), and the names of the local bucket and dead-letter queue.
const (
	DefaultTimeout  = 30 * time.Second
	DefaultMemoryMB = 256
	DefaultBucket   = "uploads-local"
	DefaultDLQ      = "uploads-dlq"
	DefaultFunction = "uploader"
)

// Flags defines the flags of Options on fs: -event, -env, -object,
// -timeout and -rie.
func (o *Options) Flags(fs *flag.FlagSet) {
	fs.StringVar(&o.Event, "event", "", "the SQS event `FILE` to send (required); "+SamplesDir+" holds samples")
	fs.Var(&o.Env, "env", "set the function's environment variable `KEY=VALUE` (repeatable), e.g. -env ENVELOPE=sns; by default\n"+
		"BUCKET_NAME="+DefaultBucket+", DEAD_LETTER_QUEUE_URL is the local queue "+DefaultDLQ+" and AWS_LAMBDA_FUNCTION_NAME="+DefaultFunction+";\n"+
		"the endpoints (AWS_ENDPOINT_URL*), the credentials and S3_USE_PATH_STYLE are invoke's own")
	fs.Var(&o.Objects, "object", "put FILE's bytes in the local S3 as an object, `BUCKET/KEY=FILE`, before the invocation (repeatable;\n"+
		"the bucket is created), e.g. the payload an Extended Client Library pointer names")
	fs.DurationVar(&o.Timeout, "timeout", DefaultTimeout, "the function timeout the emulator enforces, a `duration` (the stack's default)")
	fs.StringVar(&o.Emulator, "rie", "", "`path` of aws-lambda-rie (default: $RIE, .tools/bin/aws-lambda-rie from make rie, then PATH)")
}

// Var is one environment variable.
type Var struct{ Key, Value string }

// Vars are environment variables in the order given; a flag.Value whose
// Set reads KEY=VALUE and refuses the variables invoke sets itself.
type Vars []Var

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// fixed are the variables that point the function at the local S3 and
// SQS: -env may not change them.
func fixed(key string) bool {
	switch key {
	case "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"S3_USE_PATH_STYLE", "AWS_LAMBDA_FUNCTION_TIMEOUT", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE":
		return true
	}
	return strings.HasPrefix(key, "AWS_ENDPOINT_URL")
}

// Set adds one KEY=VALUE.
func (v *Vars) Set(s string) error {
	key, value, ok := strings.Cut(s, "=")
	switch {
	case !ok:
		return errors.New("want KEY=VALUE")
	case !envName.MatchString(key):
		return fmt.Errorf("%q is not an environment variable's name", key)
	case fixed(key):
		return fmt.Errorf("%s is set by invoke: it points the function at the local S3 and SQS", key)
	}
	*v = append(*v, Var{key, value})
	return nil
}

func (v *Vars) String() string {
	if v == nil {
		return ""
	}
	parts := make([]string, len(*v))
	for i, e := range *v {
		parts[i] = e.Key + "=" + e.Value
	}
	return strings.Join(parts, " ")
}

// Seed is an object to put in the local S3 before the invocation.
type Seed struct{ Bucket, Key, File string }

// Seeds are objects to seed; a flag.Value whose Set reads
// BUCKET/KEY=FILE. The key ends at the first '=': a key holding one
// cannot be seeded.
type Seeds []Seed

// Set adds one BUCKET/KEY=FILE.
func (s *Seeds) Set(v string) error {
	obj, file, ok := strings.Cut(v, "=")
	bucket, key, slash := strings.Cut(obj, "/")
	switch {
	case !ok || !slash || file == "" || key == "":
		return errors.New("want BUCKET/KEY=FILE")
	case !s3store.ValidBucketName(bucket):
		return fmt.Errorf("%q is not a bucket name (3 to 63 lower-case letters, digits, '.' and '-')", bucket)
	}
	*s = append(*s, Seed{bucket, key, file})
	return nil
}

func (s *Seeds) String() string {
	if s == nil {
		return ""
	}
	parts := make([]string, len(*s))
	for i, e := range *s {
		parts[i] = e.Bucket + "/" + e.Key + "=" + e.File
	}
	return strings.Join(parts, " ")
}
