package grader

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"pblab/internal/rubric"
)

// GradescopeResults is Gradescope's results.json
// (https://gradescope-autograders.readthedocs.io/en/latest/specs/).
type GradescopeResults struct {
	Score            int              `json:"score"`
	ExecutionTime    float64          `json:"execution_time"`
	Output           string           `json:"output,omitempty"`
	StdoutVisibility string           `json:"stdout_visibility"`
	Tests            []GradescopeTest `json:"tests"`
}

// A GradescopeTest is one test of results.json.
type GradescopeTest struct {
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

// Gradescope converts a report (nil if grading could not run at all, with
// err saying why) to Gradescope's format. Every test of tests is listed,
// with 0 points when it could not run.
func Gradescope(r *Report, tests []rubric.Test, err error) GradescopeResults {
	var res GradescopeResults
	res.StdoutVisibility = "hidden"
	byName := map[string]*TestResult{}
	if r != nil {
		for _, t := range r.Results {
			byName[t.Test.Name] = t
		}
		res.ExecutionTime = r.Elapsed.Seconds()
	}
	number := map[string]int{}
	for _, t := range tests {
		number[t.Part]++
		gt := GradescopeTest{
			Name:       GradescopeName(t),
			Number:     fmt.Sprintf("%s.%d", t.Part, number[t.Part]),
			MaxScore:   t.Points,
			Status:     "failed",
			Visibility: visibility(t),
		}
		tr := byName[t.Name]
		switch {
		case tr == nil && err != nil:
			gt.Output = "not graded: " + err.Error()
		case tr == nil:
			gt.Output = "not graded"
		default:
			gt.Score = tr.Score
			if tr.Score == t.Points {
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
		for _, n := range r.Notes {
			fmt.Fprintln(&out, n)
		}
	}
	res.Output = out.String()
	return res
}

// GradescopeName is the name of the test in results.json, such as
// "Part A: TestViewFirstPrimary (viewservice)".
func GradescopeName(t rubric.Test) string {
	return fmt.Sprintf("Part %s: %s (%s)", t.Part, t.Name, t.Package)
}

// visibility is when students see the test's result on Gradescope:
// always, unless the rubric hides it.
func visibility(t rubric.Test) string {
	if t.Hidden != "" {
		return string(t.Hidden)
	}
	return "visible"
}

// testOutput is what a student sees for one test on Gradescope.
func testOutput(t *TestResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\npasses: %d/%d, mean time %s\n", t.Verdict, t.Passes, len(t.Runs), meanTime(t))
	if t.Test.Doc != "" {
		fmt.Fprintf(&b, "docs: %s\n", t.Test.Doc)
	}
	if t.Kind != Passed {
		for _, r := range t.Runs {
			if !r.Passed() && len(r.Output) > 0 {
				out := string(cleanOutput(r.Output))
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

// WriteJSON writes v to path in one go (a temporary file renamed into
// place), so that a reader never sees half a file.
func WriteJSON(path string, v any) error {
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
