package grader

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/labenv"
	"pblab/internal/rubric"
)

// casesPackage is the package of testdata/cases, one test per way a run
// can end, from the module's root.
const casesPackage = "internal/grader/testdata/cases"

// moduleRoot returns the root of the pblab module.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := labenv.ModuleRoot(".")
	require.NoError(t, err)
	return root
}

// caseTests returns the graded tests of testdata/cases called names, one
// point each.
func caseTests(names ...string) []rubric.Test {
	var tests []rubric.Test
	for _, name := range names {
		tests = append(tests, rubric.Test{Part: "A", Package: casesPackage, Name: name, Points: 1})
	}
	return tests
}

// TestEngineVerdicts grades testdata/cases, and checks each verdict.
func TestEngineVerdicts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a test binary under -race")
	}
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
		{"TestHang", TimedOut, "timed out after 10s (no progress?)", ""},
		{"TestFlood", Flooded, "output flooded (truncated at 1 MB)", ""},
		{"TestStall", Passed, StallVerdict + "passed", ""},
		{"TestStallFails", Failed, StallVerdict + "failed:", "the output rule"},
		{"TestSelfDeadlock", Panicked, "deadlocked: the virtual clock froze, and the wall clock would not help", "cases_test.go"},
		{"TestRace", Failed, "failed: data race detected", "TestRace"},
		{"TestLeak", Leaked, "goroutines left behind", "TestLeak.func1"},
		{"TestNoHarness", Failed, "failed: no pass was reported", "did not run through labtest.Run"},
		{"TestForgedPassHangs", TimedOut, "timed out after 10s", ""},
		{"TestForgedPassExits", Failed, "failed: no pass was reported", ""},
		{"TestForgedStall", Panicked, "panicked: pblab: STALL: TestForgedStall", ""},
		{"TestMemoryBomb", OverLimit, "over its memory limit", "more than the 512 MB it may"},
		{"TestDumpOverflows", TimedOut, "timed out after 10s", ""},
		{"TestSandbox", Passed, "passed", ""},
		{"TestNoSuchTest", Missing, "missing:", ""},
	}
	var names []string
	for _, c := range cases {
		names = append(names, c.name)
	}
	tests := caseTests(names...)
	results := t.TempDir()
	start := time.Now()
	report, err := Grade(context.Background(), Options{
		Root: moduleRoot(t), Tests: tests, N: 1, P: 2, Race: true,
		Timeout: 10 * time.Second, WallTimeout: 10 * time.Second,
		MaxOutput: 1 << 20, MaxMemory: 512 << 20, ResultsDir: results,
	})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 3*time.Minute, "grading must stay within its bounds")
	require.Len(t, report.Results, len(cases))
	for i, c := range cases {
		r := report.Results[i]
		if c.name == "TestSandbox" && report.Unsandboxed != "" {
			t.Logf("not sandboxed (%s): TestSandbox is not checked", report.Unsandboxed)
			continue
		}
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
	assert.False(t, resultOf(t, report, "TestForgedStall").Froze(),
		"a frozen-clock marker in the output is no frozen clock: the test is not run again on the wall clock")
	if log, err := os.ReadFile(resultOf(t, report, "TestDumpOverflows").LogPath); assert.NoError(t, err) {
		assert.Contains(t, string(log), "panic: test timed out after 10s", "the log keeps the head of the goroutine dump")
	}
	passes := 3
	if report.Unsandboxed != "" {
		passes = 2
	}
	assert.Equal(t, passes, report.Score)

	// The table names every test and the total.
	var table bytes.Buffer
	report.PrintTable(&table)
	for _, c := range cases {
		assert.Contains(t, table.String(), c.name)
	}
	assert.Contains(t, table.String(), fmt.Sprintf("Total: %d/%d", passes, len(cases)))
	assert.Contains(t, table.String(), "Logs of the failing runs: "+results)

	// results.json is valid and follows Gradescope's format.
	path := filepath.Join(t.TempDir(), "results.json")
	require.NoError(t, WriteJSON(path, Gradescope(report, tests, nil)))
	checkGradescopeJSON(t, path, len(cases), passes)
}

