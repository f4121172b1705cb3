package driver

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"pblab/internal/explore/plan"
)

// A progress shows what a running exploration reports: on a terminal, one
// line rewritten in place; elsewhere (logs, CI), a line every
// progressEvery.
type progress struct {
	w        io.Writer
	part     string
	budget   time.Duration
	quiet    bool
	terminal bool
	last     time.Time
	shown    bool
}

// progressEvery is how often a progress line is printed when the output is
// not a terminal.
const progressEvery = 10 * time.Second

func newProgress(w io.Writer, part string, budget time.Duration, quiet bool) *progress {
	f, ok := w.(*os.File)
	terminal := false
	if ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			terminal = true
		}
	}
	return &progress{w: w, part: part, budget: budget, quiet: quiet, terminal: terminal, last: time.Now()}
}

func (p *progress) show(pr plan.Progress) {
	if p.quiet {
		return
	}
	if !p.terminal && time.Since(p.last) < progressEvery {
		return
	}
	p.last = time.Now()
	elapsed := time.Duration(pr.Elapsed)
	what := "scenarios"
	if p.part == "A" {
		what = "states"
	}
	rate := float64(pr.Scenarios) / max(elapsed.Seconds(), 1e-9)
	line := fmt.Sprintf("explore: part %s: %d %s, %.1f/s", p.part, pr.Scenarios, what, rate)
	if pr.Phase != "" {
		line += ", " + pr.Phase
	}
	if left := p.budget - elapsed; left > 0 && pr.Phase != "shrinking" {
		line += fmt.Sprintf(", %s left", left.Round(time.Second))
	}
	if p.terminal {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.shown = true
		return
	}
	fmt.Fprintln(p.w, line)
}

// done ends the progress line on a terminal.
func (p *progress) done() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// Report prints what an exploration found, ending with its last line.
func Report(w io.Writer, out *Outcome) {
	v := out.Violation
	if v == nil {
		fmt.Fprintf(w, "explore: %d scenarios in %.1fs, no violation\n", out.Scenarios, out.Elapsed.Seconds())
		return
	}
	fmt.Fprintf(w, "\nPart %s breaks a rule: %s\n  %s\n", out.Part, v.Kind, v.What)
	if v.Doc != "" {
		fmt.Fprintf(w, "  see: %s\n", v.Doc)
	}
	for _, d := range v.Details {
		fmt.Fprintf(w, "  %s\n", strings.ReplaceAll(d, "\n", "\n  "))
	}
	if v.Found > 0 {
		fmt.Fprintf(w, "  found after %s\n", time.Duration(v.Found).Round(time.Millisecond))
	}
	fmt.Fprintf(w, "  the counterexample broke the rule in %d of %d runs\n", v.Failures, v.Tries)
	kinds := make([]string, 0, len(v.Artifacts))
	for kind := range v.Artifacts {
		kinds = append(kinds, kind)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		fmt.Fprintf(w, "  %s: %s\n", kind, relative(v.Artifacts[kind]))
	}
	fmt.Fprintf(w, "explore: VIOLATION %s: %s; shrunk from %d to %d events; replay: %s\n",
		v.Kind, v.What, v.Original, v.Events, out.Command)
}

// writeCounterexample writes the replay file and the Go test of out's
// violation into o.Out, and lists them among its artifacts.
func (o *Options) writeCounterexample(out *Outcome) error {
	v := out.Violation
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	replayPath := filepath.Join(o.Out, "replay.json")
	if err := plan.WriteReplay(replayPath, &v.Replay); err != nil {
		return err
	}
	test, err := goTest(out.Part, v)
	if err != nil {
		return err
	}
	testPath := filepath.Join(o.Out, "test.go.txt")
	if err := os.WriteFile(testPath, []byte(test), 0o644); err != nil {
		return err
	}
	if v.Artifacts == nil {
		v.Artifacts = map[string]string{}
	}
	v.Artifacts["replay file"] = replayPath
	v.Artifacts["Go test"] = testPath
	return nil
}

// goTest writes the Go test that replays v, for a student to paste into a
// test file of the part's package.
func goTest(part string, v *plan.Violation) (string, error) {
	var call string
	switch part {
	case "A":
		call = fmt.Sprintf("checkViewEvents(t, %q)", v.Replay.Events)
	default:
		data, err := json.Marshal(v.Replay.Scenario)
		if err != nil {
			return "", err
		}
		call = fmt.Sprintf("replayExplored(t, `%s`)", data)
	}
	pkg := partPackage[part].pkg
	return fmt.Sprintf(`// TestExploreCounterexample replays what go run ./grading explore found:
//
//	%s: %s
//
// Paste it into a test file of your own in %s (say %s/found_test.go, which
// starts with "package %s" and imports "testing"). It fails until the bug
// is fixed. See docs/explore.md.
func TestExploreCounterexample(t *testing.T) {
	%s
}
`, v.Kind, v.What, pkg, pkg, pkg, call), nil
}
