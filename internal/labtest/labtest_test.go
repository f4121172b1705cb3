package labtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/labenv"
	"pblab/labsync"
)

// Some of the harness's guards end a test, or the whole test binary, on
// purpose. Those scenarios run as TestScenario in a child process of this
// test binary, chosen by scenarioEnv; the tests below check the child's
// output.
const scenarioEnv = "PBLAB_LABTEST_SCENARIO"

// scenarios are the bodies of TestScenario, by name.
var scenarios = map[string]func(t *testing.T){
	// A goroutine holds a sync.Mutex across a sleep while another waits
	// for it: the virtual clock freezes.
	"mutex-stall": func(t *testing.T) {
		Run(t, func(t *testing.T) {
			net := NewNetwork(t)
			Describe(t, net, description)
			require.NoError(t, net.AddServer("vs", &ViewServer{}))
			net.MakeEnd("s1").Call("vs", "ViewServer.Ping", &PingArgs{Me: "s1"}, &PingReply{})
			var mu sync.Mutex
			counter := 0
			locked := make(chan struct{})
			go func() {
				mu.Lock()
				close(locked)
				time.Sleep(time.Second)
				counter++
				mu.Unlock()
			}()
			<-locked
			holdMutexWaiting(&mu, &counter)
		})
	},
	// A clerk-like loop retries a call that always fails, sleeping
	// between tries, in the test's own goroutine: a livelock.
	"livelock": func(t *testing.T) {
		Run(t, func(t *testing.T) {
			net := NewNetwork(t)
			require.NoError(t, net.AddServer("server", &Looper{}))
			end := net.MakeEnd("clerk")
			for !end.Call("server", "Looper.Refuse", &LoopArgs{}, &LoopReply{}) {
				time.Sleep(100 * time.Millisecond)
			}
		}, MaxVirtual(5*time.Second))
	},
	// The same livelock in clerk goroutines, which the test waits for.
	"livelock-goroutines": func(t *testing.T) {
		Run(t, func(t *testing.T) {
			net := NewNetwork(t)
			require.NoError(t, net.AddServer("server", &Looper{}))
			var wg sync.WaitGroup
			for range 3 {
				end := net.MakeEnd("clerk")
				wg.Go(func() {
					for !end.Call("server", "Looper.Refuse", &LoopArgs{}, &LoopReply{}) {
						time.Sleep(100 * time.Millisecond)
					}
				})
			}
			wg.Wait()
		}, MaxVirtual(time.Second))
	},
	// The test waits for something that never comes, and not in a Call:
	// cleaning up its network cannot end it.
	"wait-forever": func(t *testing.T) {
		Run(t, func(t *testing.T) {
			NewNetwork(t)
			never := make(chan struct{})
			<-never
		}, MaxVirtual(time.Second))
	},
	// A teardown that never returns (a Kill waiting for a goroutine that
	// never ends).
	"teardown-hangs": func(t *testing.T) {
		Run(t, func(t *testing.T) {
			never := make(chan struct{})
			Teardown(t, func() { <-never })
		})
	},
	// A test goroutine's loop that stops once the test has failed.
	"failed-flag": func(t *testing.T) {
		Run(t, func(t *testing.T) {
			var wg sync.WaitGroup
			wg.Go(func() {
				for !Failed(t) {
					time.Sleep(100 * time.Millisecond)
				}
				fmt.Println("the loop saw Failed(t)")
			})
			wg.Wait()
		}, MaxVirtual(time.Second))
	},
	// A goroutine spins without ever blocking: the clock stands still,
	// but the spinner might yet stop.
	"busy-loop": func(t *testing.T) {
		Run(t, func(t *testing.T) {
			for spin := true; spin; {
				spin = time.Now().Year() > 0
			}
		})
	},
	// A test that passes through Run.
	"pass": func(t *testing.T) {
		Run(t, func(t *testing.T) {})
	},
	// A test that passes without Run.
	"no-harness": func(t *testing.T) {},
	// A test skipped inside Run.
	"skip": func(t *testing.T) {
		Run(t, func(t *testing.T) { t.Skip("skipped") })
	},
	// A goroutine of the test locks a mutex it holds: it waits for ever.
	"self-deadlock": func(t *testing.T) {
		Run(t, func(t *testing.T) {
			var mu sync.Mutex
			locked := make(chan struct{})
			go func() {
				mu.Lock()
				close(locked)
				mu.Lock()
			}()
			<-locked
		})
	},
	// The test's own goroutine takes a lock it holds, as a handler that
	// calls a locking helper under its lock does: a deadlock on any clock.
	"deadlock": func(t *testing.T) {
		Run(t, func(t *testing.T) {
			var mu sync.Mutex
			mu.Lock()
			lockTwice(&mu)
		})
	},
	// A goroutine of the test outlives it.
	"leak": func(t *testing.T) {
		Run(t, func(t *testing.T) {
			never := make(chan struct{})
			go func() { <-never }()
		})
	},
}

