// Package grader is the grading engine: it builds the test binaries of the
// graded packages, runs each graded test in its own process, turns each
// run's outcome into a verdict, and adds the runs up into a score per test
// and a report. The report prints as a table (Report.PrintTable) and as
// Gradescope's results.json (GradescopeResults).
//
// Nothing the student built runs without limits. The graded tests come
// from the rubric and the test sources, never from running a binary. Each
// test process starts through a launcher (the grader itself, started
// again) that sets its limits of CPU time, file size and open files, and,
// on Linux where unprivileged namespaces work, a sandbox in which the
// source tree and the test binaries are read-only. It runs in a private
// folder and a process group of its own, which is killed at its time
// limit, at its output cap, or when it uses more memory than it may. A
// binary is checked against its checksum before each run.
//
// A pass counts only when the harness (labtest.Main) reports it on the
// run's result channel, a pipe no student code can reach; the same channel
// says when a virtual clock froze. A test passes only if it passed in every
// run. A run whose virtual clock froze is run again on the wall clock, and
// that second run decides, so that correct code is never marked wrong for
// the clock's sake; once such a re-run gets stuck on the wall clock too,
// the package's other frozen tests are not run again. Once a run of a test
// fails in a costly way (it ran into its time limit or flooded its
// output), the test's later runs are skipped. Past the grading's deadline
// no run starts, and the tests not run say so.
package grader

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"pblab/internal/rubric"
)

// Default limits of one run of one test.
const (
	DefaultTimeout     = 2 * time.Minute // virtual time: even a long scenario takes seconds
	DefaultWallTimeout = 4 * time.Minute // on the wall clock, scenarios take their real length
	DefaultMaxOutput   = 4 << 20         // bytes
	DefaultMaxMemory   = 1 << 30         // bytes of resident memory
)

// Options says what to grade and how.
type Options struct {
	Root        string        // module root of the tree to grade
	Tests       []rubric.Test // the graded tests to run
	N           int           // iterations of each test
	P           int           // tests run at once
	Race        bool          // build with -race
	Realtime    bool          // run on the wall clock
	Timeout     time.Duration // per run, in virtual-time mode
	WallTimeout time.Duration // per run on the wall clock (Realtime, and stall re-runs)
	MaxOutput   int           // bytes of output kept per run; past it the run is stopped
	MaxMemory   int64         // bytes of memory a test process may use; 0 for DefaultMaxMemory
	Deadline    time.Time     // no run starts after it, and runs still going are stopped; zero for none
	ResultsDir  string        // where failing runs' logs go; "" keeps none
	BuildFlags  []string      // extra flags for go test -c (such as -overlay)
	Env         []string      // extra environment for the tests (KEY=VALUE)
	Protect     []string      // folders besides Root that the sandbox makes read-only
	Progress    Progress      // told what grading does as it happens; nil for none

	// Rejected holds, by package, why that package is not built: each of
	// its tests gets this verdict, and no points, without a run. The
	// grading of a submission rejects a part whose student files break
	// the rules (pblab/internal/studentcheck) or are missing.
	Rejected map[string]string
}

// A TestResult is the grade of one graded test over all its runs.
type TestResult struct {
	Test    rubric.Test
	Runs    []*RunResult  // in the order they finished
	Passes  int           // runs that passed
	Elapsed time.Duration // total over the runs
	Verdict string        // the first failing run's verdict, "not run", or how it passed
	Kind    Kind          // Passed, or the kind of the first failing run
	LogPath string        // the log of the first failing run
	Score   int           // the test's points if every run passed, else 0
}

// Passed reports whether the test ran and every run of it passed.
func (r *TestResult) Passed() bool { return r.Kind == Passed && len(r.Runs) > 0 }

// Froze reports whether the virtual clock of some run of the test froze,
// so that the run was decided on the wall clock.
func (r *TestResult) Froze() bool {
	for _, run := range r.Runs {
		if run.Frozen != nil {
			return true
		}
	}
	return false
}

// VerdictLine returns the first line of the test's verdict.
func (r *TestResult) VerdictLine() string { return firstLine(r.Verdict) }

// A Report is the outcome of a whole grading.
type Report struct {
	Results    []*TestResult // one per graded test, in the order of Options.Tests
	Score, Max int
	Elapsed    time.Duration
	ResultsDir string   // set if any log was kept there
	Notes      []string // protected files a submission changed, and the like
	// Unsandboxed says why the tests ran without a sandbox; "" if they
	// had one.
	Unsandboxed string
}

