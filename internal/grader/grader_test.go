package grader

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/rubric"
)

// TestEngineVerdicts grades testdata/enginemod, a module with one test per
// way a run can end, and checks each verdict.
func TestEngineVerdicts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a test binary under -race")
	}
	root, err := filepath.Abs("testdata/enginemod")
	require.NoError(t, err)
	cases := []struct {
		name   string
		kind   Kind
		prefix string // the verdict starts with it
		has    string // the verdict contains it
	}{
		{"TestPass", Passed, "passed", ""},
		{"TestFailPlain", Failed, "failed:", "the ack rule: view 2 came before"},
		{"TestFailTestify", Failed, "failed:", "the first primary: view 1 names"},
		{"TestPanicGoroutine", Panicked, "panicked: assignment to entry in nil map", "cases_test.go"},
		{"TestExit", Exited, "called os.Exit(3)", ""},
		{"TestExit0", Exited, "called os.Exit(0)", ""},
		{"TestHang", TimedOut, "timed out after 3s (no progress?)", ""},
		{"TestFlood", Flooded, "output flooded (truncated at 1 MB)", ""},
		{"TestStall", Passed, StallVerdict + "passed", ""},
		{"TestStallFails", Failed, StallVerdict + "failed:", "the output rule"},
		{"TestRace", Failed, "failed: data race detected", "TestRace"},
		{"TestLeak", Leaked, "goroutines left behind", "TestLeak.func1"},
		{"TestNoSuchTest", Missing, "missing:", ""},
	}
	var tests []rubric.Test
	for _, c := range cases {
		tests = append(tests, rubric.Test{Part: "A", Package: "cases", Name: c.name, Points: 1})
	}
	results := t.TempDir()
	start := time.Now()
	report, err := Grade(context.Background(), Options{
		Root: root, Tests: tests, N: 1, P: 2, Race: true,
		Timeout: 3 * time.Second, WallTimeout: 3 * time.Second,
		MaxOutput: 1 << 20, ResultsDir: results,
	})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 90*time.Second, "grading must stay within its bounds")
	require.Len(t, report.Results, len(cases))
	for i, c := range cases {
		r := report.Results[i]
		assert.Equal(t, c.kind, r.Kind, "%s: kind (verdict %q)", c.name, r.Verdict)
		assert.True(t, strings.HasPrefix(r.Verdict, c.prefix), "%s: verdict %q should start with %q", c.name, r.Verdict, c.prefix)
		assert.Contains(t, r.Verdict, c.has, "%s: verdict", c.name)
		if c.kind == Passed {
			assert.Equal(t, 1, r.Score, "%s earns its point", c.name)
			continue
		}
		assert.Zero(t, r.Score, "%s earns nothing", c.name)
		if c.kind != Missing {
			require.NotEmpty(t, r.LogPath, "%s: a failing run keeps its log", c.name)
			log, err := os.ReadFile(r.LogPath)
			require.NoError(t, err)
			assert.Contains(t, string(log), "verdict:  "+r.VerdictLine(), "%s: the log starts with the verdict", c.name)
			assert.LessOrEqual(t, len(log), 1<<20+4096, "%s: the log is capped", c.name)
		}
	}
	assert.Equal(t, 2, report.Score)

	// The table names every test and the total.
	var table bytes.Buffer
	report.PrintTable(&table)
	for _, c := range cases {
		assert.Contains(t, table.String(), c.name)
	}
	assert.Contains(t, table.String(), "Total: 2/13")
	assert.Contains(t, table.String(), "Logs of the failing runs: "+results)

	// results.json is valid and follows Gradescope's format.
	path := filepath.Join(t.TempDir(), "results.json")
	require.NoError(t, WriteJSON(path, Gradescope(report, tests, nil)))
	checkGradescopeJSON(t, path, len(cases), 2)
}

// checkGradescopeJSON checks that path holds a valid results.json with n
// tests and the given score.
func checkGradescopeJSON(t *testing.T, path string, n, score int) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var res map[string]any
	require.NoError(t, json.Unmarshal(data, &res), "results.json must be valid JSON")
	assert.EqualValues(t, score, res["score"])
	assert.Contains(t, res, "execution_time")
	tests, ok := res["tests"].([]any)
	require.True(t, ok, "tests is a list")
	require.Len(t, tests, n)
	sum := 0.0
	for _, x := range tests {
		tt := x.(map[string]any)
		for _, k := range []string{"name", "score", "max_score", "status", "output", "visibility"} {
			assert.Contains(t, tt, k)
		}
		assert.Contains(t, []any{"passed", "failed"}, tt["status"])
		sum += tt["score"].(float64)
		if tt["status"] == "passed" {
			assert.Equal(t, tt["max_score"], tt["score"])
		}
	}
	assert.EqualValues(t, score, sum, "score is the sum of the tests' scores")
	return res
}

