package docs

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/s3uploader/s3uploader/pkg/proc"
)

// ran is every README command this test runs: exactly as the README
// shows it (its comment dropped, continued lines joined), from the module
// root. Each must exit 0 and print every string of want.
var ran = []struct {
	cmd   string
	want  []string
	files []string // must exist afterwards, relative to the module root
	needs []string // programs on PATH; one missing, the command is skipped, naming it
	slow  bool     // several seconds: left out with -short
	// warm is a package that must be in the build cache already: its first
	// build takes minutes, which make test-infra spends anyway.
	warm string
}{
	{cmd: "make events",
		want: []string{"sqs-text.json", "poison.json", "make invoke EVENT=functions/uploader/events/fifo.json"}},
	{cmd: "make invoke EVENT=functions/uploader/events/sqs-text.json",
		want: []string{`{"batchItemFailures":[]}`, "== objects written: 2", "s3://uploads-local/uploads/notes/2026-12-02/order-1002.txt", "== dead letters: 0"}},
	{cmd: "make invoke EVENT=functions/uploader/events/poison.json",
		want: []string{`{"batchItemFailures":[]}`, "== objects written: 0", "== dead letters: 1", `failure.reason="InvalidKey"`}},
	{cmd: `make invoke EVENT=functions/uploader/events/sns.json INVOKE_ARGS="-env ENVELOPE=sns"`,
		want: []string{"s3://uploads-local/uploads/orders/1003/created.json", "application/json"}},
	{cmd: "go run ./pkg/invoke/cmd/invoke -h",
		want: []string{"make invoke EVENT=FILE", "-object BUCKET/KEY=FILE"}},
	{cmd: "go run ./pkg/twin/cmd/demo -h",
		want: []string{`make demo DEMO_ARGS="[flags]"`, "-keep"}},
	{cmd: "go run ./pkg/harness/bench/cmd/bench -h",
		want: []string{"-matrix-rows", "-only"}},
	{cmd: "go run ./pkg/harness/fleet/cmd/fleet -h",
		want: []string{"-instances", "-prefixes", "-timeline"}},
	{cmd: "go run ./pkg/harness/fleet/cmd/fleet -instances 1000 -prefixes 1 -timeline 10s",
		want: []string{"stored 1000000/1000000", "capacity    3500/s"}, slow: true},
	{cmd: "go run ./pkg/harness/fleet/cmd/fleet -max-concurrency 300 -split-after 1m -seed 7",
		want: []string{"stored 1000000/1000000"}, slow: true},
	{cmd: "go test -run '^$' -bench . ./pkg/harness/bench/",
		want: []string{"BenchmarkBarePut", "ok  \tgithub.com/s3uploader/s3uploader/pkg/harness/bench"}, slow: true},
	{cmd: "make cdk", files: []string{".tools/cdk/node_modules/.bin/cdk"}, needs: []string{"npm"}},
	{cmd: "make rie", files: []string{".tools/bin/aws-lambda-rie"}},
	{cmd: "make synth",
		want: []string{"cdk.out/S3Uploader.template.json"}, needs: []string{"node", "npm"},
		slow: true, warm: "github.com/aws/aws-cdk-go/awscdk/v2"},
}

// notRun is every README command this test does not run, by pattern (the
// first that matches), with the reason.
var notRun = []struct{ pattern, why string }{
	{`^make test$`, "runs this test: CI runs it (.ci/run)"},
	{`^make demo( |$)`, "about 40 s warm, 3 to 4 minutes cold, and needs moto_server: pkg/twin/cmd/demo's TestEndToEnd runs the demo"},
	{`^(make (deploy|destroy)|\.tools/cdk/node_modules/\.bin/cdk (bootstrap|destroy))( |$)`, "needs an AWS account"},
	{`^make redrive REDRIVE_ARGS="-stack `, "needs an AWS account (a deployed stack's queues); pkg/redrive's TestMoveKeepsTheKey covers the move"},
	{`^make redrive$`, "needs a dead-letter queue: an AWS account, or the local twin kept running"},
	{`^export AWS_ACCESS_KEY_ID=test |^E=http://localhost:PORT$`, "sets the shell up for the local twin's commands"},
	{`^(aws --endpoint-url |AWS_ENDPOINT_URL=)\$E `, "needs the local twin kept running (make demo DEMO_ARGS=-keep prints these, filled in)"},
	{`^aws |^[A-Z_]+=\$\(aws `, "needs an AWS account"},
	{`^go run \./pkg/loadgen/cmd/send( |$)`, "sends to a queue: an AWS account, or the local twin kept running"},
	{`^make bench( |$)`, "about 80 minutes on 2 cores; make test runs the matrix at a fiftieth (TestMatrixReduced)"},
	{`^go run \./pkg/harness/bench/cmd/bench -only `, "minutes: a matrix row runs each strategy up to 20 s; make test runs the matrix at a fiftieth (TestMatrixReduced)"},
	{`^make fleet( |$)`, "about 15 minutes on 2 cores; make test runs reduced fleets (pkg/harness/fleet)"},
	{`^make chaos( |$)`, "20 seeds of 2,000 messages, about 2 minutes; make test runs 3 seeds of 1,000 (TestFaultSchedule)"},
	{`^make build$`, "the linux/arm64 build; functions/uploader's tests check the build line, and make synth builds it"},
	{`^make invoke( EVENT=FILE)?$`, "names the target; the README's make invoke EVENT=functions/uploader/events/... commands are run"},
	{`^go run \./infra$`, "what cdk.json runs: make synth runs it"},
}

