package grader

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

	"pblab/internal/labenv"
	"pblab/internal/rubric"
)

// A RunResult is the outcome of one run of one test.
type RunResult struct {
	Kind    Kind
	Verdict string // one line or a few: "passed", "failed: ...", ...
	Elapsed time.Duration
	Output  []byte // everything the run printed, up to the output cap
	// Frozen is, for a run whose virtual clock froze and that was then
	// decided by a run on the wall clock, the frozen run; the other fields
	// describe the run on the wall clock.
	Frozen  *RunResult
	LogPath string // where the output was saved, if it failed
}

// Passed reports whether the run passed.
func (r *RunResult) Passed() bool { return r.Kind == Passed }

// costly reports whether the run failed in a way that cost its whole time
// limit or flooded its output: the test's later runs are not worth making.
func (r *RunResult) costly() bool {
	return r.Kind == TimedOut || r.Kind == Flooded
}

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

// runTest runs one iteration of test. A run whose virtual clock froze is run
// again on the wall clock, and that second run decides.
func runTest(ctx context.Context, opts Options, b *build, test rubric.Test, iter int) *RunResult {
	spec := runSpec{
		bin:       b.bin,
		dir:       filepath.Join(opts.Root, test.Package),
		test:      test.Name,
		realtime:  opts.Realtime,
		timeout:   opts.Timeout,
		maxOutput: opts.MaxOutput,
		env:       opts.Env,
	}
	if opts.ResultsDir != "" {
		// Diagrams and other files a failing test writes go beside its log.
		if dir, err := filepath.Abs(filepath.Join(opts.ResultsDir, "artifacts")); err == nil {
			spec.env = append(slices.Clip(spec.env), labenv.ArtifactDirEnv+"="+dir)
		}
	}
	if opts.Realtime {
		spec.timeout = opts.WallTimeout
	}
	res := runOnce(ctx, spec)
	if res.Kind == Stalled && !opts.Realtime && ctx.Err() == nil {
		return rerunOnWallClock(ctx, opts, spec, test, iter, res)
	}
	if !res.Passed() {
		res.LogPath = saveLog(opts, test, iter, "", spec, res)
	}
	return res
}

// rerunOnWallClock runs again, on the wall clock, the test whose run frozen
// froze in virtual time. The result is the wall-clock run's, with frozen
// kept beside it; both runs keep their logs.
func rerunOnWallClock(ctx context.Context, opts Options, spec runSpec, test rubric.Test, iter int, frozen *RunResult) *RunResult {
	frozen.LogPath = saveLog(opts, test, iter, "virtual", spec, frozen)
	spec.realtime = true
	spec.timeout = opts.WallTimeout
	wall := runOnce(ctx, spec)
	res := &RunResult{
		Kind:    wall.Kind,
		Verdict: StallVerdict + wall.Verdict,
		Elapsed: frozen.Elapsed + wall.Elapsed,
		Output:  wall.Output,
		Frozen:  frozen,
	}
	if wall.Kind == Passed {
		res.Verdict = StallVerdict + "passed"
	}
	if !res.Passed() {
		res.LogPath = saveLog(opts, test, iter, "wallclock", spec, res)
	}
	return res
}

// saveLog keeps the output of a failing run under opts.ResultsDir and
// returns the file's path ("" if logs are not kept).
func saveLog(opts Options, test rubric.Test, iter int, suffix string, spec runSpec, res *RunResult) string {
	if opts.ResultsDir == "" {
		return ""
	}
	if err := os.MkdirAll(opts.ResultsDir, 0o755); err != nil {
		return ""
	}
	name := fmt.Sprintf("%s-%s-run%d", test.Part, test.Name, iter)
	if suffix != "" {
		name += "-" + suffix
	}
	path := filepath.Join(opts.ResultsDir, name+".log")
	mode := "virtual time"
	if spec.realtime {
		mode = "wall clock (PBLAB_REALTIME=1)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "test:     %s (%s, Part %s, %s)\n", test.Name, test.Package, test.Part, points(test.Points))
	fmt.Fprintf(&b, "run:      %d of %d, %s, race detector %s, time limit %s\n", iter, opts.N, mode, onOff(opts.Race), durationString(spec.timeout))
	fmt.Fprintf(&b, "verdict:  %s\n", res.Verdict)
	if test.Doc != "" {
		fmt.Fprintf(&b, "docs:     %s\n", test.Doc)
	}
	env := ""
	if spec.realtime {
		env = "PBLAB_REALTIME=1 "
	}
	fmt.Fprintf(&b, "re-run:   %sgo test -race -count=1 -run '^%s$' ./%s\n\n", env, test.Name, test.Package)
	b.Write(cleanOutput(res.Output))
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return ""
	}
	return path
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// killGrace is how long after its own -test.timeout a test binary has to
// print its goroutine dump and exit before it is killed.
const killGrace = 10 * time.Second

// runOnce runs one test in its own process and classifies the outcome. The
// test binary runs in a process group of its own, so that on a timeout or an
// output flood the whole group is killed, whatever it started.
func runOnce(ctx context.Context, s runSpec) *RunResult {
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
		cmd.Env = append(cmd.Env, labenv.RealtimeEnv+"=1")
	} else {
		cmd.Env = append(cmd.Env, labenv.RealtimeEnv+"=0")
	}
	kill := func() { killProcessGroup(cmd) }
	out := &cappedBuffer{limit: s.maxOutput, onFull: kill}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.WaitDelay = 5 * time.Second
	setProcessGroup(cmd)

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return &RunResult{Kind: Failed, Verdict: "could not start the test binary: " + err.Error()}
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
	return &RunResult{Kind: kind, Verdict: verdict, Elapsed: elapsed, Output: o}
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

// cleanOutput turns a run's raw output (go test -v=test2json framing) into
// what go test -v would have printed.
func cleanOutput(out []byte) []byte {
	return bytes.ReplaceAll(out, []byte{0x16}, nil)
}
