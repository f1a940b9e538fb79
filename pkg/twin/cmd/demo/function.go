package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3uploader/s3uploader/pkg/deployed"
	"github.com/s3uploader/s3uploader/pkg/rie"
	"github.com/s3uploader/s3uploader/pkg/twin/emfmetrics"
	"github.com/s3uploader/s3uploader/pkg/twin/logship"
	"github.com/s3uploader/s3uploader/pkg/twin/moto"
)

// function is the deployed code running under emulators.
type function struct {
	pool     *rie.Pool
	shippers []*logship.Shipper
	// metrics turns the EMF documents among the shipped lines into
	// CloudWatch metrics, as CloudWatch Logs does in the cloud.
	metrics  *emfmetrics.Publisher
	files    []*os.File // raw emulator output, kept in the work folder
	stopOnce sync.Once
}

func startFunction(ctx context.Context, cfg Config, st *deployed.Stack, bootstrap, motoURL, s3URL string, n int, c clients, work string, out io.Writer) (*function, error) {
	format := logship.Text
	if strings.EqualFold(st.LogFormat, "JSON") {
		format = logship.JSON
	}
	f := &function{metrics: emfmetrics.New(c.cw, emfmetrics.Config{})}
	var emulators []*rie.Emulator
	fail := func(err error) (*function, error) {
		f.pool = rie.NewPool(emulators...)
		f.stop()
		return nil, err
	}
	for i := range n {
		echo := f.metrics.Add
		if cfg.Verbose {
			echo = func(l string) {
				fmt.Fprintf(out, "    [%d] %s\n", i, l)
				f.metrics.Add(l)
			}
		}
		sh, err := logship.New(ctx, c.logs, logship.Config{
			LogGroup: st.LogGroup, Format: format, Timeout: st.Timeout, Echo: echo,
		})
		if err != nil {
			return fail(err)
		}
		f.shippers = append(f.shippers, sh)
		raw, err := os.Create(filepath.Join(work, fmt.Sprintf("emulator-%d.log", i)))
		if err != nil {
			return fail(err)
		}
		f.files = append(f.files, raw)
		e, err := rie.Start(ctx, rie.Config{
			Emulator:  cfg.RIE,
			Bootstrap: bootstrap,
			Env:       functionEnv(st, motoURL, s3URL, sh.Stream()),
			Timeout:   st.Timeout,
			MemoryMB:  st.MemoryMB,
			Output:    io.MultiWriter(sh, raw),
		})
		if err != nil {
			return fail(err)
		}
		emulators = append(emulators, e)
	}
	f.pool = rie.NewPool(emulators...)
	return f, nil
}

// functionEnv is the environment Lambda gives the function (its own
// variables included), with the local endpoints: S3 through the throttle,
// path-style, anything else to moto.
func functionEnv(st *deployed.Stack, motoURL, s3URL, stream string) []string {
	env := map[string]string{
		"PATH":                            "/usr/local/bin:/usr/bin:/bin",
		"TZ":                              ":UTC",
		"LANG":                            "en_US.UTF-8",
		"_HANDLER":                        aws.ToString(st.Function.Handler),
		"AWS_EXECUTION_ENV":               "AWS_Lambda_" + string(st.Function.Runtime),
		"AWS_REGION":                      st.Region,
		"AWS_DEFAULT_REGION":              st.Region,
		"AWS_ACCESS_KEY_ID":               moto.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":           moto.SecretAccessKey,
		"AWS_LAMBDA_FUNCTION_NAME":        st.FunctionName,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(st.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME":       st.LogGroup,
		"AWS_LAMBDA_LOG_STREAM_NAME":      stream,
	}
	if strings.EqualFold(st.LogFormat, "JSON") {
		env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
		if st.LogLevel != "" {
			env["AWS_LAMBDA_LOG_LEVEL"] = st.LogLevel
		}
	}
	for k, v := range st.Env {
		env[k] = v
	}
	// The local endpoints win over anything the function sets.
	env["AWS_ENDPOINT_URL"] = motoURL
	env["AWS_ENDPOINT_URL_S3"] = s3URL
	env["S3_USE_PATH_STYLE"] = "true"
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	list := make([]string, len(keys))
	for i, k := range keys {
		list[i] = k + "=" + env[k]
	}
	return list
}

// flush ships what the emulators wrote so far.
func (f *function) flush(ctx context.Context) {
	time.Sleep(100 * time.Millisecond) // let the emulators' pipes drain
	for _, s := range f.shippers {
		s.Flush(ctx)
	}
	_ = f.metrics.Flush(ctx)
}

// stop stops the emulators, then ships the rest of their output.
func (f *function) stop() {
	f.stopOnce.Do(func() {
		if f.pool != nil {
			f.pool.Stop()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, s := range f.shippers {
			_ = s.Close(ctx)
		}
		if f.metrics != nil {
			_ = f.metrics.Close(ctx)
		}
		for _, file := range f.files {
			file.Close()
		}
	})
}

func (f *function) shipped() (ok, failed int64) {
	for _, s := range f.shippers {
		ok += s.Shipped()
		failed += s.Failed()
	}
	return ok, failed
}
