package main

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/grader"
	"pblab/internal/labenv"
	"pblab/internal/mutants"
	"pblab/internal/rubric"
	"pblab/internal/submission"
)

// hostileCase is one hostile submission and what grading it must give.
type hostileCase struct {
	fixture string   // folder under testdata/hostile
	tests   []string // "package.TestName": the graded tests to run; none for every graded test
	kind    grader.Kind
	kinds   []grader.Kind // other kinds a verdict may have
	verdict string        // every selected test's verdict contains it
	full    bool          // the submission must still earn full marks
	stall   bool          // some test's virtual clock must freeze (and be re-run)
	noStall bool          // no test's virtual clock may count as frozen
	passing []string      // tests that must still earn full marks (the fixture does not touch them)
	notes   []string
	prepare func(t *testing.T, tree string) // more changes to the student's tree
	// realLimits grades as grading does (race detector, default time
	// limits, no shorter wait for a frozen clock) instead of with the short
	// limits of the other cases.
	realLimits bool
	limit      time.Duration // grading must end within it
}

// Two graded tests that drive the view service over RPC, and one Part B
// test with concurrent clients (a request waits for the lock while the
// primary forwards).
var (
	vsTests = []string{"viewservice.TestViewFirstPrimary", "viewservice.TestViewBackupTakesOver"}
	pbTests = []string{"pbservice.TestConcurrentSameUnreliable"}
)

// The short limits of the hostile cases: the time limit of one run, and of
// a test process's memory; the cases that hang end soon.
const (
	hostileTimeout = 20 * time.Second
	hostileMemory  = 512 << 20
)

var hostileCases = []hostileCase{
	{fixture: "does-not-compile", tests: append(append([]string{}, vsTests...), pbTests...), kind: grader.BuildFailed,
		verdict: "undefined: recordPing", limit: 2 * time.Minute},
	{fixture: "panics-in-handler", tests: vsTests, kind: grader.Panicked,
		verdict: "assignment to entry in nil map (at viewservice/server.go:", limit: time.Minute},
	{fixture: "deadlocks", tests: vsTests[:1], kind: grader.Failed,
		verdict: grader.StallVerdict + "failed", limit: 2 * time.Minute},
	{fixture: "busy-loop", tests: vsTests[1:], verdict: grader.StallVerdict, limit: 2 * time.Minute},
	{fixture: "calls-os-exit", tests: vsTests, kind: grader.Exited, verdict: "called os.Exit(1)", limit: time.Minute},
	{fixture: "floods-output", tests: vsTests[:1], kind: grader.Flooded, verdict: "output flooded (truncated at 1 MB)", limit: time.Minute},
	{fixture: "leaks-goroutines", tests: vsTests, kind: grader.Leaked, verdict: "goroutines left behind", limit: time.Minute},
	{fixture: "edits-a-test-file", tests: vsTests, kind: grader.Passed, verdict: "passed", full: true, limit: time.Minute,
		notes: []string{"viewservice/zz_student_test.go (added)", "_test.go (changed)"},
		prepare: func(t *testing.T, tree string) {
			tests, err := filepath.Glob(filepath.Join(tree, "viewservice", "*_test.go"))
			require.NoError(t, err)
			for _, f := range tests {
				if filepath.Base(f) != "zz_student_test.go" {
					appendFile(t, f, "\n// The student was here.\n")
					break
				}
			}
			require.NoError(t, os.Remove(filepath.Join(tree, "labrpc", "doc.go")))
		}},
	{fixture: "lock-across-sleep", tests: pbTests, kind: grader.Passed, verdict: "passed", full: true, stall: true, limit: 3 * time.Minute},
	{fixture: "lock-across-rpc", tests: pbTests, kind: grader.Passed, verdict: "passed", full: true, stall: true, limit: 3 * time.Minute},
}

// TestHostileSubmissions grades each hostile submission end to end, through
// -submission's overlay, and checks its verdicts and time bounds. It builds
// a tree per case, so it runs only with PBLAB_HOSTILE=1 (CI does).
func TestHostileSubmissions(t *testing.T) {
	gradeHostileCases(t, hostileCases)
}

// gradeHostileCases grades each case as a subtest, if PBLAB_HOSTILE=1.
func gradeHostileCases(t *testing.T, cases []hostileCase) {
	if os.Getenv("PBLAB_HOSTILE") != "1" {
		t.Skip("set PBLAB_HOSTILE=1 to grade the hostile submissions (slow)")
	}
	root, err := labenv.ModuleRoot(".")
	require.NoError(t, err)
	for _, c := range cases {
		t.Run(c.fixture, func(t *testing.T) { gradeHostile(t, root, c) })
	}
}