// holdMutexWaiting waits for mu, which another goroutine holds across a
// sleep. Its name shows in the watchdog's report.
func holdMutexWaiting(mu *sync.Mutex, counter *int) {
	mu.Lock()
	*counter++
	mu.Unlock()
}

// lockTwice takes mu, which its caller holds, to count: it never returns.
func lockTwice(mu *sync.Mutex) {
	mu.Lock()
	defer mu.Unlock()
	lockedCount++
}

// lockedCount is what lockTwice counts.
var lockedCount int

// Looper is a service whose one method always fails.
type Looper struct{}

type LoopArgs struct{ N int }
type LoopReply struct{ N int }

func (*Looper) Refuse(args *LoopArgs, reply *LoopReply) error { return errors.New("refused") }

// TestMain runs the harness's own tests through Main, as every graded
// package's do.
func TestMain(m *testing.M) { Main(m) }

// TestScenario runs one scenario, in a child process only.
func TestScenario(t *testing.T) {
	name := os.Getenv(scenarioEnv)
	if name == "" {
		t.Skip("runs only as a child process of the harness's own tests")
	}
	scenarios[name](t)
}

// runScenario runs a scenario in a child process and returns its output
// and whether it passed.
func runScenario(t *testing.T, name string, env ...string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run", "^TestScenario$", "-test.count", "1", "-test.v")
	cmd.Env = append(os.Environ(), scenarioEnv+"="+name, labenv.ArtifactDirEnv+"="+t.TempDir(), "PBLAB_REALTIME=")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, ctx.Err(), "the scenario %q must end by itself; output:\n%s", name, out)
	return string(out), err == nil
}

// runScenarioReporting runs a scenario in a child process as the grader
// does, with a result channel, and returns the reports that came on it.
func runScenarioReporting(t *testing.T, name string, env ...string) []labenv.Report {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestScenario$", "-test.count=1")
	cmd.Env = append(os.Environ(), scenarioEnv+"="+name, labenv.ArtifactDirEnv+"="+t.TempDir(), "PBLAB_REALTIME=",
		labenv.ReportFDEnv+"=3", labenv.ReportTokenEnv+"=5eed")
	cmd.Env = append(cmd.Env, env...)
	cmd.ExtraFiles = []*os.File{w}
	require.NoError(t, cmd.Start())
	w.Close()
	data, err := io.ReadAll(r)
	require.NoError(t, err)
	_ = cmd.Wait()
	require.NoError(t, ctx.Err(), "the scenario %q must end by itself", name)
	var reports []labenv.Report
	for line := range strings.Lines(string(data)) {
		rep, ok := labenv.ParseReport(line)
		require.True(t, ok, "the channel carries only reports: %q", line)
		assert.Equal(t, "5eed", rep.Token, "a report carries the run's token")
		assert.Equal(t, "TestScenario", rep.Test, "a report names the test -test.run selects")
		reports = append(reports, rep)
	}
	return reports
}