// TestReadmeCommands runs the README's commands that need no cloud and take
// seconds, and fails on a command that is neither run nor listed in notRun
// with its reason, or on an entry of either that no README command matches.
func TestReadmeCommands(t *testing.T) {
	root, md := readme(t)
	cmds := commands(md)
	if len(cmds) < 20 {
		t.Fatalf("found %d commands in README.md; want the dozens it shows (is the extraction broken?)", len(cmds))
	}
	used := make([]bool, len(notRun))
	toRun := map[string]bool{}
	for _, c := range cmds {
		if ranIndex(c.text) >= 0 {
			toRun[c.text] = true
			continue
		}
		i := notRunIndex(c.text)
		if i < 0 {
			t.Errorf("README.md:%d: %q is neither run by this test (ran) nor listed with a reason (notRun): classify it in pkg/docs/readme_test.go", c.line, c.text)
			continue
		}
		used[i] = true
		t.Logf("not run: %s (README.md:%d): %s", c.text, c.line, notRun[i].why)
	}
	for i, u := range used {
		if !u {
			t.Errorf("notRun %q matches no README command: remove it", notRun[i].pattern)
		}
	}
	for _, r := range ran {
		if !toRun[r.cmd] {
			t.Errorf("ran %q is no README command: remove it or fix the README", r.cmd)
			continue
		}
		t.Run(r.cmd, func(t *testing.T) {
			if r.slow && testing.Short() {
				t.Skip("-short: takes several seconds")
			}
			for _, p := range r.needs {
				if _, err := exec.LookPath(p); err != nil {
					t.Skipf("%s not found: %q needs it", p, r.cmd)
				}
			}
			if r.warm != "" && !cached(t, root, r.warm) {
				t.Skipf("%s is not compiled yet (minutes on a fresh machine; make test-infra builds it)", r.warm)
			}
			// A first build of a command takes minutes; a warm run, seconds.
			timeout := 5 * time.Minute
			if d, ok := t.Deadline(); ok {
				timeout = min(timeout, time.Until(d)-10*time.Second)
			}
			out, err := runCommand(root, r.cmd, timeout)
			if err != nil {
				t.Fatalf("%s: %v\n%s", r.cmd, err, out)
			}
			for _, w := range r.want {
				if !strings.Contains(out, w) {
					t.Errorf("%s: output lacks %q:\n%s", r.cmd, w, out)
				}
			}
			for _, f := range r.files {
				if _, err := os.Stat(filepath.Join(root, f)); err != nil {
					t.Errorf("%s: afterwards %v", r.cmd, err)
				}
			}
		})
	}
}

// ranIndex is the index in ran of cmd, or -1.
func ranIndex(cmd string) int {
	for i, r := range ran {
		if r.cmd == cmd {
			return i
		}
	}
	return -1
}

// notRunIndex is the index in notRun of the first pattern cmd matches, or -1.
func notRunIndex(cmd string) int {
	for i, n := range notRun {
		if regexp.MustCompile(n.pattern).MatchString(cmd) {
			return i
		}
	}
	return -1
}

