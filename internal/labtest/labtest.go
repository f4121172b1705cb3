// Package labtest runs pblab's tests: in virtual time by default, on the
// wall clock with PBLAB_REALTIME=1. Every test of the project goes through
// Run, so that one place decides the mode and guards against the two ways a
// virtual-time test can go wrong:
//
//   - a frozen clock: the clock moves only while every goroutine of the test
//     is blocked on a channel, a sleep or a timer. A goroutine waiting for a
//     sync.Mutex that another holds across a sleep or an RPC, or a goroutine
//     that loops without ever blocking, stops it for good. A watchdog outside
//     the test sees the clock stand still and ends the run, naming the
//     goroutines involved: after a second and a half of real time when no
//     goroutine of the test can run and one waits for a lock (the clock can
//     never move again), after labenv.StallTimeout otherwise (a busy loop
//     may yet end);
//   - no progress: a livelock (clerks retrying forever) lets virtual time run
//     without bound. Each test has a cap on its virtual duration (MaxVirtual);
//     past it, the test fails with "no progress" and its networks are
//     cleaned up so that it ends.
//
// A test registers its networks with NewNetwork and its servers' shutdown
// with Teardown. When the test body returns, Run tears everything down,
// waits (in virtual time) for the test's goroutines to end, and checks that
// none is left behind: synctest does that in virtual time, goleak on the
// wall clock. A failing test prints its network's seed and the command that
// replays it, and writes the message diagram of each of its networks
// (internal/diagram); Describe tells the diagram what a network's messages
// mean.
//
// A package whose tests the grader runs has Main as its TestMain: it
// reports each test's outcome on the grader's result channel.
package labtest

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"pblab/internal/diagram"
	"pblab/internal/labenv"
	"pblab/labrpc"
)

// DefaultMaxVirtual is the default cap on a test's duration.
const DefaultMaxVirtual = 120 * time.Second

// heartbeat is how often, in virtual time, the clock is published to the
// watchdog and the cap is checked.
const heartbeat = 10 * time.Millisecond

// settleTime bounds how long Run waits after teardown for the test's
// goroutines to end.
const settleTime = 5 * time.Second

// abortGrace is how long a test that ran past its cap has to end, its
// networks cleaned up, before Run gives up on it and stops the test binary.
const abortGrace = 20 * time.Second

// An Option changes how Run runs a test.
type Option func(*options)

type options struct {
	maxVirtual time.Duration
}

// MaxVirtual sets the cap on the test's duration (virtual time, or real time
// with PBLAB_REALTIME=1).
func MaxVirtual(d time.Duration) Option { return func(o *options) { o.maxVirtual = d } }

// run is the state of one test run.
type run struct {
	t         *testing.T
	realtime  bool
	bubble    string // the synctest bubble of the test, "" on the wall clock
	mu        sync.Mutex
	networks  []network // in the order NewNetwork made them
	teardowns []func()
	aborted   atomic.Bool
}

// network is one of a test's networks, with what its diagram needs to know.
type network struct {
	*labrpc.Network
	description diagram.Description
}

var runs sync.Map // *testing.T (as seen by the body) -> *run

func current(t *testing.T) *run {
	r, ok := runs.Load(t)
	if !ok {
		panic("labtest: " + t.Name() + " uses labtest outside labtest.Run")
	}
	return r.(*run)
}

// Run runs body as the test t: in a synctest bubble (virtual time), or
// directly with PBLAB_REALTIME=1. Body must make its networks with NewNetwork
// and register server shutdowns with Teardown, not t.Cleanup: they must run
// before Run checks that no goroutine is left.
func Run(t *testing.T, body func(t *testing.T), opts ...Option) {
	t.Helper()
	o := options{maxVirtual: DefaultMaxVirtual}
	for _, opt := range opts {
		opt(&o)
	}
	if labenv.Realtime() {
		runRealtime(t, body, o)
	} else if skipped := runVirtual(t, body, o); skipped {
		// The bubble's test was skipped, which passes t: the grader
		// must not count it as a pass.
		return
	}
	results.complete(t)
}

