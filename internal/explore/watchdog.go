package explore

import (
	"fmt"
	"os"
	"pblab/internal/explore/plan"
	"sync"
	"time"
)

// The watchdog watches the scenarios being run from outside their bubbles,
// on the wall clock. Two things can stop a run for good, and nothing inside
// the bubble can end it then:
//
//   - a frozen clock: a goroutine waits for a sync.Mutex that another holds
//     across a sleep or an RPC, or loops without ever blocking, and the
//     bubble's time stands still;
//   - goroutines that never end: the run has returned, but a goroutine of
//     the servers keeps sleeping in a loop, so the bubble never finishes.
//
// Either way the watchdog writes the result, with the scenario as it is
// (there is no shrinking a run that never ends), and ends the test binary.

// FrozenAfter is how long, in real time, a run's clock may stand still, or
// a run that has returned may wait for its goroutines, before the watchdog
// calls it stuck.
const FrozenAfter = 20 * time.Second

// A watchdog watches the runs of a pbExplorer's workers.
type watchdog struct {
	e       *pbExplorer
	mu      sync.Mutex
	workers []watched
	done    chan struct{}
	stopped chan struct{}
}

// watched is one worker's current run.
type watched struct {
	sc        *plan.Scenario // nil between runs
	w         *runWatch
	lastClock int64
	lastMove  time.Time // when its clock last moved, or it ended
	ended     bool
}

func (d *watchdog) start(e *pbExplorer, workers int) {
	d.e = e
	d.workers = make([]watched, workers)
	d.done, d.stopped = make(chan struct{}), make(chan struct{})
	go d.watch()
}

func (d *watchdog) stop() {
	close(d.done)
	<-d.stopped
}

// begin notes that worker w runs sc, and returns the runWatch the run
// keeps.
func (d *watchdog) begin(w int, sc *plan.Scenario) *runWatch {
	rw := &runWatch{}
	d.mu.Lock()
	defer d.mu.Unlock()
	if w < len(d.workers) {
		d.workers[w] = watched{sc: sc, w: rw, lastMove: time.Now()}
	}
	return rw
}

// end notes that worker w's run is over.
func (d *watchdog) end(w int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if w < len(d.workers) {
		d.workers[w] = watched{}
	}
}

func (d *watchdog) watch() {
	defer close(d.stopped)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-d.done:
			return
		case <-t.C:
		}
		if sc, v := d.look(); v != nil {
			d.giveUp(sc, v)
		}
	}
}

// look checks every worker's run, and returns the first stuck one.
func (d *watchdog) look() (*plan.Scenario, *plan.Verdict) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	for i := range d.workers {
		wk := &d.workers[i]
		if wk.sc == nil {
			continue
		}
		if clock := wk.w.clock.Load(); clock != wk.lastClock {
			wk.lastClock, wk.lastMove = clock, now
		}
		if ended := wk.w.ended.Load(); ended && !wk.ended {
			wk.ended, wk.lastMove = true, now
		}
		if now.Sub(wk.lastMove) < FrozenAfter {
			continue
		}
		if wk.ended {
			return wk.sc, &plan.Verdict{Kind: ruleKill.kind, Doc: ruleKill.doc, What: fmt.Sprintf(
				"goroutines were still running %v (real time) after the run ended, its servers killed and its network cleaned up: "+
					"every goroutine a server starts must end with Kill", FrozenAfter)}
		}
		return wk.sc, &plan.Verdict{Kind: "frozen clock", Doc: "docs/debugging.md", What: fmt.Sprintf(
			"the virtual clock stood still for %v of real time: a goroutine waits for a sync.Mutex that another holds "+
				"across a sleep or an RPC, or loops without blocking", FrozenAfter)}
	}
	return nil, nil
}

// giveUp writes the result of a stuck run and ends the test binary: the
// run's goroutines can be neither ended nor waited for.
func (d *watchdog) giveUp(sc *plan.Scenario, v *plan.Verdict) {
	e := d.e
	res := &plan.Result{
		Part: "B", Scenarios: int(e.runs.Load()), Elapsed: plan.Duration(time.Since(e.start)),
		Notes: []string{"part B: a run never ended, so it was neither shrunk nor run again"},
		Violation: &plan.Violation{
			Kind: v.Kind, What: v.What, Doc: v.Doc,
			Details:  []string{"scenario: " + sc.String()},
			Original: sc.Events(), Events: sc.Events(), Failures: 1, Tries: 1,
			Found:  plan.Duration(time.Since(e.start)),
			Replay: plan.Replay{Part: "B", Scenario: sc, Verdict: *v},
		},
	}
	if err := plan.WriteResult(e.req, res); err != nil {
		fmt.Fprintf(os.Stderr, "explore: writing the result: %v\n", err)
	}
	fmt.Fprintf(os.Stderr, "explore: %s: %s\n", v.Kind, v.What)
	os.Exit(1)
}