// runCommand runs cmd with sh in dir, in its own process group, which it
// stops afterwards (a server a command left behind goes too), and returns
// its output, stdout and stderr together. The environment is this
// process's without make's own variables, as in a user's shell.
func runCommand(dir, cmd string, timeout time.Duration) (string, error) {
	c := exec.Command("sh", "-c", cmd)
	c.Dir = dir
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "GNUMAKEFLAGS":
		default:
			c.Env = append(c.Env, kv)
		}
	}
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	p, err := proc.Start(c)
	if err != nil {
		return "", err
	}
	defer p.Stop(2 * time.Second)
	select {
	case <-p.Done():
		return out.String(), p.Err()
	case <-time.After(timeout):
		p.Stop(2 * time.Second)
		return out.String(), context.DeadlineExceeded
	}
}

// cached reports whether package pkg is in the build cache, so that a
// command building it takes seconds, not the minutes of a first build.
func cached(t *testing.T, root, pkg string) bool {
	cmd := exec.Command("go", "list", "-f", "{{.Stale}}", pkg)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Logf("go list %s: %v", pkg, err)
		return false
	}
	return strings.TrimSpace(string(out)) == "false"
}

// TestReadmeLinks: every link inside the README names one of its headings
// (by GitHub's slug) or anchors, and every relative link a file that
// exists; a link into another Markdown file names one of its headings.
func TestReadmeLinks(t *testing.T) {
	root, md := readme(t)
	own := anchors(md)
	links := links(md)
	if len(links) < 10 {
		t.Fatalf("found %d links in README.md; want the dozens it has", len(links))
	}
	for _, l := range links {
		path, frag, _ := strings.Cut(l.target, "#")
		if strings.Contains(path, "://") || strings.HasPrefix(path, "mailto:") {
			continue
		}
		if path == "" {
			if !own[frag] {
				t.Errorf("README.md:%d: link (#%s) names no heading or anchor of README.md", l.line, frag)
			}
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			if _, serr := os.Stat(filepath.Join(root, path)); serr != nil {
				t.Errorf("README.md:%d: link (%s): %v", l.line, l.target, serr)
			}
			continue // a folder
		}
		if frag != "" && strings.HasSuffix(path, ".md") && !anchors(string(b))[frag] {
			t.Errorf("README.md:%d: link (%s) names no heading or anchor of %s", l.line, l.target, path)
		}
	}
}

// TestReadmeQuickstart: a newcomer's first screen holds the quickstart, its
// two commands and a sample of the demo's summary, before line 80.
func TestReadmeQuickstart(t *testing.T) {
	_, md := readme(t)
	lines := strings.Split(md, "\n")
	first := strings.Join(lines[:min(80, len(lines))], "\n")
	for _, want := range []string{"## Quickstart", "make demo ", "make test ", "══ summary", "  lost                    0"} {
		if !strings.Contains(first, want) {
			t.Errorf("README.md's first 80 lines lack %q", want)
		}
	}
}

// readme returns the module root and its README.md.
func readme(t *testing.T) (root, md string) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return root, string(b)
}

// command is a command the README shows, and the line it starts on.
type command struct {
	text string
	line int
}

// inlineCommand is an inline code span that is a command: make or go run,
// after any VAR=value.
var inlineCommand = regexp.MustCompile(`^([A-Z_]+=\S+ )*(make|go run)( |$)`)

// codeSpan is an inline code span.
var codeSpan = regexp.MustCompile("`([^`]+)`")