// verbs returns the verbs of reports, in order.
func verbs(reports []labenv.Report) []labenv.ReportVerb {
	var v []labenv.ReportVerb
	for _, r := range reports {
		v = append(v, r.Verb)
	}
	return v
}

// Main reports on the grader's result channel: a pass only for a test that
// passed through Run, a frozen clock and a test with no progress as they
// happen.
func TestMainReports(t *testing.T) {
	for _, c := range []struct {
		scenario, realtime string
		want               []labenv.ReportVerb
		why                string
	}{
		{"pass", "", []labenv.ReportVerb{labenv.ReportStart, labenv.ReportPass}, "a test that passed through Run passes"},
		{"no-harness", "", []labenv.ReportVerb{labenv.ReportStart, labenv.ReportFail}, "a test that passed without Run does not"},
		{"skip", "", []labenv.ReportVerb{labenv.ReportStart, labenv.ReportFail}, "nor does a test skipped in Run"},
		{"mutex-stall", "", []labenv.ReportVerb{labenv.ReportStart, labenv.ReportStall}, "a frozen clock is reported, and ends the binary"},
		{"deadlock", "", []labenv.ReportVerb{labenv.ReportStart, labenv.ReportDeadlock},
			"a deadlock, which the wall clock could not end either, is reported as one (not as a stall to run again)"},
		{"livelock", "", []labenv.ReportVerb{labenv.ReportStart, labenv.ReportStuck, labenv.ReportFail}, "a test at its cap is stuck, then fails"},
		{"self-deadlock", "1", []labenv.ReportVerb{labenv.ReportStart, labenv.ReportStuck, labenv.ReportFail},
			"on the wall clock, a goroutine still waiting for a lock after the test is stuck"},
	} {
		got := verbs(runScenarioReporting(t, c.scenario, labenv.RealtimeEnv+"="+c.realtime))
		assert.Equal(t, c.want, got, "%s: %s", c.scenario, c.why)
	}
}

// A sync.Mutex held across a sleep while another goroutine waits for it
// freezes the virtual clock. The watchdog must end the run within
// PBLAB_STALL_TIMEOUT, with the marker, the explanation, and the goroutine
// stuck in sync.Mutex.Lock.
func TestWatchdogFrozenClock(t *testing.T) {
	start := time.Now()
	out, passed := runScenario(t, "mutex-stall", "PBLAB_STALL_TIMEOUT=1s")
	assert.False(t, passed, "a frozen clock must fail the run; output:\n%s", out)
	assert.Less(t, time.Since(start), time.Minute, "the watchdog must end the run soon after PBLAB_STALL_TIMEOUT")
	assert.Contains(t, out, labenv.StallMarker+" TestScenario", "the report starts with the stall marker and the test's name")
	assert.Contains(t, out, "the virtual clock has not moved for 1s of real time", "the report says what happened")
	assert.Contains(t, out, "a goroutine waits in sync.Mutex.Lock", "the report explains the cause")
	assert.Contains(t, out, "use labsync.Mutex", "the report says how to fix it")
	assert.Contains(t, out, "PBLAB_REALTIME=1", "the report says how to run the test on the wall clock")
	assert.Regexp(t, `goroutine \d+ \[sync\.Mutex\.Lock`, out, "the report lists the goroutine waiting for the mutex")
	assert.Contains(t, out, "holdMutexWaiting", "the report shows the waiting goroutine's stack")
	assert.Regexp(t, `(?m)^seed: \d+$`, out, "the report gives the network's seed")
	paths := regexp.MustCompile(`(?m)^diagram: (.+)$`).FindStringSubmatch(out)
	require.NotNil(t, paths, "the report gives the path of the network's diagram")
	page, err := os.ReadFile(paths[1])
	require.NoError(t, err, "the diagram of a frozen test is written")
	assert.Contains(t, string(page), `{"name":"vs","role":"viewservice"}`, "the diagram of a frozen test is drawn as any other")
}

