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
	// describe the run on the wall clock (or, if there was none, why).
	Frozen  *RunResult
	LogPath string // where the output was saved, if it failed

	rerun   bool    // Frozen was run again on the wall clock, and that run is this one
	reports reports // what the harness reported on the result channel
}

// Passed reports whether the run passed.
func (r *RunResult) Passed() bool { return r.Kind == Passed }

// costly reports whether the run failed in a way that cost its whole time
// limit, flooded its output, or will fail the same way again: the test's
// later runs are not worth making.
func (r *RunResult) costly() bool {
	switch r.Kind {
	case TimedOut, Flooded, OverLimit, Tampered, OutOfTime:
		return true
	case Stalled:
		return r.Frozen != nil && !r.rerun // frozen, and not run again on the wall clock
	}
	return false
}

// stuck reports whether the run got nowhere on the wall clock: it ran into
// its time limit, or the harness found no progress.
func (r *RunResult) stuck() bool {
	return r.Kind == TimedOut || r.reports.stuck
}

// A runSpec says how to run one graded test once.
type runSpec struct {
	build     *build
	pkg       string        // the package directory, relative to the root
	test      string        // the test function
	realtime  bool          // PBLAB_REALTIME=1
	timeout   time.Duration // the test's time limit
	deadline  time.Time     // the grading's deadline; zero for none
	maxOutput int           // bytes of output kept; past it the run is stopped
	maxMemory int64         // bytes of memory the test process may use
	env       []string      // extra environment (KEY=VALUE)
	workRoot  string        // where the run's private folder is made
	artifacts string        // the folder for the test's artifacts; "" for none
	sandbox   *sandbox      // nil where the machine has none
}

// newRunSpec returns how to run test in the mode opts says.
func (g *grading) newRunSpec(test rubric.Test) runSpec {
	s := runSpec{
		build:     g.builds[test.Package],
		pkg:       test.Package,
		test:      test.Name,
		realtime:  g.opts.Realtime,
		timeout:   g.opts.Timeout,
		deadline:  g.opts.Deadline,
		maxOutput: g.opts.MaxOutput,
		maxMemory: g.opts.MaxMemory,
		env:       g.opts.Env,
		workRoot:  g.workRoot,
		artifacts: g.artifacts,
		sandbox:   g.sandbox,
	}
	if s.realtime {
		s.timeout = g.opts.WallTimeout
	}
	return s
}