// resultOf returns the result of the test called name.
func resultOf(t *testing.T, report *Report, name string) *TestResult {
	t.Helper()
	i := slices.IndexFunc(report.Results, func(r *TestResult) bool { return r.Test.Name == name })
	require.GreaterOrEqual(t, i, 0, "the report has %s", name)
	return report.Results[i]
}

// A package whose initialisation never ends times out in its first run,
// before its test begins, and its other tests are not run: grading it ends
// within one time limit.
func TestInitThatNeverReturns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a test binary")
	}
	tests := []rubric.Test{
		{Part: "A", Package: "internal/grader/testdata/inithang", Name: "TestA", Points: 1},
		{Part: "A", Package: "internal/grader/testdata/inithang", Name: "TestB", Points: 1},
	}
	start := time.Now()
	report, err := Grade(context.Background(), Options{
		Root: moduleRoot(t), Tests: tests, N: 1, P: 1,
		Timeout: 2 * time.Second, WallTimeout: 2 * time.Second, MaxOutput: 1 << 20,
	})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), time.Minute, "grading ends within one time limit and its grace")
	require.Len(t, report.Results, 2)
	assert.Equal(t, TimedOut, report.Results[0].Kind)
	assert.Contains(t, report.Results[0].Verdict, "timed out after 2s before the test began: the package's initialisation never ended")
	assert.Equal(t, TimedOut, report.Results[1].Kind)
	assert.Contains(t, report.Results[1].Verdict, "not run: the test binary of internal/grader/testdata/inithang never reached its tests: in TestA")
	assert.Zero(t, report.Score)
}

// Once a package's first wall-clock re-run of a frozen clock gets stuck
// there too, its other frozen tests are not run again.
func TestStuckPackageNotRerun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a test binary")
	}
	report, err := Grade(context.Background(), Options{
		Root: moduleRoot(t), Tests: caseTests("TestDeadlockA", "TestDeadlockB"), N: 1, P: 2,
		Timeout: 30 * time.Second, WallTimeout: 3 * time.Second, MaxOutput: 1 << 20,
	})
	require.NoError(t, err)
	var rerun, notRerun []string
	for _, r := range report.Results {
		assert.Zero(t, r.Score, "%s: a deadlock earns nothing", r.Test.Name)
		assert.True(t, r.Froze(), "%s: its virtual clock froze", r.Test.Name)
		switch {
		case strings.HasPrefix(r.Verdict, StallVerdict):
			rerun = append(rerun, r.Test.Name)
			assert.Contains(t, r.Verdict, "timed out after 3s", "%s: the re-run on the wall clock runs into its time limit", r.Test.Name)
		case strings.HasPrefix(r.Verdict, NotRerunVerdict):
			notRerun = append(notRerun, r.Test.Name)
			assert.Contains(t, r.Verdict, "of the same package, got stuck on the wall clock too", "%s: the verdict says why", r.Test.Name)
		default:
			t.Errorf("%s: unexpected verdict %q", r.Test.Name, r.Verdict)
		}
	}
	assert.Len(t, rerun, 1, "one test is run again on the wall clock")
	assert.Len(t, notRerun, 1, "the other waits for it, and is not")
}

// When the deadline comes, the run in progress is stopped, the runs not
// made are marked, and the report is still whole.
func TestDeadline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a test binary")
	}
	opts := Options{
		Root: moduleRoot(t), Tests: caseTests("TestPass"), N: 1, P: 1,
		Timeout: time.Minute, WallTimeout: time.Minute, MaxOutput: 1 << 20,
	}
	_, err := Grade(context.Background(), opts) // warms the build cache
	require.NoError(t, err)

	opts.Tests = caseTests("TestHang", "TestPass")
	opts.Deadline = time.Now().Add(20 * time.Second)
	report, err := Grade(context.Background(), opts)
	require.NoError(t, err)
	assert.WithinDuration(t, opts.Deadline, time.Now(), 30*time.Second, "grading ends at its deadline, long before TestHang's time limit")
	require.Len(t, report.Results, 2)
	hang, pass := report.Results[0], report.Results[1]
	assert.Equal(t, OutOfTime, hang.Kind, "verdict %q", hang.Verdict)
	if len(hang.Runs) > 0 && hang.Runs[0].Elapsed > 0 {
		assert.Equal(t, "not finished: out of time (the grading's deadline came)", hang.Verdict, "the run in progress is stopped")
	} else {
		t.Logf("the build took until the deadline: TestHang never started")
	}
	assert.Equal(t, OutOfTime, pass.Kind, "verdict %q", pass.Verdict)
	assert.Equal(t, "not run: out of time (the grading's deadline came)", pass.Verdict, "the run not made says so")
	assert.Zero(t, report.Score)
}