// When no goroutine of the test can run and one waits for a lock, the clock
// can never move again: the watchdog need not wait for PBLAB_STALL_TIMEOUT
// (20 s here).
func TestWatchdogSeesLockUpSoon(t *testing.T) {
	out, passed := runScenario(t, "mutex-stall", labenv.StallTimeoutEnv+"=")
	assert.False(t, passed, "a frozen clock must fail the run; output:\n%s", out)
	assert.Contains(t, out, "and it never will:\nno goroutine of the test can run, and one waits for a lock",
		"the watchdog ends the run as soon as it is sure, and says why")
}

// A goroutine that spins may stop by itself: the watchdog waits for
// PBLAB_STALL_TIMEOUT before it calls the clock frozen.
func TestWatchdogWaitsOutBusyLoop(t *testing.T) {
	out, passed := runScenario(t, "busy-loop", labenv.StallTimeoutEnv+"=4s")
	assert.False(t, passed, "a frozen clock must fail the run; output:\n%s", out)
	assert.Contains(t, out, "the virtual clock has not moved for 4s of real time.\n", "a busy loop gets PBLAB_STALL_TIMEOUT")
	assert.Regexp(t, `goroutine \d+ \[(running|runnable)`, out, "the report lists the spinning goroutine first")
}

// The same scenario with labsync.Mutex runs: its waiters are durably
// blocked, so the clock moves on.
func TestLabsyncMutexAcrossSleep(t *testing.T) {
	var waited time.Duration
	Run(t, func(t *testing.T) {
		var mu labsync.Mutex
		locked := make(chan struct{})
		go func() {
			mu.Lock()
			close(locked)
			time.Sleep(200 * time.Millisecond)
			mu.Unlock()
		}()
		<-locked
		start := time.Now()
		mu.Lock()
		waited = time.Since(start)
		mu.Unlock()
	})
	assert.GreaterOrEqual(t, waited, 200*time.Millisecond, "the waiter gets the lock once the holder has slept and unlocked")
}

// A livelock runs into the cap: the test fails with "no progress", its
// networks are cleaned up, and the retry loop ends, even in the test's own
// goroutine, as a test failure rather than a broken test binary.
func TestCapFailsLivelock(t *testing.T) {
	for _, c := range []struct {
		scenario, mode, cap string
	}{
		{"livelock", "", "5s of virtual time"},
		{"livelock-goroutines", "", "1s of virtual time"},
		{"livelock-goroutines", "1", "1s of real time"},
	} {
		out, passed := runScenario(t, c.scenario, "PBLAB_REALTIME="+c.mode)
		assert.False(t, passed, "%s: a livelock must fail; output:\n%s", c.scenario, out)
		assert.Contains(t, out, "no progress: the test was still running after "+c.cap+", its cap", "%s: the failure names the cap", c.scenario)
		assert.Contains(t, out, "retrying forever (a livelock)", "%s: the failure explains itself", c.scenario)
		assert.Contains(t, out, "--- FAIL: TestScenario", "%s: the test fails as a test", c.scenario)
		assert.NotContains(t, out, "panic:", "%s: the test binary must not panic", c.scenario)
		assert.Contains(t, out, "seed: ", "%s: a failing test prints its seed", c.scenario)
		assert.Contains(t, out, "labtest_test.go:", "%s: the failure shows where the test's goroutines are", c.scenario)
	}
}

// A test that still does not end once its networks are cleaned up cannot
// be ended from inside: the harness stops the binary with an explanation
// rather than hang until go test's timeout.
func TestCapGivesUp(t *testing.T) {
	out, passed := runScenario(t, "wait-forever")
	assert.False(t, passed, "a test that never ends must fail; output:\n%s", out)
	assert.Contains(t, out, "no progress: the test was still running after 1s of virtual time", "the cap fails the test first")
	assert.Contains(t, out, "pblab: TestScenario: no progress: still running 20s after its cap", "then the harness gives up, saying why")
	assert.Contains(t, out, "waits for what can never come", "and explains")
	assert.Contains(t, out, "chan receive (durable)", "and shows the goroutine that waits")

	out, passed = runScenario(t, "teardown-hangs")
	assert.False(t, passed, "a teardown that never ends must fail; output:\n%s", out)
	assert.Contains(t, out, "pblab: TestScenario: no progress: its teardown still running 20s after the test body ended",
		"the harness gives up on a teardown that never ends")
}

