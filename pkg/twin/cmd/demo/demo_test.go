package main

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/s3uploader/s3uploader/pkg/proc"
	"github.com/s3uploader/s3uploader/pkg/twin/moto"
)

// TestEndToEnd runs the whole local path, as `make demo` does: moto, cdk
// synth + bootstrap + deploy, the deployed code under the emulators, the
// event source, a throttled S3, logs in CloudWatch Logs. 200 good messages
// and 3 poison ones (an invalid key) go through, stored at the keys of a
// key template (-c keyTemplate=...), which the byte-for-byte check follows.
func TestEndToEnd(t *testing.T) {
	cfg := e2eConfig(t)
	const template = "{sent:2006/01/02/15}/{shard:2}/{key}"
	cfg.Ctx["keyTemplate"] = template
	cfg.WorkIn = filepath.Join(sharedDir, "e2e")
	cfg.Messages, cfg.Poison, cfg.Size = 200, 3, 1500
	cfg.Encoding = "base64" // binary payloads: byte-exact means byte-exact
	// Two prefixes ({shard:2}) at 10 PUT/s each, burst 5: below what moto
	// serves even on a busy machine (about 40 PUT/s), so the throttle, not
	// moto, sets the pace and SlowDown shows.
	cfg.Rate, cfg.Burst = 10, 5
	cfg.Timeout = 100 * time.Second

	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	start := time.Now()
	sum := runE2E(ctx, t, cfg)
	t.Logf("run took %s", time.Since(start).Round(time.Second))
	e2eAssembly = filepath.Join(cfg.WorkIn, "cdk.out")

	if !sum.Drained {
		t.Errorf("queue not drained within %s", cfg.Timeout)
	}
	if sum.Sent != 200 || sum.Uploaded != 200 || len(sum.Wrong) > 0 {
		t.Errorf("sent %d, uploaded byte-exact %d, wrong content %v; want 200, 200, none", sum.Sent, sum.Uploaded, sum.Wrong)
	}
	if sum.Lost != 0 || len(sum.Missing) > 0 {
		t.Errorf("lost %d (%v); want 0", sum.Lost, sum.Missing)
	}
	rendered := regexp.MustCompile(`^uploads/\d{4}/\d{2}/\d{2}/\d{2}/[01]/demo/[^/]+/\d{3}\.txt$`)
	if sum.Template != template || len(sum.Stray) > 0 {
		t.Errorf("deployed KEY_TEMPLATE %q, stray objects %q; want %q and none", sum.Template, sum.Stray, template)
	}
	for _, k := range sum.Keys {
		if !rendered.MatchString(k) {
			t.Errorf("good message checked at key %q; want the template's %s", k, rendered)
			break
		}
	}
	// The DLQ, read whole, holds the poison messages and nothing else; a
	// poison message delivered again may be dead-lettered again.
	wantDLQ := []string{"../poison/200", "../poison/201", "../poison/202"}
	if got := slices.Compact(slices.Clone(sum.DLQKeys)); !slices.Equal(got, wantDLQ) || sum.GoodDLQ != 0 || sum.DLQForeign != 0 {
		t.Errorf("DLQ holds %q (%d good, %d of no message sent); want only %q", sum.DLQKeys, sum.GoodDLQ, sum.DLQForeign, wantDLQ)
	}
	if sum.InDLQ != sum.DLQDepth || sum.PoisonDLQ != 3 {
		t.Errorf("read %d of the %d messages the DLQ holds, %d poison messages among them; want all, 3", sum.InDLQ, sum.DLQDepth, sum.PoisonDLQ)
	}
	// A poison message reaches the DLQ at its first delivery when the
	// function dead-letters it itself (reason InvalidKey), after the
	// deployed queue's maxReceiveCount deliveries when SQS's redrive moves
	// it.
	// Each delivery the function dead-letters leaves a copy: the copies
	// beyond the first are redeliveries.
	byFunction := sum.DeadLettered["InvalidKey"] == len(sum.PoisonDeliveries)
	again := 0
	for i, n := range sum.PoisonDeliveries {
		again += n - 1
		if byFunction && n < 1 || !byFunction && n != sum.MaxReceiveCount {
			t.Errorf("poison message %d delivered %d times; want maxReceiveCount = %d when SQS's redrive moves it, at least 1 when the function dead-letters it (DLQ by reason: %v)",
				i, n, sum.MaxReceiveCount, sum.DLQReasons)
		}
	}
	if sum.DLQCopies > again {
		t.Errorf("%d second copies in the DLQ, from %d redeliveries of poison messages; want no more copies than redeliveries", sum.DLQCopies, again)
	}
	if sum.Throttled == 0 {
		t.Errorf("the S3 throttle answered no SlowDown; want the demo to throttle")
	}
	if sum.Retries == 0 || len(sum.RetriesByMessage) == 0 {
		t.Errorf("no \"upload retry\" lines read back from CloudWatch Logs; want the retries visible there")
	}
	if got := sum.FailedReasons["InvalidKey"]; got < 3 {
		t.Errorf("%d \"upload failed\" lines with reason InvalidKey in CloudWatch Logs; want one per poison delivery", got)
	}
	if sum.LogEventsFailed > 0 {
		t.Errorf("%d log events could not be shipped", sum.LogEventsFailed)
	}

	// The EMF documents became metrics in the local CloudWatch: what
	// get-metric-statistics answers is what the documents in the logs say.
	m := sum.Metrics
	if m.Published == 0 || m.Failed > 0 || m.Invalid > 0 {
		t.Errorf("metrics: %d datums put, %d failed, %d invalid documents; want some put, none failed or invalid", m.Published, m.Failed, m.Invalid)
	}
	for _, name := range metricNames {
		if m.Sums[name] != sum.EMFSums[name] {
			t.Errorf("metric %s/%s: CloudWatch sums %v, the EMF documents in the logs %v; want them equal", m.Namespace, name, m.Sums[name], sum.EMFSums[name])
		}
	}
	if got := m.Sums["Uploaded"] + m.Sums["Duplicates"]; got < 200 {
		t.Errorf("metrics Uploaded + Duplicates = %v; want at least the 200 good messages", got)
	}
	if m.Sums["Retries"] == 0 || m.Sums["Throttles"] == 0 {
		t.Errorf("metrics Retries %v, Throttles %v; want the throttling visible in CloudWatch", m.Sums["Retries"], m.Sums["Throttles"])
	}

	// The chart of the run is a picture.
	if f, err := os.Open(sum.Chart); err != nil {
		t.Errorf("chart: %v", err)
	} else {
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() < 600 {
			t.Errorf("chart %s: %v (size %v); want a PNG", sum.Chart, err, img)
		}
	}

	// No process outlives the run.
	if len(sum.Pids) < 2 {
		t.Fatalf("Pids = %v; want moto and the emulators", sum.Pids)
	}
	time.Sleep(100 * time.Millisecond)
	for _, pid := range sum.Pids {
		if proc.GroupAlive(pid) {
			t.Errorf("process group %d still alive after run", pid)
		}
	}
}