// Grade builds the packages of opts.Tests once each and runs every test
// opts.N times, opts.P runs at a time. It returns a report even when ctx
// is canceled part way (with ctx's error): the runs not made count as not
// run.
func Grade(ctx context.Context, opts Options) (*Report, error) {
	start := time.Now()
	if opts.Progress == nil {
		opts.Progress = silent{}
	}
	if opts.MaxMemory == 0 {
		opts.MaxMemory = DefaultMaxMemory
	}
	tmp, err := os.MkdirTemp("", "pblab-grading-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	g, err := newGrading(opts, tmp)
	if err != nil {
		return nil, err
	}

	toBuild := opts
	toBuild.Tests = slices.DeleteFunc(slices.Clone(opts.Tests), func(t rubric.Test) bool { return opts.Rejected[t.Package] != "" })
	opts.Progress.Building(rubric.Packages(toBuild.Tests))
	binDir := filepath.Join(tmp, "bin")
	if err := os.Mkdir(binDir, 0o755); err != nil {
		return nil, err
	}
	g.builds = buildAll(ctx, toBuild, binDir)
	g.sandbox, g.unsandboxed = setUpSandbox(opts, binDir, g.workRoot, g.artifacts)
	jobs := g.plan()
	opts.Progress.Start(g.runs)
	g.runAll(ctx, jobs)
	opts.Progress.Finish()
	g.tidy()

	report := summarize(g.results, opts.ResultsDir)
	report.Elapsed = time.Since(start)
	report.Unsandboxed = g.unsandboxed
	return report, ctx.Err()
}

// A grading is one call of Grade.
type grading struct {
	opts        Options
	builds      map[string]*build // by package
	results     []*TestResult     // in the order of opts.Tests
	runs        int               // the runs planned, made or not
	workRoot    string            // where each run gets its private folder
	artifacts   string            // where tests write artifacts; "" for nowhere kept
	madeResults bool              // the results folder did not exist before
	sandbox     *sandbox          // nil if the tests run without one
	unsandboxed string            // why they do

	mu       sync.Mutex              // guards the Runs of results, stopped and packages
	stopped  map[int]bool            // tests with no more runs to make: a costly failure already
	packages map[string]*packageRuns // what the runs of each package have shown
	queue    *queue
}

// newGrading returns the grading of opts, with its folders under tmp.
func newGrading(opts Options, tmp string) (*grading, error) {
	g := &grading{
		opts:     opts,
		results:  make([]*TestResult, len(opts.Tests)),
		workRoot: filepath.Join(tmp, "runs"),
		stopped:  map[int]bool{},
		packages: map[string]*packageRuns{},
	}
	for i, t := range opts.Tests {
		g.results[i] = &TestResult{Test: t}
		g.packages[t.Package] = &packageRuns{}
	}
	if err := os.Mkdir(g.workRoot, 0o755); err != nil {
		return nil, err
	}
	if opts.ResultsDir != "" {
		// Diagrams and other files a failing test writes go beside its
		// log. The folder exists from the start, so that a sandbox can keep
		// it writable; tidy removes it if no test wrote anything.
		dir, err := filepath.Abs(filepath.Join(opts.ResultsDir, "artifacts"))
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(opts.ResultsDir); os.IsNotExist(err) {
			g.madeResults = true
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		g.artifacts = dir
	}
	return g, nil
}

// tidy removes the artifact folder, and the results folder if grading made
// it, when they are empty.
func (g *grading) tidy() {
	if g.artifacts == "" {
		return
	}
	if os.Remove(g.artifacts) == nil && g.madeResults {
		_ = os.Remove(g.opts.ResultsDir)
	}
}

// summarize turns each test's runs into its verdict and score, and adds
// the scores up into a report. A log kept under resultsDir makes the
// report name that folder.
func summarize(results []*TestResult, resultsDir string) *Report {
	report := &Report{Results: results}
	for _, r := range results {
		r.decide()
		report.Max += r.Test.Points
		report.Score += r.Score
		for _, run := range r.Runs {
			if run.LogPath != "" {
				report.ResultsDir = resultsDir
			}
		}
	}
	return report
}

// decide sets the test's passes, time, verdict and score from its runs. The
// verdict is the first failing run's; a test that passed only on the wall
// clock says so; a test that never ran is "not run".
func (r *TestResult) decide() {
	r.Kind, r.Verdict = Passed, "passed"
	for _, run := range r.Runs {
		r.Elapsed += run.Elapsed
		if run.Passed() {
			r.Passes++
		} else if r.Kind == Passed {
			r.Kind, r.Verdict, r.LogPath = run.Kind, run.Verdict, run.LogPath
		}
	}
	if len(r.Runs) == 0 {
		r.Kind, r.Verdict = Failed, "not run"
	}
	if r.Kind == Passed {
		for _, run := range r.Runs {
			if run.Frozen != nil {
				r.Verdict = run.Verdict // passed, but only on the wall clock
			}
		}
	}
	if r.Passed() && r.Passes == len(r.Runs) {
		r.Score = r.Test.Points
	}
}