func TestGradescopeWhenGradingFails(t *testing.T) {
	tests := []rubric.Test{{Part: "A", Package: "viewservice", Name: "TestX", Points: 5}, {Part: "B", Package: "pbservice", Name: "TestY", Points: 7}}
	path := filepath.Join(t.TempDir(), "results.json")
	require.NoError(t, WriteJSON(path, Gradescope(nil, tests, assert.AnError)))
	res := checkGradescopeJSON(t, path, 2, 0)
	assert.Contains(t, res["output"], "Grading could not finish")
}

func TestDurationString(t *testing.T) {
	for d, want := range map[time.Duration]string{
		2 * time.Minute: "2m", 90 * time.Second: "1m30s", 3 * time.Second: "3s", time.Hour: "1h", 500 * time.Millisecond: "500ms",
	} {
		assert.Equal(t, want, durationString(d))
	}
}

func TestFirstMessageTestify(t *testing.T) {
	out := strings.Join([]string{
		"=== RUN   TestAtMostOnce",
		"    helpers_test.go:249: 00:00:01.000 at-most-once Append; unreliable",
		"    pbservice_test.go:198: ",
		"        \tError Trace:\t/work/main/pbservice/pbservice_test.go:198",
		"        \t            \t\t\t\t/work/main/internal/labtest/labtest.go:173",
		"        \tError:      \tNot equal: ",
		"        \t            \texpected: \"s1\"",
		"        \t            \tactual  : \"\"",
		"        \t            \t",
		"        \t            \tDiff:",
		"        \tTest:       \tTestAtMostOnce",
		"        \tMessages:   \tthe only server is not primary: {Viewnum:0 Primary: Backup:}",
		"        \t            \t  rule: servers ping the view service from a ticker",
		"        \t            \t  see: the guide, step 1",
		"    seed: 4295503476575950399",
		"--- FAIL: TestAtMostOnce (0.12s)",
	}, "\n")
	got := firstMessage(out, "TestAtMostOnce")
	assert.Equal(t, "\n  the only server is not primary: {Viewnum:0 Primary: Backup:}\n  rule: servers ping the view service from a ticker\n"+
		"  see: the guide, step 1\n  Not equal:\n  expected: \"s1\"\n  actual  : \"\"", got)
}

// A recorder is a Progress that keeps the events it is told, in order.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf(format, args...))
}

func (r *recorder) Building(pkgs []string) { r.add("building %s", strings.Join(pkgs, ",")) }
func (r *recorder) Start(runs int)         { r.add("start %d", runs) }
func (r *recorder) Begin(test string)      { r.add("begin %s", test) }
func (r *recorder) Done(test rubric.Test, iter int, res *RunResult) {
	r.add("done %s run %d: %s", test.Name, iter, res.Kind)
}
func (r *recorder) Skipped(test string) { r.add("skipped %s", test) }
func (r *recorder) Finish()             { r.add("finish") }

// TestGradeStopsAfterCostlyFailure grades a test that floods its output
// three times: the first run is stopped at the cap, and the other two are
// not made, since each would cost as much for the same verdict. Progress
// hears of every run, made or skipped.
func TestGradeStopsAfterCostlyFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a test binary")
	}
	root, err := filepath.Abs("testdata/enginemod")
	require.NoError(t, err)
	rec := &recorder{}
	tests := []rubric.Test{{Part: "A", Package: "cases", Name: "TestFlood", Points: 1}}
	report, err := Grade(context.Background(), Options{
		Root: root, Tests: tests, N: 3, P: 1,
		Timeout: 30 * time.Second, WallTimeout: 30 * time.Second, MaxOutput: 1 << 20,
		Progress: rec,
	})
	require.NoError(t, err)
	require.Len(t, report.Results, 1)
	r := report.Results[0]
	assert.Len(t, r.Runs, 1, "a flooded run stops the test's later runs")
	assert.Equal(t, Flooded, r.Kind, "the verdict is the flooded run's; verdict %q", r.Verdict)
	assert.Equal(t, []string{
		"building cases", "start 3",
		"begin TestFlood", "done TestFlood run 1: output flooded",
		"skipped TestFlood", "skipped TestFlood",
		"finish",
	}, rec.events, "progress hears of each run, in order")
}

