package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// demoFlags is every flag the demo takes, sorted.
func demoFlags() []string {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	cfg := defaultConfig()
	cfg.registerFlags(fs)
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return names
}

// TestUsage: -h describes the demo, shows how to run it and lists every
// flag, not the temporary binary's name.
func TestUsage(t *testing.T) {
	fs := flag.NewFlagSet("/tmp/go-build123/b001/exe/demo", flag.ContinueOnError)
	var out bytes.Buffer
	fs.SetOutput(&out)
	cfg := defaultConfig()
	cfg.registerFlags(fs)
	fs.Usage = usage(fs)
	if err := fs.Parse([]string{"-h"}); err != flag.ErrHelp {
		t.Fatalf("Parse(-h) = %v; want flag.ErrHelp", err)
	}
	got := out.String()
	for _, want := range []string{"moto", `make demo DEMO_ARGS="[flags]"`, "go run ./pkg/twin/cmd/demo [flags]"} {
		if !strings.Contains(got, want) {
			t.Errorf("usage lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "go-build") {
		t.Errorf("usage names the temporary binary:\n%s", got)
	}
	for _, name := range demoFlags() {
		if !regexp.MustCompile(`(?m)^  -` + regexp.QuoteMeta(name) + `\b`).MatchString(got) {
			t.Errorf("usage lacks flag -%s:\n%s", name, got)
		}
	}
}

// readmeDemoHeading is the heading of README.md's section on the demo:
// its flag table is the one between this heading and the next.
const readmeDemoHeading = "The local demo: `make demo`"

// TestReadmeFlagTable: README's table of the demo's flags lists exactly
// the flags the demo takes.
func TestReadmeFlagTable(t *testing.T) {
	wd, _ := os.Getwd()
	root, err := findRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	inTable, ok := tableFlags(string(b), readmeDemoHeading)
	if !ok {
		t.Fatalf("README.md: no heading %q with a table of flags under it (before the next heading)", readmeDemoHeading)
	}
	flags := demoFlags()
	for _, f := range flags {
		if !slices.Contains(inTable, f) {
			t.Errorf("README.md, flag table under %q: no row for -%s", readmeDemoHeading, f)
		}
	}
	for _, f := range inTable {
		if !slices.Contains(flags, f) {
			t.Errorf("README.md, flag table under %q: -%s is no flag of the demo", readmeDemoHeading, f)
		}
	}
}

// tableFlags returns the flags that the first cells of the table rows
// between the heading titled heading and the next heading name (`-n`,
// "`-rate`, `-burst`", "`-chart FILE`"); ok is false when there is no such
// heading or no flag under it. Lines in code blocks are not headings.
func tableFlags(markdown, heading string) (flags []string, ok bool) {
	in, fenced := false, false
	name := regexp.MustCompile("`-([A-Za-z][A-Za-z0-9-]*)")
	for _, line := range strings.Split(markdown, "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
		}
		if !fenced && strings.HasPrefix(line, "#") {
			if in {
				break
			}
			in = strings.TrimSpace(strings.TrimLeft(line, "#")) == heading
			continue
		}
		if !in || fenced || !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(line, "|")
		for _, m := range name.FindAllStringSubmatch(cells[1], -1) {
			flags = append(flags, m[1])
		}
	}
	return flags, len(flags) > 0
}

func TestTableFlags(t *testing.T) {
	md := "# Top\n| `-x` | |\n## Demo\ntext `-y` here\n```sh\n# not a heading\n```\n" +
		"| flag | default | |\n|---|---|---|\n| `-n` | 300 | messages |\n| `-rate`, `-burst` | 25, 25 | `-rate 0`: off |\n" +
		"| `-chart FILE` | x | |\n### Next\n| `-z` | | |\n"
	got, ok := tableFlags(md, "Demo")
	if want := []string{"n", "rate", "burst", "chart"}; !ok || !slices.Equal(got, want) {
		t.Errorf("tableFlags = %q, %v; want %q, true", got, ok, want)
	}
	if _, ok := tableFlags(md, "Missing"); ok {
		t.Errorf("tableFlags(no such heading) ok; want false")
	}
}
