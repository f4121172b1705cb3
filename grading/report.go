package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"pblab/internal/rubric"
)

// printTable writes the grading table, the failures and the total.
func printTable(w io.Writer, r *gradeReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PART\tTEST\tPASSES\tTIME\tPOINTS\t")
	for _, t := range r.results {
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%s\t%d/%d\t%s\n", t.test.Part, t.test.Name, t.passes, len(t.runs),
			meanTime(t), t.score, t.test.Points, shortVerdict(t))
	}
	tw.Flush()

	var failed []*testResult
	for _, t := range r.results {
		if t.score < t.test.Points {
			failed = append(failed, t)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "\nWhat went wrong:\n")
		for _, t := range failed {
			fmt.Fprintf(w, "\n%s (Part %s, %s, %s): %s\n", t.test.Name, t.test.Part, t.test.Package, points(t.test.Points), indent(t.verdict, "  "))
			if t.test.Doc != "" {
				fmt.Fprintf(w, "  docs: %s\n", t.test.Doc)
			}
			if t.logPath != "" {
				fmt.Fprintf(w, "  log:  %s\n", t.logPath)
			}
		}
	}
	if len(r.notes) > 0 {
		fmt.Fprintf(w, "\nNotes on the submission:\n")
		for _, n := range r.notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
	fmt.Fprintln(w)
	for _, part := range partsOf(r) {
		got, of := 0, 0
		for _, t := range r.results {
			if t.test.Part == part {
				got += t.score
				of += t.test.Points
			}
		}
		fmt.Fprintf(w, "%s: %d/%d\n", partName(part), got, of)
	}
	fmt.Fprintf(w, "Total: %d/%d  (graded in %s)\n", r.score, r.max, r.elapsed.Round(100*time.Millisecond))
	if r.resultsDir != "" {
		fmt.Fprintf(w, "Logs of the failing runs: %s\n", r.resultsDir)
	}
}

func shortVerdict(t *testResult) string {
	if t.score == t.test.Points && t.kind == kindPassed {
		if stalled(t) {
			return "passed (on the wall clock: the virtual clock froze)"
		}
		return "passed"
	}
	if t.kind == kindPassed && t.passes < len(t.runs) {
		return "flaky"
	}
	return firstLine(t.verdict)
}

func stalled(t *testResult) bool {
	for _, r := range t.runs {
		if r.stalled != nil {
			return true
		}
	}
	return false
}

func meanTime(t *testResult) string {
	if len(t.runs) == 0 || t.elapsed == 0 {
		return "-"
	}
	return seconds(t.elapsed / time.Duration(len(t.runs)))
}

func indent(s, prefix string) string {
	return strings.ReplaceAll(s, "\n", "\n"+prefix)
}

func partsOf(r *gradeReport) []string {
	var parts []string
	for _, t := range r.results {
		if len(parts) == 0 || parts[len(parts)-1] != t.test.Part {
			parts = append(parts, t.test.Part)
		}
	}
	return parts
}

func partName(p string) string {
	if n, ok := rubric.Parts[p]; ok {
		return n
	}
	return "Part " + p
}

// Gradescope's results.json (https://gradescope-autograders.readthedocs.io/en/latest/specs/).
type gsResults struct {
	Score            int      `json:"score"`
	ExecutionTime    float64  `json:"execution_time"`
	Output           string   `json:"output,omitempty"`
	StdoutVisibility string   `json:"stdout_visibility"`
	Tests            []gsTest `json:"tests"`
}

type gsTest struct {
	Name       string `json:"name"`
	Number     string `json:"number,omitempty"`
	Score      int    `json:"score"`
	MaxScore   int    `json:"max_score"`
	Status     string `json:"status"`
	Output     string `json:"output,omitempty"`
	Visibility string `json:"visibility"`
}

// gsOutputLimit caps the output of one test in results.json.
const gsOutputLimit = 16 << 10

// gradescopeResults converts a report (nil if grading could not run at all,
// with err saying why) to Gradescope's format. Every graded test is listed,
// with 0 points when it could not run.
func gradescopeResults(r *gradeReport, tests []rubric.Test, err error) gsResults {
	var res gsResults
	res.StdoutVisibility = "hidden"
	byName := map[string]*testResult{}
	if r != nil {
		for _, t := range r.results {
			byName[t.test.Name] = t
		}
		res.ExecutionTime = r.elapsed.Seconds()
	}
	number := map[string]int{}
	for _, t := range tests {
		number[t.Part]++
		gt := gsTest{
			Name:       fmt.Sprintf("Part %s: %s (%s)", t.Part, t.Name, t.Package),
			Number:     fmt.Sprintf("%s.%d", t.Part, number[t.Part]),
			MaxScore:   t.Points,
			Status:     "failed",
			Visibility: "visible",
		}
		tr := byName[t.Name]
		switch {
		case tr == nil && err != nil:
			gt.Output = "not graded: " + err.Error()
		case tr == nil:
			gt.Output = "not graded"
		default:
			gt.Score = tr.score
			if tr.score == t.Points {
				gt.Status = "passed"
			}
			gt.Output = testOutput(tr)
		}
		res.Tests = append(res.Tests, gt)
		res.Score += gt.Score
	}
	var out strings.Builder
	if err != nil {
		fmt.Fprintf(&out, "Grading could not finish: %v\n", err)
	}
	if r != nil {
		for _, n := range r.notes {
			fmt.Fprintln(&out, n)
		}
	}
	res.Output = out.String()
	return res
}

// testOutput is what a student sees for one test on Gradescope.
func testOutput(t *testResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\npasses: %d/%d, mean time %s\n", t.verdict, t.passes, len(t.runs), meanTime(t))
	if t.test.Doc != "" {
		fmt.Fprintf(&b, "docs: %s\n", t.test.Doc)
	}
	if t.kind != kindPassed {
		for _, r := range t.runs {
			if !r.passed() && len(r.output) > 0 {
				out := string(cleanOutput(r.output))
				if len(out) > gsOutputLimit {
					out = out[:gsOutputLimit] + "\n... (output truncated)\n"
				}
				fmt.Fprintf(&b, "\n--- output of the first failing run ---\n%s", out)
				break
			}
		}
	}
	return b.String()
}

// writeJSON writes v to path in one go (a temporary file renamed into
// place), so that a reader never sees half a file.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func points(n int) string {
	if n == 1 {
		return "1 point"
	}
	return fmt.Sprintf("%d points", n)
}