// onWallClock returns the spec of the same run on the wall clock.
func (g *grading) onWallClock(s runSpec) runSpec {
	s.realtime = true
	s.timeout = g.opts.WallTimeout
	return s
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

// The limits of a test process besides its time, output and memory.
const (
	maxFileSize = 256 << 20 // bytes of one file it writes (a diagram, say)
	maxFiles    = 1024      // files open at once
)

// cpuLimit is a test process's limit of CPU time: as much as its time
// limit, so that a process that keeps every core busy is stopped that many
// times sooner, and leaves the others their share.
func cpuLimit(timeout time.Duration) int64 {
	return int64((timeout + killGrace).Seconds()) + 1
}

// runOnce runs one test in its own process and classifies the outcome. The
// process starts through the launcher (its limits, and its sandbox where
// the machine allows one), in a process group of its own and a private
// folder; on a timeout, an output flood or too much memory the whole group
// is killed, whatever it started. A pass counts only if the harness
// reported it on the run's result channel.
func runOnce(ctx context.Context, s runSpec) *RunResult {
	if !s.build.unchanged() {
		return &RunResult{Kind: Tampered, Verdict: "the test binary changed since it was built: something rewrote it (the runs before this one, most likely)"}
	}
	work, err := os.MkdirTemp(s.workRoot, "run-")
	if err != nil {
		return &RunResult{Kind: Failed, Verdict: "could not make the run's folder: " + err.Error()}
	}
	defer os.RemoveAll(work)
	channel, err := newResultChannel(s.test)
	if err != nil {
		return &RunResult{Kind: Failed, Verdict: "could not make the result channel: " + err.Error()}
	}
	l := launch{
		Bin: s.build.bin,
		Args: []string{
			"-test.run=^" + s.test + "$",
			"-test.count=1",
			"-test.v=test2json",
			"-test.paniconexit0",
			"-test.timeout=" + s.timeout.String(),
		},
		CPU:      cpuLimit(s.timeout),
		FileSize: maxFileSize,
		Files:    maxFiles,
	}
	if s.sandbox != nil {
		l.Sandbox, l.ReadOnly, l.Writable = true, s.sandbox.readOnly, []string{work}
		if s.artifacts != "" {
			l.Writable = append(l.Writable, s.artifacts)
		}
	}
	cmd, err := l.command()
	if err != nil {
		channel.discard()
		return &RunResult{Kind: Failed, Verdict: "could not start the test binary: " + err.Error()}
	}
	cmd.Dir = work
	cmd.Env = s.environment(work)
	channel.attach(cmd)
	out := &cappedBuffer{limit: s.maxOutput, onFull: func() { killProcessGroup(cmd) }}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.WaitDelay = 5 * time.Second

	start := time.Now()
	if err := cmd.Start(); err != nil {
		channel.discard()
		return &RunResult{Kind: Failed, Verdict: "could not start the test binary: " + err.Error()}
	}
	channel.listen()
	stop := make(chan struct{})
	watched := make(chan exitInfo, 1)
	go func() { watched <- s.watch(ctx, cmd, stop) }()
	err = cmd.Wait()
	close(stop)
	// A killed group may leave grandchildren holding the pipe; make sure
	// none of them outlives the run.
	killProcessGroup(cmd)
	elapsed := time.Since(start)

	exit := <-watched
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
	exit.cpu = exit.signaled && cpuTime(cmd) >= float64(l.CPU)-1
	exit.flooded = out.isFull()
	exit.canceled = ctx.Err() != nil
	exit.reports = channel.close(time.Second)

	o := out.Bytes()
	kind, verdict := classify(s.test, o, exit, limits{timeout: s.timeout, output: s.maxOutput, memory: s.maxMemory, cpu: l.CPU})
	return &RunResult{Kind: kind, Verdict: verdict, Elapsed: elapsed, Output: o, reports: exit.reports}
}

// watch stops the run of cmd when it reaches its time limit or the
// grading's deadline, uses more memory than it may, or grading is
// canceled, until stop is closed. It returns which of those it saw.
func (s runSpec) watch(ctx context.Context, cmd *exec.Cmd, stop <-chan struct{}) exitInfo {
	var exit exitInfo
	limit := s.timeout + killGrace
	byDeadline := false
	if !s.deadline.IsZero() && time.Until(s.deadline) < limit {
		limit, byDeadline = max(time.Until(s.deadline), 0), true
	}
	timer := time.NewTimer(limit)
	defer timer.Stop()
	var poll <-chan time.Time
	if canWatchMemory && s.maxMemory > 0 {
		t := time.NewTicker(memoryPoll)
		defer t.Stop()
		poll = t.C
	}
	for {
		select {
		case <-stop:
			return exit
		case <-ctx.Done():
			killProcessGroup(cmd)
			return exit
		case <-timer.C:
			exit.timedOut, exit.outOfTime = !byDeadline, byDeadline
			killProcessGroup(cmd)
			return exit
		case <-poll:
			if used := groupMemory(cmd.Process.Pid); used > s.maxMemory {
				exit.memory = used
				killProcessGroup(cmd)
				return exit
			}
		}
	}
}

// memoryPoll is how often the grader looks at a test process's memory.
const memoryPoll = 100 * time.Millisecond

// environment returns the environment of a run whose private folder is
// work: the grader's, with its folder as HOME and TMPDIR, the time mode,
// the package (for the replay commands a failing test prints), and where
// artifacts go.
func (s runSpec) environment(work string) []string {
	env := append(os.Environ(), s.env...)
	// The race detector sleeps a second at exit by default, to let
	// goroutines finish their reports; a test that has ended has nothing
	// left to report, and the second would double grading's time.
	if gorace := os.Getenv("GORACE"); !strings.Contains(gorace, "atexit_sleep_ms") {
		env = append(env, "GORACE="+strings.TrimSpace(gorace+" atexit_sleep_ms=0"))
	}
	mode := "0"
	if s.realtime {
		mode = "1"
	}
	env = append(env, labenv.RealtimeEnv+"="+mode, "HOME="+work, "TMPDIR="+work, labenv.PackageEnv+"=./"+s.pkg)
	if s.artifacts != "" {
		env = append(env, labenv.ArtifactDirEnv+"="+s.artifacts)
	}
	return env
}

// cpuTime returns the CPU time, in seconds, a finished process used.
func cpuTime(cmd *exec.Cmd) float64 {
	if cmd.ProcessState == nil {
		return 0
	}
	return (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
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