// runVirtual runs body in a bubble, and reports whether the bubble's test
// was skipped.
func runVirtual(t *testing.T, body func(t *testing.T), o options) (skipped bool) {
	var clock atomic.Int64 // the bubble's time, published by its heartbeat; 0 until it starts
	var current atomic.Pointer[run]
	finished := make(chan struct{})
	go watchdog(t.Name(), &clock, &current, finished)
	defer close(finished)

	synctest.Test(t, func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		r := &run{t: t, bubble: currentBubble()}
		current.Store(r)
		runs.Store(t, r)
		defer runs.Delete(t)
		baseline := bubbleGoroutines()
		start := time.Now()
		var bodyEnded atomic.Int64 // the time the body ended, 0 while it runs
		clock.Store(start.UnixNano())

		stop, stopped := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(stopped)
			tick := time.NewTicker(heartbeat)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case now := <-tick.C:
					clock.Store(now.UnixNano())
					if ended := bodyEnded.Load(); ended == 0 {
						// The cap is on the body; the teardown after it
						// has abortGrace of its own.
						if now.Sub(start) > o.maxVirtual {
							r.abort(o.maxVirtual, "virtual")
						}
						if now.Sub(start) > o.maxVirtual+abortGrace {
							r.giveUp(fmt.Sprintf("still running %v after its cap of %v of virtual time", abortGrace, o.maxVirtual))
						}
					} else if now.UnixNano()-ended > int64(abortGrace) {
						r.giveUp(fmt.Sprintf("its teardown still running %v after the test body ended", abortGrace))
					}
				}
			}
		}()
		returned := false
		defer r.endedEarly(&returned)
		defer func() {
			bodyEnded.Store(time.Now().UnixNano())
			r.finish(func() bool { return bubbleGoroutines() <= baseline+1 })
			close(stop)
			<-stopped
		}()
		body(t)
		returned = true
	})
	return skipped
}

func runRealtime(t *testing.T, body func(t *testing.T), o options) {
	ignore := goleak.IgnoreCurrent()
	r := &run{t: t, realtime: true}
	runs.Store(t, r)
	defer runs.Delete(t)
	limit := time.AfterFunc(o.maxVirtual, func() { r.abort(o.maxVirtual, "real") })
	stuck := time.AfterFunc(o.maxVirtual+abortGrace, func() {
		r.giveUp(fmt.Sprintf("still running %v after its cap of %v of real time", abortGrace, o.maxVirtual))
	})
	returned := false
	defer r.endedEarly(&returned)
	defer func() {
		limit.Stop()
		stuck.Stop()
		stuck = time.AfterFunc(abortGrace, func() {
			r.giveUp(fmt.Sprintf("its teardown still running %v after the test body ended", abortGrace))
		})
		// goleak.Find waits a little for goroutines to end before it
		// reports them.
		r.finish(func() bool { return goleak.Find(ignore) == nil })
		stuck.Stop()
		goleak.VerifyNone(t, ignore)
	}()
	body(t)
	returned = true
}

// endedEarly is deferred around a test body, with returned set once the
// body returns. A body can also end by runtime.Goexit: t.FailNow and
// t.SkipNow use it, and so does a labrpc Call made after its network was
// cleaned up, which is how the test's own goroutine ends when it was still
// retrying at the cap. The testing package treats a Goexit that neither
// failed nor skipped the test as a broken test binary and stops every
// test, so endedEarly marks the test failed, with the reason, instead. A
// panic goes on as it was.
func (r *run) endedEarly(returned *bool) {
	if *returned {
		return
	}
	if p := recover(); p != nil {
		panic(p)
	}
	t := r.t
	if t.Skipped() {
		return
	}
	if !t.Failed() {
		t.Errorf("the test's goroutine was ended by a labrpc Call made after its network was cleaned up (Network.Cleanup)")
	}
	t.FailNow()
}

// finish runs the teardowns, waits for the test's goroutines to end, and
// reports the seeds of a failed test.
func (r *run) finish(settled func() bool) {
	r.mu.Lock()
	teardowns := slices.Clone(r.teardowns)
	networks := slices.Clone(r.networks)
	r.mu.Unlock()
	for _, f := range slices.Backward(teardowns) {
		f()
	}
	for _, n := range networks {
		n.Cleanup()
	}
	// A goroutine caught between two states by one look is seen by the
	// next: the test has settled only when two looks a heartbeat apart
	// both find nothing left.
	settledTwice := func() bool {
		if !settled() {
			return false
		}
		time.Sleep(heartbeat)
		return settled()
	}
	done := settledTwice()
	for deadline := time.Now().Add(settleTime); !done && time.Now().Before(deadline); {
		time.Sleep(heartbeat)
		done = settledTwice()
	}
	// Goroutines still running now will fail the test once Run checks them.
	failed := r.t.Failed()
	if !done {
		failed = true
		if r.realtime && waitingForLock() {
			// A goroutine still waits for a lock: a deadlock, which the
			// same test would hit again on any clock.
			results.report(r.t.Name(), labenv.ReportStuck)
		}
		r.t.Errorf("goroutines of the test are still running %v after it ended (listed below).\n"+
			"Every goroutine a test or a server starts must end by the end of the test: Kill must stop\n"+
			"a server's goroutines (tickers select on a done channel), and loops in the test must end.\n"+
			"See docs/debugging.md.", settleTime)
	}
	if failed {
		r.reportFailure(networks)
	}
	if failed || traceAll() {
		r.writeDiagrams(networks, failed)
	}
}