// gradeHostile grades the submission of one case, made from the tree at
// root, and checks what the case wants.
func gradeHostile(t *testing.T, root string, c hostileCase) {
	student := referenceTree(t, root)
	applyFixture(t, filepath.Join("testdata", "hostile", c.fixture), student)
	if c.prepare != nil {
		c.prepare(t, student)
	}
	tree := t.TempDir()
	intake, err := submission.Prepare(student, root, tree, nil)
	require.NoError(t, err)
	notes := intake.Notes
	for _, n := range c.notes {
		assert.True(t, containsSubstring(notes, n), "a note mentions %q; notes:\n%s", n, strings.Join(notes, "\n"))
	}
	if len(c.notes) == 0 {
		assert.Empty(t, notes, "a submission that changes only the student's files needs no note")
	}

	tests := rubric.Tests()
	if len(c.tests) > 0 {
		tests = nil
		for _, name := range c.tests {
			tests = append(tests, gradedTest(name))
		}
	}
	opts := grader.Options{
		Root: tree, Tests: tests, N: 1, P: 2, Race: false,
		Timeout: hostileTimeout, WallTimeout: hostileTimeout,
		MaxOutput: 1 << 20, MaxMemory: hostileMemory, ResultsDir: t.TempDir(),
		Env:      []string{labenv.StallTimeoutEnv + "=2s"},
		Rejected: intake.Rejected,
	}
	if c.realLimits {
		opts.Race, opts.Timeout, opts.WallTimeout = true, grader.DefaultTimeout, grader.DefaultWallTimeout
		opts.MaxOutput, opts.MaxMemory, opts.Env = grader.DefaultMaxOutput, 0, []string{labenv.StallTimeoutEnv + "="}
	}
	start := time.Now()
	report, err := grader.Grade(context.Background(), opts)
	require.NoError(t, err)
	elapsed := time.Since(start)
	assert.Less(t, elapsed, c.limit, "grading %s must end within its bounds", c.fixture)
	stalls := 0
	for _, r := range report.Results {
		t.Logf("%s: %s", r.Test.Name, r.VerdictLine())
		if r.Froze() {
			stalls++
		}
		if slices.Contains(c.passing, r.Test.Package+"."+r.Test.Name) {
			assert.Equal(t, r.Test.Points, r.Score, "%s: the fixture does not touch this test: full marks; verdict:\n%s", r.Test.Name, r.Verdict)
			continue
		}
		if c.kind != grader.Passed || c.full {
			assert.Contains(t, append([]grader.Kind{c.kind}, c.kinds...), r.Kind, "%s: verdict kind; verdict:\n%s", r.Test.Name, r.Verdict)
		}
		assert.Contains(t, r.Verdict, c.verdict, "%s: verdict", r.Test.Name)
		if c.full {
			assert.Equal(t, r.Test.Points, r.Score, "%s: full marks; verdict:\n%s", r.Test.Name, r.Verdict)
		} else {
			assert.Zero(t, r.Score, "%s: no points; verdict:\n%s", r.Test.Name, r.Verdict)
		}
	}
	// results.json is valid whatever went wrong, and shows the verdicts.
	// (The grader's own tests check its format in detail.)
	path := filepath.Join(t.TempDir(), "results.json")
	require.NoError(t, grader.WriteJSON(path, grader.Gradescope(report, tests, nil)))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var res grader.GradescopeResults
	require.NoError(t, json.Unmarshal(data, &res), "results.json must be valid JSON")
	assert.Equal(t, report.Score, res.Score, "results.json has the report's score")
	require.Len(t, res.Tests, len(tests), "results.json lists every graded test")
	for i, x := range res.Tests {
		if r := report.Results[i]; !slices.Contains(c.passing, r.Test.Package+"."+r.Test.Name) {
			assert.Contains(t, x.Output, c.verdict, "results.json shows the verdict of %s", r.Test.Name)
		}
	}
	if c.stall {
		assert.NotZero(t, stalls, "the virtual clock of some test must freeze, and the test be re-run on the wall clock")
	}
	if c.noStall {
		assert.Zero(t, stalls, "no test may count as frozen: nothing the submission prints makes a frozen clock")
	}
	t.Logf("graded in %s", elapsed.Round(100*time.Millisecond))
}

// gradedTest returns the rubric's entry for "package.TestName", or an entry
// worth one point if the rubric does not grade that test.
func gradedTest(name string) rubric.Test {
	pkg, test, _ := strings.Cut(name, ".")
	if t, ok := rubric.Find(test); ok {
		return t
	}
	part := "A"
	if pkg == "pbservice" {
		part = "B"
	}
	return rubric.Test{Part: part, Package: pkg, Name: test, Points: 1}
}

// applyFixture lays the files of the fixture folder over the student's tree,
// and applies its edits.txt to the files already there.
func applyFixture(t *testing.T, fixture, tree string) {
	t.Helper()
	err := filepath.WalkDir(fixture, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(fixture, path)
		if rel == "edits.txt" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		target := filepath.Join(tree, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join(fixture, "edits.txt"))
	if os.IsNotExist(err) {
		return
	}
	require.NoError(t, err)
	m, err := mutants.Parse(filepath.Base(fixture), data)
	require.NoError(t, err)
	files, err := m.Apply(tree)
	require.NoError(t, err, "the fixture's edits must apply to the reference solution")
	for file, data := range files {
		require.NoError(t, os.WriteFile(filepath.Join(tree, file), data, 0o644))
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(text)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func containsSubstring(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}