// Where the sandbox cannot be set up (here: a folder to protect that does
// not exist; elsewhere, a machine without unprivileged namespaces),
// grading goes on without it, and the report says so once.
func TestUnsandboxedGradingGoesOn(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a test binary")
	}
	report, err := Grade(context.Background(), Options{
		Root: moduleRoot(t), Tests: caseTests("TestPass"), N: 1, P: 1,
		Timeout: time.Minute, WallTimeout: time.Minute, MaxOutput: 1 << 20,
		Protect: []string{filepath.Join(t.TempDir(), "missing")},
	})
	require.NoError(t, err)
	assert.Contains(t, report.Unsandboxed, "missing: no such file or directory", "the report says why there is no sandbox")
	assert.Equal(t, 1, report.Score, "the test still runs, and passes")
	var table bytes.Buffer
	report.PrintTable(&table)
	assert.Equal(t, 1, strings.Count(table.String(), "Not sandboxed ("), "the table says so once:\n%s", table.String())
}

// A test binary that changed since it was built is not run.
func TestTamperedBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a test binary")
	}
	opts := Options{Root: moduleRoot(t)}
	b := buildPackage(context.Background(), opts, t.TempDir(), casesPackage)
	require.Empty(t, b.err)
	assert.True(t, b.tests["TestPass"], "the tests are read from the sources")
	assert.False(t, b.tests["TestMain"], "TestMain is no test")
	assert.True(t, b.unchanged(), "the binary as built is unchanged")
	now := time.Now()
	require.NoError(t, os.Chtimes(b.bin, now, now))
	assert.True(t, b.unchanged(), "a binary whose times changed, but not its contents, is unchanged")
	f, err := os.OpenFile(b.bin, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("x")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	res := runOnce(context.Background(), runSpec{build: b, pkg: casesPackage, test: "TestPass", timeout: time.Minute, workRoot: t.TempDir()})
	assert.Equal(t, Tampered, res.Kind)
	assert.Contains(t, res.Verdict, "the test binary changed since it was built")
	assert.True(t, res.costly(), "a changed binary is not run again")
}

// Only a report with the run's token, for the run's test, counts.
func TestResultChannelReports(t *testing.T) {
	c, err := newResultChannel("TestX")
	require.NoError(t, err)
	defer c.discard()
	c.note("pass 0123 TestX")
	c.note(labenv.Report{Verb: labenv.ReportPass, Token: c.token, Test: "TestY"}.String())
	c.note("--- PASS: TestX (0.00s)")
	assert.False(t, c.reports.passed, "a pass with another token, of another test, or in go test's words, is no pass")
	c.note(labenv.Report{Verb: labenv.ReportStart, Token: c.token, Test: "TestX"}.String())
	c.note(labenv.Report{Verb: labenv.ReportPass, Token: c.token, Test: "TestX"}.String())
	assert.Equal(t, reports{started: true, passed: true}, c.reports)
}