// abort ends a test that ran past its cap: it fails the test and cleans up
// its networks, so that every goroutine blocked in or retrying a Call ends.
func (r *run) abort(limit time.Duration, kind string) {
	if r.aborted.Swap(true) {
		return
	}
	results.report(r.t.Name(), labenv.ReportStuck)
	r.t.Errorf("no progress: the test was still running after %v of %s time, its cap.\n"+
		"Something is retrying forever (a livelock) or waiting for something that never comes.\n"+
		"Goroutines of the test:\n%s", limit, kind, testStacks(!r.realtime))
	r.mu.Lock()
	networks := slices.Clone(r.networks)
	r.mu.Unlock()
	for _, n := range networks {
		n.Cleanup()
	}
}

// giveUp ends the test binary when a test that ran past its cap has not
// ended abortGrace later, or its teardown has not ended abortGrace after
// the body did: something in it waits for what can never come, and nothing
// else could end it before go test's own timeout.
func (r *run) giveUp(what string) {
	results.report(r.t.Name(), labenv.ReportStuck)
	fmt.Fprintf(os.Stderr, "\npblab: %s: no progress: %s, although its networks\n"+
		"were cleaned up. Something waits for what can never come (a channel nobody sends on, a\n"+
		"WaitGroup that is never done, a Kill that waits for a goroutine that never ends).\n"+
		"Goroutines of the test:\n%s\n",
		r.t.Name(), what, testStacks(!r.realtime))
	panic(fmt.Sprintf("pblab: %s: no progress (see above)", r.t.Name()))
}

// NewNetwork returns a network for the test t, with its journal on. Run
// cleans it up when the test ends, and a failing test prints its seed.
func NewNetwork(t *testing.T) *labrpc.Network {
	t.Helper()
	r := current(t)
	n := labrpc.MakeNetwork()
	n.Record(true)
	r.mu.Lock()
	r.networks = append(r.networks, network{Network: n})
	r.mu.Unlock()
	return n
}

// Describe tells the harness what the messages of net, a network the test
// made with NewNetwork, mean: which servers are view services and which
// messages carry a view. It installs d on net, and the diagram of net
// draws the view services' lanes first and marks every new view. Each
// part's tests describe their own services; without a description, the
// diagram shows every server alike and no views.
func Describe(t *testing.T, net *labrpc.Network, d diagram.Description) {
	t.Helper()
	r := current(t)
	r.mu.Lock()
	i := slices.IndexFunc(r.networks, func(n network) bool { return n.Network == net })
	if i >= 0 {
		r.networks[i].description = d
	}
	r.mu.Unlock()
	if i < 0 {
		panic("labtest: " + t.Name() + " describes a network that NewNetwork did not make")
	}
	d.Install(net)
}

// Teardown registers f to run when the test body returns, before Run cleans
// up the networks and checks for goroutines left behind. Teardowns run last
// registered first. Use it to Kill servers.
func Teardown(t *testing.T, f func()) {
	r := current(t)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.teardowns = append(r.teardowns, f)
}

// Failed reports whether the test has failed or been aborted; loops in a
// test's goroutines use it to stop early.
func Failed(t *testing.T) bool {
	return t.Failed() || current(t).aborted.Load()
}

// reportFailure prints the line "seed: N" and the command that replays the
// test with that seed. LABRPC_SEED seeds every network of a test alike, so a
// test with several networks replays exactly only if they shared one seed.
func (r *run) reportFailure(networks []network) {
	if len(networks) == 0 {
		return
	}
	w := r.t.Output()
	seed := networks[0].Seed()
	fmt.Fprintf(w, "seed: %d\n", seed)
	fmt.Fprintf(w, "replay: %s\n", replayCommand(r.t.Name(), seed))
	for i, n := range networks[1:] {
		if n.Seed() != seed {
			fmt.Fprintf(w, "(network %d of this test had seed %d; the replay gives it seed %d)\n", i+2, n.Seed(), seed)
		}
	}
}

// replayCommand is the command that re-runs test with the same seed.
func replayCommand(test string, seed int64) string {
	env := fmt.Sprintf("LABRPC_SEED=%d", seed)
	if labenv.Realtime() {
		env += " PBLAB_REALTIME=1"
	}
	pattern := "^" + strings.ReplaceAll(test, "/", "$/^") + "$"
	return fmt.Sprintf("%s go test -race -run '%s' %s", env, pattern, packageDir())
}

// packageDir is the test's package directory relative to the module root,
// as go test's argument ("./pbservice"): $PBLAB_PACKAGE when the grader
// runs the test outside its folder, or else the working directory's.
func packageDir() string {
	if dir := os.Getenv(labenv.PackageEnv); dir != "" {
		return dir
	}
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	return labenv.PackageDir(wd)
}
