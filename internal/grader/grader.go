// Package grader is the grading engine: it builds the test binaries of the
// graded packages, runs each graded test in its own process (with a time
// limit, an output cap, and its whole process group killed when it ends),
// turns each run's outcome into a verdict, and adds the runs up into a
// score per test and a report. The report prints as a table
// (Report.PrintTable) and as Gradescope's results.json (GradescopeResults).
//
// A test passes only if it passed in every run. A run whose virtual clock
// froze is run again on the wall clock, and that second run decides, so that
// correct code is never marked wrong for the clock's sake. Once a run of a
// test fails in a costly way (it ran into its time limit or flooded its
// output), the test's later runs are skipped.
package grader

import (
	"context"
	"fmt"
	"os"
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
	ResultsDir  string        // where failing runs' logs go; "" keeps none
	BuildFlags  []string      // extra flags for go test -c (such as -overlay)
	Env         []string      // extra environment for the tests (KEY=VALUE)
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
	binDir, err := os.MkdirTemp("", "pblab-grading-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(binDir)

	toBuild := opts
	toBuild.Tests = slices.DeleteFunc(slices.Clone(opts.Tests), func(t rubric.Test) bool { return opts.Rejected[t.Package] != "" })
	opts.Progress.Building(rubric.Packages(toBuild.Tests))
	g := &grading{
		opts:    opts,
		builds:  buildAll(ctx, toBuild, binDir),
		results: make([]*TestResult, len(opts.Tests)),
		stopped: map[int]bool{},
	}
	for i, t := range opts.Tests {
		g.results[i] = &TestResult{Test: t}
	}
	jobs := g.plan()
	opts.Progress.Start(len(jobs))
	g.runAll(ctx, jobs)
	opts.Progress.Finish()

	report := summarize(g.results, opts.ResultsDir)
	report.Elapsed = time.Since(start)
	return report, ctx.Err()
}

// A grading is one call of Grade, once its test binaries are built.
type grading struct {
	opts    Options
	builds  map[string]*build // by package
	results []*TestResult     // in the order of opts.Tests

	mu      sync.Mutex   // guards the Runs of results, and stopped
	stopped map[int]bool // tests with no more runs to make: a costly failure already
}

// A job is one run of one test: results[test], iteration iter (from 1).
type job struct {
	test, iter int
}

// plan returns the runs to make, iteration by iteration, each in the
// order of the tests. A test whose package was rejected or did not build,
// or that its package's binary lacks, gets its verdict at once, as its only
// run.
func (g *grading) plan() []job {
	var jobs []job
	for iter := 1; iter <= g.opts.N; iter++ {
		for i, r := range g.results {
			b := g.builds[r.Test.Package]
			switch {
			case g.opts.Rejected[r.Test.Package] != "":
				if iter == 1 {
					r.Runs = append(r.Runs, &RunResult{Kind: BuildFailed, Verdict: g.opts.Rejected[r.Test.Package]})
				}
			case b.err != "":
				if iter == 1 {
					r.Runs = append(r.Runs, &RunResult{Kind: BuildFailed, Verdict: b.err})
				}
			case !b.tests[r.Test.Name]:
				if iter == 1 {
					r.Runs = append(r.Runs, &RunResult{Kind: Missing,
						Verdict: fmt.Sprintf("missing: package %s has no test %s (are its test files the official ones?)", r.Test.Package, r.Test.Name)})
				}
			default:
				jobs = append(jobs, job{i, iter})
			}
		}
	}
	return jobs
}

// runAll makes the runs of jobs, in order, opts.P at a time, until they are
// done or ctx is canceled.
func (g *grading) runAll(ctx context.Context, jobs []job) {
	queue := make(chan job)
	var wg sync.WaitGroup
	for range max(g.opts.P, 1) {
		wg.Go(func() {
			for j := range queue {
				if ctx.Err() == nil {
					g.run(ctx, j)
				}
			}
		})
	}
feed:
	for _, j := range jobs {
		select {
		case queue <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
}

// run makes one run of a job's test, unless a costly failure of an earlier
// run of the same test stopped it, and records the result.
func (g *grading) run(ctx context.Context, j job) {
	r := g.results[j.test]
	g.mu.Lock()
	skip := g.stopped[j.test]
	g.mu.Unlock()
	if skip {
		g.opts.Progress.Skipped(r.Test.Name)
		return
	}
	g.opts.Progress.Begin(r.Test.Name)
	res := runTest(ctx, g.opts, g.builds[r.Test.Package], r.Test, j.iter)
	g.mu.Lock()
	r.Runs = append(r.Runs, res)
	if res.costly() {
		g.stopped[j.test] = true
	}
	g.mu.Unlock()
	g.opts.Progress.Done(r.Test, j.iter, res)
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