// commands returns, each once and in order, every command of md's sh
// blocks (a line ending in a backslash goes on on the next; comments and
// blank lines are dropped) and every inline code span, wrapped over lines
// or not, that is a make or go run command.
func commands(md string) []command {
	var out []command
	seen := map[string]bool{}
	add := func(text string, line int) {
		text = strings.TrimSpace(text)
		if text != "" && !seen[text] {
			seen[text] = true
			out = append(out, command{text, line})
		}
	}
	var para []string
	paraLine := 0
	flush := func() {
		text := strings.Join(para, "\n")
		for _, m := range codeSpan.FindAllStringSubmatchIndex(text, -1) {
			span := strings.ReplaceAll(text[m[2]:m[3]], "\n", " ")
			if inlineCommand.MatchString(span) {
				add(span, paraLine+strings.Count(text[:m[0]], "\n"))
			}
		}
		para = nil
	}
	fence, sh := false, false
	pending, pendingLine := "", 0
	for i, raw := range strings.Split(md, "\n") {
		line := strings.TrimSpace(raw)
		if strings.HasPrefix(line, "```") {
			if !fence {
				flush()
				info := strings.TrimPrefix(line, "```")
				sh = info == "sh" || info == "bash" || info == "shell"
			}
			fence = !fence
			continue
		}
		if fence {
			if !sh {
				continue
			}
			text := stripComment(line)
			if pending == "" {
				pendingLine = i + 1
			}
			if cont, ok := strings.CutSuffix(text, `\`); ok {
				pending += cont
				continue
			}
			add(pending+text, pendingLine)
			pending = ""
			continue
		}
		if line == "" {
			flush()
			continue
		}
		if para == nil {
			paraLine = i + 1
		}
		para = append(para, line)
	}
	flush()
	return out
}

// stripComment drops a shell comment: a # at the start of a word, outside
// quotes, and what follows it.
func stripComment(line string) string {
	var quote rune
	prev := ' '
	for i, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && unicode.IsSpace(prev):
			return strings.TrimSpace(line[:i])
		}
		prev = r
	}
	return strings.TrimSpace(line)
}

// link is a Markdown link's target and its line.
type link struct {
	target string
	line   int
}

var linkTarget = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// links returns the targets of md's links and images, outside code.
func links(md string) []link {
	var out []link
	fence := false
	for i, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fence = !fence
			continue
		}
		if fence {
			continue
		}
		line = codeSpan.ReplaceAllString(line, "")
		for _, m := range linkTarget.FindAllStringSubmatch(line, -1) {
			out = append(out, link{m[1], i + 1})
		}
	}
	return out
}

var (
	anchorTag = regexp.MustCompile(`<a (?:id|name)="([^"]+)"`)
	heading   = regexp.MustCompile(`^#{1,6} (.*)$`)
)

// anchors returns the fragments that reach a place in md: its headings'
// slugs, as GitHub makes them (a repeated one gets -1, -2, ...), and the
// ids of its <a> tags.
func anchors(md string) map[string]bool {
	out := map[string]bool{}
	fence := false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fence = !fence
			continue
		}
		if fence {
			continue
		}
		for _, m := range anchorTag.FindAllStringSubmatch(line, -1) {
			out[m[1]] = true
		}
		h := heading.FindStringSubmatch(line)
		if h == nil {
			continue
		}
		s := slug(h[1])
		for n, base := 1, s; out[s]; n++ {
			s = base + "-" + strconv.Itoa(n)
		}
		out[s] = true
	}
	return out
}

// slug is GitHub's anchor of a heading: lower case, each space a '-',
// punctuation but '-' and '_' dropped.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestCommands(t *testing.T) {
	md := "# T\n\nRun `make events` or\n`go run ./x\n-h`, not `make-believe` or `go build`.\n\n" +
		"```sh\nmake a   # a comment\nA=1 make b \\\n    C=\"x # y\"\n\n# only a comment\nmake a\n```\n" +
		"```\nmake plain\n```\n  ```sh\n  aws s3 ls 'a#b'\n  ```\n"
	var got []string
	for _, c := range commands(md) {
		got = append(got, c.text)
	}
	want := []string{"make events", "go run ./x -h", "make a", `A=1 make b C="x # y"`, "aws s3 ls 'a#b'"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("commands = %q; want %q", got, want)
	}
}

func TestSlug(t *testing.T) {
	for heading, want := range map[string]string{
		"The local demo: `make demo`":        "the-local-demo-make-demo",
		"The function's contract":            "the-functions-contract",
		"Reliability (RELIABILITY)":          "reliability-reliability",
		"Benchmark: riding out S3 SlowDown":  "benchmark-riding-out-s3-slowdown",
		"One event, locally: `make invoke`":  "one-event-locally-make-invoke",
		"snake_case and hyphen-ated, 3 × 2 ": "snake_case-and-hyphen-ated-3--2",
	} {
		if got := slug(heading); got != want {
			t.Errorf("slug(%q) = %q; want %q", heading, got, want)
		}
	}
}

func TestAnchors(t *testing.T) {
	a := anchors("# Top\n## Twice\n### Twice\n```\n# not a heading\n```\n<a id=\"here\"></a>text\n#hashtag\n")
	for _, want := range []string{"top", "twice", "twice-1", "here"} {
		if !a[want] {
			t.Errorf("anchors lack %q: %v", want, a)
		}
	}
	for _, not := range []string{"not-a-heading", "hashtag"} {
		if a[not] {
			t.Errorf("anchors hold %q: %v", not, a)
		}
	}
}
