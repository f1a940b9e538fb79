package invoke

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/s3uploader/s3uploader/pkg/rie"
)

// SamplesDir is the folder of the sample events, relative to the root.
// Its README.md has a table of them, read by ReadSamples.
const SamplesDir = "functions/uploader/events"

// Sample is one row of the sample events' table.
type Sample struct {
	File    string // the event file's name, in SamplesDir
	About   string // what it is
	Command string // the command that invokes it: make invoke EVENT=... [INVOKE_ARGS="..."]
	Outcome string // what the function does with it
}

// ReadSamples reads the table of dir/README.md: the rows that follow the
// header | Event | What it is | Command | Outcome |, each
// | `FILE` | ... | `COMMAND` | ... |. Its error names the row that does
// not parse.
func ReadSamples(dir string) ([]Sample, error) {
	readme := filepath.Join(dir, "README.md")
	b, err := os.ReadFile(readme)
	if err != nil {
		return nil, err
	}
	var out []Sample
	in := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		cells, ok := row(line)
		switch {
		case !ok:
			in = false
		case len(cells) > 0 && cells[0] == "Event":
			in = true
		case !in || strings.Trim(cells[0], "-: ") == "":
		case len(cells) != 4 || !quoted(cells[0]) || !quoted(cells[2]):
			return nil, fmt.Errorf("%s:%d: want | `FILE` | what it is | `COMMAND` | outcome |", readme, n)
		default:
			out = append(out, Sample{File: strings.Trim(cells[0], "`"), About: cells[1], Command: strings.Trim(cells[2], "`"), Outcome: cells[3]})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no table of events (| Event | What it is | Command | Outcome |)", readme)
	}
	return out, nil
}

// row splits a Markdown table row into its trimmed cells.
func row(line string) ([]string, bool) {
	if !strings.HasPrefix(line, "|") || !strings.HasSuffix(line, "|") || len(line) < 2 {
		return nil, false
	}
	cells := strings.Split(line[1:len(line)-1], "|")
	for i, c := range cells {
		cells[i] = strings.TrimSpace(c)
	}
	return cells, true
}

func quoted(s string) bool { return len(s) > 2 && s[0] == '`' && s[len(s)-1] == '`' }

// Args returns the arguments of invoke the sample's command gives: -event
// and the path, then the words of INVOKE_ARGS (split at spaces: the
// commands quote nothing inside it).
func (s Sample) Args() ([]string, error) {
	rest, ok := strings.CutPrefix(s.Command, "make invoke EVENT=")
	if !ok {
		return nil, fmt.Errorf("%s: command %q does not start with make invoke EVENT=", s.File, s.Command)
	}
	event, rest, _ := strings.Cut(rest, " ")
	if path.Base(event) != s.File {
		return nil, fmt.Errorf("%s: command %q invokes %s", s.File, s.Command, event)
	}
	args := []string{"-event", event}
	if rest == "" {
		return args, nil
	}
	inner, ok := strings.CutPrefix(rest, `INVOKE_ARGS="`)
	if !ok || !strings.HasSuffix(inner, `"`) || strings.Count(inner, `"`) != 1 {
		return nil, fmt.Errorf(`%s: command %q: after EVENT= want only INVOKE_ARGS="..."`, s.File, s.Command)
	}
	return append(args, strings.Fields(strings.TrimSuffix(inner, `"`))...), nil
}

// ListSamples writes one line per sample event of root's SamplesDir: the
// file, what it is, the command that invokes it. An empty root is the
// module's root above the current directory.
func ListSamples(w io.Writer, root string) error {
	if root == "" {
		var err error
		if root, err = rie.ModuleRoot("."); err != nil {
			return err
		}
	}
	samples, err := ReadSamples(filepath.Join(root, SamplesDir))
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range samples {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.File, strings.ReplaceAll(s.About, "`", ""), s.Command)
	}
	return tw.Flush()
}