// A goroutine that outlives its test fails it, in both modes.
func TestLeftGoroutineFails(t *testing.T) {
	out, passed := runScenario(t, "leak")
	assert.False(t, passed, "virtual time: a goroutine left behind must fail the test; output:\n%s", out)
	assert.Contains(t, out, "goroutines of the test are still running", "virtual time: the failure says why")
	assert.Contains(t, out, "Kill must stop", "virtual time: the failure says what to do")

	out, passed = runScenario(t, "leak", "PBLAB_REALTIME=1")
	assert.False(t, passed, "real time: a goroutine left behind must fail the test; output:\n%s", out)
	assert.Contains(t, out, "goroutines of the test are still running", "real time: the failure says why")
	assert.Contains(t, out, "found unexpected goroutines", "real time: goleak lists the goroutine")
}

// Teardowns run when the body returns, last registered first, before the
// networks are cleaned up; then Run waits for the test's goroutines to end.
func TestTeardownOrderAndSettle(t *testing.T) {
	var order []string
	var callInTeardown atomic.Bool
	var ended atomic.Bool
	Run(t, func(t *testing.T) {
		net := NewNetwork(t)
		require.NoError(t, net.AddServer("server", &Echoer{}))
		end := net.MakeEnd("client")
		done := make(chan struct{})
		// A server goroutine that takes a while to stop after Kill.
		go func() {
			<-done
			time.Sleep(time.Second)
			ended.Store(true)
		}()
		Teardown(t, func() { order = append(order, "first") })
		Teardown(t, func() {
			order = append(order, "kill")
			close(done)
		})
		Teardown(t, func() {
			order = append(order, "last")
			callInTeardown.Store(end.Call("server", "Echoer.Echo", &LoopArgs{N: 1}, &LoopReply{}))
		})
		order = append(order, "body")
	})
	assert.Equal(t, []string{"body", "last", "kill", "first"}, order, "teardowns run after the body, last registered first")
	assert.True(t, callInTeardown.Load(), "teardowns run before the networks are cleaned up: a call from one still works")
	assert.True(t, ended.Load(), "Run waits for the test's goroutines to end")
}

// Echoer replies with its args.
type Echoer struct{}

func (*Echoer) Echo(args *LoopArgs, reply *LoopReply) { reply.N = args.N }

// Failed reports an aborted test, so that loops in test goroutines can stop.
func TestFailedAfterAbort(t *testing.T) {
	out, passed := runScenario(t, "failed-flag")
	assert.False(t, passed, "output:\n%s", out)
	assert.Contains(t, out, "no progress", "the loop runs into the cap")
	assert.Contains(t, out, "the loop saw Failed(t)", "Failed reports the aborted test to the loop")
	Run(t, func(t *testing.T) {
		assert.False(t, Failed(t), "a running test has not failed")
	})
}

// bubbleOf reads the bubble from a goroutine header.
func TestBubbleOf(t *testing.T) {
	for header, want := range map[string]string{
		"goroutine 7 [chan receive, synctest bubble 3]:":                      "3",
		"goroutine 7 [select (durable), 2 minutes, synctest bubble 12]:":      "12",
		"goroutine 7 [sleep, synctest bubble 40 labels:{\"a\": \"b\"}]:":      "40",
		"goroutine 7 [running]:":                                              "",
		"goroutine 8 [sync.Mutex.Lock, locked to thread, synctest bubble 5]:": "5",
	} {
		assert.Equal(t, want, bubbleOf(header), header)
	}
}
