package grader

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// A job is one run to make: iteration iter (from 1) of results[test]. A
// job with frozen set is the run again on the wall clock of a run whose
// virtual clock froze.
type job struct {
	test, iter int
	frozen     *RunResult
}

// packageRuns is what the runs of one package have shown so far, which
// decides how its later runs go.
type packageRuns struct {
	// The package's first wall-clock re-run of a frozen clock is its probe:
	// while it runs, the package's other frozen runs wait for it. If it got
	// stuck on the wall clock too (stuck is its test), they are not run
	// again: each would cost its whole time limit for the same verdict.
	probing bool
	probed  bool
	stuck   string
	waiting []job

	// neverStarts is set once a run of the package timed out before the
	// test binary reached its tests: the package's initialisation never
	// ends, and its other tests are not run.
	neverStarts string
}

// plan returns the runs to make, iteration by iteration, each in the
// order of the tests. A test whose package was rejected or did not build,
// or that its package's test sources lack, gets its verdict at once, as its
// only run.
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
				jobs = append(jobs, job{test: i, iter: iter})
			}
		}
	}
	g.runs = len(jobs)
	return jobs
}

// runAll makes the runs of jobs, and the wall-clock re-runs they lead to,
// opts.P at a time, until they are done or ctx is canceled.
func (g *grading) runAll(ctx context.Context, jobs []job) {
	g.queue = newQueue(jobs)
	stop := context.AfterFunc(ctx, g.queue.close)
	defer stop()
	var wg sync.WaitGroup
	for range max(g.opts.P, 1) {
		wg.Go(func() {
			for {
				j, ok := g.queue.take()
				if !ok {
					return
				}
				if ctx.Err() == nil {
					g.do(ctx, j)
				}
				g.queue.done()
			}
		})
	}
	wg.Wait()
}

// do makes one job's run, unless an earlier run made it pointless, and
// records the result, or leaves it to a later job.
func (g *grading) do(ctx context.Context, j job) {
	r := g.results[j.test]
	pkg := g.packages[r.Test.Package]
	if j.frozen != nil {
		g.rerun(ctx, j)
		return
	}
	g.mu.Lock()
	skip, neverStarts := g.stopped[j.test], pkg.neverStarts
	g.mu.Unlock()
	switch {
	case skip:
		g.opts.Progress.Skipped(r.Test.Name)
		return
	case neverStarts != "":
		g.record(j, &RunResult{Kind: TimedOut, Verdict: neverStarts})
		return
	case g.pastDeadline():
		g.record(j, &RunResult{Kind: OutOfTime, Verdict: "not run: out of time (the grading's deadline came)"})
		return
	}
	g.opts.Progress.Begin(r.Test.Name)
	spec := g.newRunSpec(r.Test)
	res := runOnce(ctx, spec)
	if res.Kind == TimedOut && !res.reports.started {
		g.mu.Lock()
		pkg.neverStarts = fmt.Sprintf("not run: the test binary of %s never reached its tests: in %s, its initialisation was still running when the time limit came", r.Test.Package, r.Test.Name)
		g.mu.Unlock()
	}
	if res.Kind == Stalled && !spec.realtime && ctx.Err() == nil {
		res.LogPath = saveLog(g.opts, r.Test, j.iter, "virtual", spec, res)
		g.afterFreeze(job{test: j.test, iter: j.iter, frozen: res})
		return
	}
	g.record(j, res)
}

// afterFreeze decides what becomes of a run whose virtual clock froze: it
// is run again on the wall clock now, or once its package's probe has
// shown that this is worth it, or not at all.
func (g *grading) afterFreeze(j job) {
	pkg := g.packages[g.results[j.test].Test.Package]
	g.mu.Lock()
	switch {
	case pkg.stuck != "":
		g.mu.Unlock()
		g.record(j, notRerun(j.frozen, pkg.stuck))
	case pkg.probing:
		pkg.waiting = append(pkg.waiting, j)
		g.mu.Unlock()
	default:
		pkg.probing = !pkg.probed
		g.mu.Unlock()
		g.queue.pushFront(j)
	}
}