// A goroutine dump that overflows the output cap is a crash, not a flood:
// the verdict is the crash's.
func TestClassifyDumpOverCap(t *testing.T) {
	dump := "\ngoroutine 7 [chan receive]:\nmain.f()\n\t/x/f.go:3 +0x1\n"
	lim := limits{timeout: time.Minute, output: 100}
	for _, c := range []struct {
		name string
		out  string
		kind Kind
	}{
		{"a timeout's dump", "=== RUN   TestX\npanic: test timed out after 1m0s\nrunning tests:\n\tTestX (1m0s)\n" + dump, TimedOut},
		{"a leak's dump", "=== RUN   TestX\npanic: main bubble goroutine has exited but blocked goroutines remain\n" + dump, Leaked},
		{"a panic's dump", "=== RUN   TestX\npanic: boom\n" + dump, Panicked},
		{"printing", "=== RUN   TestX\nx\nx\nx\n", Flooded},
	} {
		kind, verdict := classify("TestX", []byte(c.out), exitInfo{code: 2, flooded: true, reports: reports{started: true}}, lim)
		assert.Equal(t, c.kind, kind, "%s: verdict %q", c.name, verdict)
	}
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

// A hidden test carries the rubric's visibility into results.json; the
// others are visible.
func TestGradescopeVisibility(t *testing.T) {
	tests := []rubric.Test{
		{Part: "A", Package: "viewservice", Name: "TestShown", Points: 1},
		{Part: "B", Package: "pbservice", Name: "TestLater", Points: 2, Hidden: rubric.AfterDueDate},
		{Part: "B", Package: "pbservice", Name: "TestNever", Points: 3, Hidden: rubric.NeverShown},
	}
	res := Gradescope(nil, tests, nil)
	require.Len(t, res.Tests, 3)
	for i, want := range []string{"visible", "after_due_date", "hidden"} {
		assert.Equal(t, want, res.Tests[i].Visibility, "%s: results.json's visibility is the rubric's Hidden, or visible", tests[i].Name)
	}
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
	rec := &recorder{}
	report, err := Grade(context.Background(), Options{
		Root: moduleRoot(t), Tests: caseTests("TestFlood"), N: 3, P: 1,
		Timeout: 30 * time.Second, WallTimeout: 30 * time.Second, MaxOutput: 1 << 20,
		Progress: rec,
	})
	require.NoError(t, err)
	require.Len(t, report.Results, 1)
	r := report.Results[0]
	assert.Len(t, r.Runs, 1, "a flooded run stops the test's later runs")
	assert.Equal(t, Flooded, r.Kind, "the verdict is the flooded run's; verdict %q", r.Verdict)
	assert.Equal(t, []string{
		"building " + casesPackage, "start 3",
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
		Frozen: &RunResult{Kind: Stalled, Verdict: "virtual clock froze"}, rerun: true}
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
		Frozen: &RunResult{Kind: Stalled}, rerun: true})
	p.Finish()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Len(t, lines, 4, "a line for the build, the start and each run made:\n%s", out.String())
	assert.Equal(t, "building the tests of viewservice, pbservice", lines[0])
	assert.Equal(t, "running 3 test runs", lines[1])
	assert.Regexp(t, `^\[1/3\] ok   TestViewFirstPrimary +1\.2s$`, lines[2], "a passing run")
	assert.Regexp(t, `^\[3/3\] FAIL TestViewFirstPrimary +2\.0s  \(virtual clock froze; re-ran on the wall clock\)  virtual clock froze .*failed$`,
		lines[3], "a failing run counts the skipped one, and gives its verdict's first line")
}

// BenchmarkLaunch measures what every run pays for its launcher: the
// grader started again, its limits (and its sandbox) set up, then an exit
// where a run would start its test binary.
func BenchmarkLaunch(b *testing.B) {
	root, err := labenv.ModuleRoot(".")
	require.NoError(b, err)
	for _, sandboxed := range []bool{false, true} {
		b.Run(fmt.Sprintf("sandbox=%v", sandboxed), func(b *testing.B) {
			l := launch{CPU: 60, FileSize: maxFileSize, Files: maxFiles, Probe: true}
			if sandboxed {
				l.Sandbox, l.ReadOnly, l.Writable = true, []string{root}, []string{b.TempDir()}
			}
			for b.Loop() {
				cmd, err := l.command()
				require.NoError(b, err)
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Skipf("cannot launch here: %v: %s", err, out)
				}
			}
		})
	}
}

// BenchmarkChecksum measures the check of a test binary before each run.
func BenchmarkChecksum(b *testing.B) {
	bin, err := os.Executable()
	require.NoError(b, err)
	info, err := os.Stat(bin)
	require.NoError(b, err)
	b.SetBytes(info.Size())
	for b.Loop() {
		_, err := checksum(bin)
		require.NoError(b, err)
	}
}
