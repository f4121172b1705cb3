package grader

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"pblab/internal/rubric"
)

// PrintTable writes the grading table, the failures, the notes on the
// submission and the total to w.
func (r *Report) PrintTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PART\tTEST\tPASSES\tTIME\tPOINTS\t")
	for _, t := range r.Results {
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%s\t%d/%d\t%s\n", t.Test.Part, t.Test.Name, t.Passes, len(t.Runs),
			meanTime(t), t.Score, t.Test.Points, shortVerdict(t))
	}
	tw.Flush()

	var failed []*TestResult
	for _, t := range r.Results {
		if t.Score < t.Test.Points {
			failed = append(failed, t)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "\nWhat went wrong:\n")
		for _, t := range failed {
			fmt.Fprintf(w, "\n%s (Part %s, %s, %s): %s\n", t.Test.Name, t.Test.Part, t.Test.Package, points(t.Test.Points), indent(t.Verdict, "  "))
			if t.Test.Doc != "" {
				fmt.Fprintf(w, "  docs: %s\n", t.Test.Doc)
			}
			if t.LogPath != "" {
				fmt.Fprintf(w, "  log:  %s\n", t.LogPath)
			}
		}
	}
	if len(r.Notes) > 0 {
		fmt.Fprintf(w, "\nNotes on the submission:\n")
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
	if r.Unsandboxed != "" {
		fmt.Fprintf(w, "\nNot sandboxed (%s): the tests ran with their limits, but the tree was not read-only to them.\n", r.Unsandboxed)
	}
	fmt.Fprintln(w)
	for _, part := range partsOf(r) {
		got, of := 0, 0
		for _, t := range r.Results {
			if t.Test.Part == part {
				got += t.Score
				of += t.Test.Points
			}
		}
		fmt.Fprintf(w, "%s: %d/%d\n", partName(part), got, of)
	}
	fmt.Fprintf(w, "Total: %d/%d  (graded in %s)\n", r.Score, r.Max, r.Elapsed.Round(100*time.Millisecond))
	if r.ResultsDir != "" {
		fmt.Fprintf(w, "Logs of the failing runs: %s\n", r.ResultsDir)
	}
}

func shortVerdict(t *TestResult) string {
	if t.Score == t.Test.Points && t.Kind == Passed {
		if t.Froze() {
			return "passed (on the wall clock: the virtual clock froze)"
		}
		return "passed"
	}
	if t.Kind == Passed && t.Passes < len(t.Runs) {
		return "flaky"
	}
	return firstLine(t.Verdict)
}

func meanTime(t *TestResult) string {
	if len(t.Runs) == 0 || t.Elapsed == 0 {
		return "-"
	}
	return seconds(t.Elapsed / time.Duration(len(t.Runs)))
}

func indent(s, prefix string) string {
	return strings.ReplaceAll(s, "\n", "\n"+prefix)
}

func partsOf(r *Report) []string {
	var parts []string
	for _, t := range r.Results {
		if len(parts) == 0 || parts[len(parts)-1] != t.Test.Part {
			parts = append(parts, t.Test.Part)
		}
	}
	return parts
}

func partName(p string) string {
	if n, ok := rubric.PartName(p); ok {
		return n
	}
	return "Part " + p
}

func points(n int) string {
	if n == 1 {
		return "1 point"
	}
	return fmt.Sprintf("%d points", n)
}