// rerun runs a frozen run again on the wall clock and records the result.
// If it was its package's probe, the runs that waited for it go on.
func (g *grading) rerun(ctx context.Context, j job) {
	r := g.results[j.test]
	pkg := g.packages[r.Test.Package]
	var res *RunResult
	if g.pastDeadline() {
		res = &RunResult{Kind: OutOfTime, Verdict: NotRerunVerdict + "out of time (the grading's deadline came)", Frozen: j.frozen, Elapsed: j.frozen.Elapsed}
	} else {
		res = g.rerunOnWallClock(ctx, j)
	}
	g.mu.Lock()
	probe := pkg.probing && !pkg.probed
	var waiting []job
	if probe {
		pkg.probing, pkg.probed, waiting = false, true, pkg.waiting
		pkg.waiting = nil
		if res.stuck() {
			pkg.stuck = r.Test.Name
		}
	}
	stuck := pkg.stuck
	g.mu.Unlock()
	g.record(j, res)
	for _, w := range waiting {
		if stuck != "" {
			g.record(w, notRerun(w.frozen, stuck))
		} else {
			g.queue.pushFront(w)
		}
	}
}

// rerunOnWallClock runs again, on the wall clock, the run j.frozen whose
// virtual clock froze. The result is the wall-clock run's, with the frozen
// run kept beside it.
func (g *grading) rerunOnWallClock(ctx context.Context, j job) *RunResult {
	test := g.results[j.test].Test
	wall := runOnce(ctx, g.onWallClock(g.newRunSpec(test)))
	res := &RunResult{
		Kind:    wall.Kind,
		Verdict: StallVerdict + wall.Verdict,
		Elapsed: j.frozen.Elapsed + wall.Elapsed,
		Output:  wall.Output,
		Frozen:  j.frozen,
		rerun:   true,
		reports: wall.reports,
	}
	if wall.Kind == Passed {
		res.Verdict = StallVerdict + "passed"
	}
	return res
}

// notRerun is the result of a frozen run not run again on the wall clock,
// since the package's probe, the run of test there, got stuck too.
func notRerun(frozen *RunResult, test string) *RunResult {
	return &RunResult{
		Kind:    Stalled,
		Verdict: NotRerunVerdict + fmt.Sprintf("%s, of the same package, got stuck on the wall clock too (see its verdict)", test),
		Elapsed: frozen.Elapsed,
		Output:  frozen.Output,
		Frozen:  frozen,
		LogPath: frozen.LogPath,
	}
}

// record adds the result of a job's run to its test, keeps its log if it
// failed, and tells the progress.
func (g *grading) record(j job, res *RunResult) {
	r := g.results[j.test]
	if !res.Passed() && res.LogPath == "" && len(res.Output) > 0 {
		spec, suffix := g.newRunSpec(r.Test), ""
		if res.Frozen != nil {
			spec, suffix = g.onWallClock(spec), "wallclock"
		}
		res.LogPath = saveLog(g.opts, r.Test, j.iter, suffix, spec, res)
	}
	g.mu.Lock()
	r.Runs = append(r.Runs, res)
	if res.costly() {
		g.stopped[j.test] = true
	}
	g.mu.Unlock()
	g.opts.Progress.Done(r.Test, j.iter, res)
}

// pastDeadline reports whether the grading's deadline has come.
func (g *grading) pastDeadline() bool {
	return !g.opts.Deadline.IsZero() && !time.Now().Before(g.opts.Deadline)
}

// A queue holds the jobs to make. Workers take jobs until none is left and
// none is being made (a job being made may lead to more), or until the
// queue is closed.
type queue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	jobs   []job
	busy   int // jobs taken and not done
	closed bool
}

func newQueue(jobs []job) *queue {
	q := &queue{jobs: jobs}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// take returns the next job, waiting while there is none but jobs are
// being made. It reports false once there is nothing more to do.
func (q *queue) take() (job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.jobs) == 0 && q.busy > 0 && !q.closed {
		q.cond.Wait()
	}
	if len(q.jobs) == 0 || q.closed {
		return job{}, false
	}
	j := q.jobs[0]
	q.jobs = q.jobs[1:]
	q.busy++
	return j, true
}

// done marks a taken job done.
func (q *queue) done() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.busy--
	q.cond.Broadcast()
}

// pushFront adds a job to make before the others.
func (q *queue) pushFront(j job) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.jobs = append([]job{j}, q.jobs...)
	q.cond.Broadcast()
}

// close makes every take report false from now on.
func (q *queue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.cond.Broadcast()
}
