package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// A runSpec says how to run one graded test once.
type runSpec struct {
	bin       string        // the package's compiled test binary
	dir       string        // the package directory (the test's working directory)
	test      string        // the test function
	realtime  bool          // PBLAB_REALTIME=1
	timeout   time.Duration // the test's time limit
	maxOutput int           // bytes of output kept; past it the run is stopped
	env       []string      // extra environment (KEY=VALUE)
}

// A runResult is the outcome of one run of one test.
type runResult struct {
	kind    verdictKind
	verdict string // one line or a few: "passed", "failed: ...", ...
	elapsed time.Duration
	output  []byte // everything the run printed, up to maxOutput
	// For a run whose virtual clock froze, the run on the wall clock that
	// decided it; the frozen run is kept in stalled.
	stalled *runResult
	logPath string // where the output was saved, if it failed
}

func (r *runResult) passed() bool { return r.kind == kindPassed }

// killGrace is how long after its own -test.timeout a test binary has to
// print its goroutine dump and exit before it is killed.
const killGrace = 10 * time.Second

// runOnce runs one test in its own process and classifies the outcome. The
// test binary runs in a process group of its own, so that on a timeout or an
// output flood the whole group is killed, whatever it started.
func runOnce(ctx context.Context, s runSpec) *runResult {
	args := []string{
		"-test.run=^" + s.test + "$",
		"-test.count=1",
		"-test.v=test2json",
		"-test.paniconexit0",
		"-test.timeout=" + s.timeout.String(),
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), s.env...)
	// The race detector sleeps a second at exit by default, to let
	// goroutines finish their reports; a test that has ended has nothing
	// left to report, and the second would double grading's time.
	if gorace := os.Getenv("GORACE"); !strings.Contains(gorace, "atexit_sleep_ms") {
		cmd.Env = append(cmd.Env, "GORACE="+strings.TrimSpace(gorace+" atexit_sleep_ms=0"))
	}
	if s.realtime {
		cmd.Env = append(cmd.Env, "PBLAB_REALTIME=1")
	} else {
		cmd.Env = append(cmd.Env, "PBLAB_REALTIME=0")
	}
	kill := func() { killProcessGroup(cmd) }
	out := &cappedBuffer{limit: s.maxOutput, onFull: kill}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.WaitDelay = 5 * time.Second
	setProcessGroup(cmd)

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return &runResult{kind: kindFailed, verdict: "could not start the test binary: " + err.Error()}
	}
	var (
		mu       sync.Mutex
		timedOut bool
		stop     = make(chan struct{})
	)
	go func() {
		timer := time.NewTimer(s.timeout + killGrace)
		defer timer.Stop()
		select {
		case <-timer.C:
			mu.Lock()
			timedOut = true
			mu.Unlock()
			kill()
		case <-ctx.Done():
			kill()
		case <-stop:
		}
	}()
	err := cmd.Wait()
	close(stop)
	// A killed group may leave grandchildren holding the pipe; make sure
	// none of them outlives the run.
	killProcessGroup(cmd)
	elapsed := time.Since(start)

	exit := exitInfo{}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		exit.code = ee.ExitCode()
		exit.signaled = ee.ExitCode() == -1
	default:
		exit.code = -1
		exit.other = err.Error()
	}
	mu.Lock()
	exit.timedOut = timedOut
	mu.Unlock()
	exit.flooded = out.isFull()
	exit.canceled = ctx.Err() != nil

	o := out.Bytes()
	kind, verdict := classify(s.test, o, exit, s.timeout, s.maxOutput)
	return &runResult{kind: kind, verdict: verdict, elapsed: elapsed, output: o}
}

// cappedBuffer keeps the first limit bytes written to it. Past the limit it
// drops the rest, marks itself full and calls onFull (once), which stops the
// run: a test that floods its output must not fill the grader's memory.
type cappedBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	limit  int
	full   bool
	onFull func()
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	n := len(p)
	if b.full {
		b.mu.Unlock()
		return n, nil
	}
	if room := b.limit - b.buf.Len(); len(p) > room {
		b.buf.Write(p[:max(room, 0)])
		b.full = true
		f := b.onFull
		b.mu.Unlock()
		if f != nil {
			f()
		}
		return n, nil
	}
	b.buf.Write(p)
	b.mu.Unlock()
	return n, nil
}

func (b *cappedBuffer) isFull() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.full
}

func (b *cappedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.buf.Bytes())
}

// listTests returns the names of the tests a test binary holds.
func listTests(bin, dir string) (map[string]bool, error) {
	cmd := exec.Command(bin, "-test.list=.")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("listing the tests of %s: %w", filepath.Base(bin), err)
	}
	names := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "ok ") {
			names[line] = true
		}
	}
	return names, nil
}

// cleanOutput turns a run's raw output (go test -v=test2json framing) into
// what go test -v would have printed.
func cleanOutput(out []byte) []byte {
	return bytes.ReplaceAll(out, []byte{0x16}, nil)
}