// TestSummarize checks how a test's runs add up to its verdict and score.
func TestSummarize(t *testing.T) {
	pass := &RunResult{Kind: Passed, Verdict: "passed", Elapsed: time.Second}
	fail := func(verdict, log string) *RunResult {
		return &RunResult{Kind: Failed, Verdict: verdict, Elapsed: 2 * time.Second, LogPath: log}
	}
	wallPass := &RunResult{Kind: Passed, Verdict: StallVerdict + "passed", Elapsed: 3 * time.Second,
		Frozen: &RunResult{Kind: Stalled, Verdict: "virtual clock froze"}}
	cases := []struct {
		name    string
		runs    []*RunResult
		kind    Kind
		verdict string
		passes  int
		score   int // of 5 points
		log     string
	}{
		{"every run passed", []*RunResult{pass, pass}, Passed, "passed", 2, 5, ""},
		{"one run failed: no points", []*RunResult{pass, fail("failed: x", "x.log")}, Failed, "failed: x", 1, 0, "x.log"},
		{"the first failing run decides", []*RunResult{fail("failed: x", "x.log"), fail("failed: y", "y.log")}, Failed, "failed: x", 0, 0, "x.log"},
		{"passed on the wall clock says so", []*RunResult{pass, wallPass}, Passed, StallVerdict + "passed", 2, 5, ""},
		{"never ran", nil, Failed, "not run", 0, 0, ""},
	}
	var results []*TestResult
	for _, c := range cases {
		results = append(results, &TestResult{Test: rubric.Test{Name: c.name, Points: 5}, Runs: c.runs})
	}
	report := summarize(results, "logs")
	for i, c := range cases {
		r := report.Results[i]
		assert.Equal(t, c.kind, r.Kind, "%s: kind", c.name)
		assert.Equal(t, c.verdict, r.Verdict, "%s: verdict", c.name)
		assert.Equal(t, c.passes, r.Passes, "%s: passes", c.name)
		assert.Equal(t, c.score, r.Score, "%s: a test scores its points only if every run passed", c.name)
		assert.Equal(t, c.log, r.LogPath, "%s: the log is the first failing run's", c.name)
	}
	assert.Equal(t, 3*time.Second, report.Results[1].Elapsed, "a test's time is the sum of its runs'")
	assert.True(t, report.Results[3].Froze(), "a run decided on the wall clock is remembered")
	assert.Equal(t, 10, report.Score, "the report's score is the sum of the tests'")
	assert.Equal(t, 25, report.Max, "the report's maximum is the sum of the tests' points")
	assert.Equal(t, "logs", report.ResultsDir, "a kept log makes the report name its folder")
	assert.Empty(t, summarize([]*TestResult{{Runs: []*RunResult{pass}}}, "logs").ResultsDir,
		"with no log kept, the report names no folder")
}

func TestSelect(t *testing.T) {
	all, err := Select("", "")
	require.NoError(t, err)
	assert.Equal(t, rubric.Tests(), all, "no -part and no -run select every graded test, in the rubric's order")

	partA, err := Select("A", "")
	require.NoError(t, err)
	for _, test := range partA {
		assert.Equal(t, "A", test.Part, "-part A selects Part A's tests only")
	}
	one, err := Select("", "^TestViewFirstPrimary$")
	require.NoError(t, err)
	assert.Len(t, one, 1, "-run selects by name")

	for _, c := range []struct{ part, run, want string }{
		{"C", "", `-part "C": the parts are A and B`},
		{"", "(", "-run: "},
		{"A", "^TestPartition1$", `no graded test matches -part "A" -run "^TestPartition1$"`},
	} {
		_, err := Select(c.part, c.run)
		if assert.Error(t, err, "-part %q -run %q", c.part, c.run) {
			assert.Contains(t, err.Error(), c.want, "the error names the flag that is wrong")
		}
	}
}

// TestLineProgress checks the progress lines written for logs and CI.
func TestLineProgress(t *testing.T) {
	var out bytes.Buffer
	p := NewProgress(&out)
	test := rubric.Test{Name: "TestViewFirstPrimary"}
	p.Building([]string{"viewservice", "pbservice"})
	p.Start(3)
	p.Begin(test.Name)
	p.Done(test, 1, &RunResult{Kind: Passed, Verdict: "passed", Elapsed: 1200 * time.Millisecond})
	p.Skipped(test.Name)
	p.Done(test, 3, &RunResult{Kind: Failed, Verdict: StallVerdict + "failed:\n  the rule", Elapsed: 2 * time.Second,
		Frozen: &RunResult{Kind: Stalled}})
	p.Finish()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Len(t, lines, 4, "a line for the build, the start and each run made:\n%s", out.String())
	assert.Equal(t, "building the tests of viewservice, pbservice", lines[0])
	assert.Equal(t, "running 3 test runs", lines[1])
	assert.Regexp(t, `^\[1/3\] ok   TestViewFirstPrimary +1\.2s$`, lines[2], "a passing run")
	assert.Regexp(t, `^\[3/3\] FAIL TestViewFirstPrimary +2\.0s  \(virtual clock froze; re-ran on the wall clock\)  virtual clock froze .*failed$`,
		lines[3], "a failing run counts the skipped one, and gives its verdict's first line")
}