// TestInterruptStopsEverything cancels a run while the function is
// running and checks that every process it started is gone.
func TestInterruptStopsEverything(t *testing.T) {
	cfg := e2eConfig(t)
	cfg.WorkIn = t.TempDir()
	cfg.App = e2eAssembly // reuse TestEndToEnd's synth when it ran
	cfg.Messages, cfg.Poison = 50, 1
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	var sum *Summary
	go func() {
		var err error
		sum, err = run(ctx, cfg, pw, io.Discard)
		pw.Close()
		done <- err
	}()
	// Cancel once the drain starts: moto, emulators and pollers are up.
	buf := make([]byte, 4096)
	var seen bytes.Buffer
	for !bytes.Contains(seen.Bytes(), []byte("▶ drain")) {
		n, err := pr.Read(buf)
		seen.Write(buf[:n])
		if err != nil {
			t.Fatalf("run ended before the drain:\n%s", seen.String())
		}
	}
	cancel()
	go io.Copy(io.Discard, pr)
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return within 30 s of the cancel")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("run = %v; want context.Canceled", err)
	}
	for _, pid := range sum.Pids {
		if proc.GroupAlive(pid) {
			t.Errorf("process group %d alive after cancel", pid)
		}
	}
}

// The stack name of the tests (not the default: discovery must not depend
// on it), and the cloud assembly TestEndToEnd synthesized, for reuse.
const e2eStack = "S3UploaderE2E"

// runE2E runs the demo with cfg and returns its summary, failing the test
// when it errs; if the test fails, the demo's output and the tail of its
// CDK log go to the test log.
func runE2E(ctx context.Context, t *testing.T, cfg Config) *Summary {
	t.Helper()
	var out bytes.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("demo output:\n%s", out.String())
			dumpTail(t, filepath.Join(cfg.WorkIn, "cdk.log"))
		}
	})
	sum, err := run(ctx, cfg, &out, io.Discard)
	if err != nil {
		t.Fatalf("run = %v", err)
	}
	return sum
}

// e2eConfig is the demo's default configuration for the end-to-end tests,
// rooted at the repository, with the test stack's name. It skips with -short
// or without moto_server, and stops the test when the CDK CLI or the
// emulator is not installed.
func e2eConfig(t *testing.T) Config {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skips the end-to-end runs (about 100 s)")
	}
	if _, err := moto.Path(); err != nil {
		t.Skip(moto.Install)
	}
	wd, _ := os.Getwd()
	root, err := findRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	cfg := defaultConfig()
	cfg.Root, cfg.Stack = root, e2eStack
	cfg.Chart = filepath.Join(t.TempDir(), "run.png")
	for _, tool := range []string{cfg.CDK, cfg.RIE} {
		if !fileExists(filepath.Join(root, tool)) {
			t.Fatalf("%s is missing: run make cdk rie (make test installs both)", tool)
		}
	}
	return cfg
}

var e2eAssembly string

// sharedDir outlives single tests (TestMain removes it).
var sharedDir string

func TestMain(m *testing.M) {
	var err error
	if sharedDir, err = os.MkdirTemp("", "demo-test-"); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(sharedDir)
	os.Exit(code)
}

func dumpTail(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	t.Logf("%s (tail):\n%s", path, lastLines(string(b), 30))
}
