// Package driver is the command side of the explorer (go run ./grading
// explore): it builds the test binary of the part to explore (viewservice
// or pbservice), runs its explorer test (see pblab/internal/explore) with a
// request, shows the progress the test reports, reads its result, writes
// the counterexample's replay file and Go test beside the artifacts the
// test wrote, and reports, ending with the line
//
//	explore: N scenarios in Ts, no violation
//
// or
//
//	explore: VIOLATION <kind>: <what>; shrunk from X to Y events; replay: <command>
//
// It works on any tree of the lab: the instructors' (with the reference
// solution), a student's handout, or a student's submission laid over with
// the official files (internal/submission).
package driver

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"pblab/internal/explore/plan"
	"pblab/internal/grader"
	"pblab/internal/labenv"
	"pblab/internal/mutants"
	"pblab/internal/submission"
)

// Options say what to explore, and how.
type Options struct {
	Part       string        // "A", "B", or "" for both, each with half the budget
	Budget     time.Duration // how long to search
	Seed       int64         // the first Part B scenario's seed; 0 for a random one
	Out        string        // where the counterexample's files go
	Replay     string        // a replay file to run instead of searching
	Submission string        // a student's tree to explore instead of this one
	Root       string        // the lab's tree this command runs in
	Race       bool          // build with the race detector
	Overlay    string        // a go build -overlay file (instructors: a changed solution)
	Mutant     string        // a mutant of grading/mutants to explore (instructors)
	Servers    int           // 0: Part A's 3, Part B's random 2 to 4
	Workers    int           // Part B scenarios run at once; 0: all CPUs
	Tries      int           // runs of each candidate while shrinking; 0: plan.DefaultTries
	Shrink     time.Duration // time for shrinking; 0: plan.DefaultShrinkBudget
	NoCore     bool          // skip Part B's exhaustive check of the core
	Faults     []string      // the kinds of fault Part B's scenarios draw from; all if empty
	Quiet      bool          // no progress lines
	Stdout     io.Writer
	// Rejected holds the packages of a submission that may not be built,
	// and why (internal/submission); -submission fills it in.
	Rejected map[string]string
}

// An Outcome is what an exploration found.
type Outcome struct {
	Scenarios int
	Elapsed   time.Duration
	Part      string          // the part of the violation, if any
	Violation *plan.Violation // nil if none was found
	Command   string          // the command that replays it
	Notes     []string
}

// partPackage is the package each part's explorer test lives in.
var partPackage = map[string]struct{ pkg, test string }{
	"A": {"viewservice", "TestExploreViewState"},
	"B": {"pbservice", "TestExplorePB"},
}

// Run explores as o says and reports to o.Stdout, ending with the line
// above. The error is for an exploration that could not run.
func Run(ctx context.Context, o Options) (*Outcome, error) {
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	start := time.Now()
	if err := plan.CheckFaultKinds(o.Faults); err != nil {
		return nil, err
	}
	root, cleanup, err := prepare(&o)
	if err != nil {
		return nil, err
	}
	defer cleanup()

	var replay *plan.Replay
	parts := []string{"A", "B"}
	switch {
	case o.Replay != "":
		if replay, err = plan.ReadReplay(o.Replay); err != nil {
			return nil, err
		}
		parts = []string{replay.Part}
	case o.Part != "":
		parts = []string{o.Part}
	}
	if o.Seed == 0 {
		o.Seed = plan.RandomSeed()
	}
	out := &Outcome{}
	budget := o.Budget / time.Duration(len(parts))
	for _, part := range parts {
		res, err := o.runPart(ctx, root, part, budget, replay)
		if err != nil {
			return nil, err
		}
		out.Scenarios += res.Scenarios
		out.Notes = append(out.Notes, res.Notes...)
		for _, n := range res.Notes {
			fmt.Fprintln(o.Stdout, n)
		}
		if res.Violation != nil {
			out.Part, out.Violation = part, res.Violation
			out.Command = o.replayCommand(filepath.Join(o.Out, "replay.json"))
			break
		}
	}
	out.Elapsed = time.Since(start)
	if out.Violation != nil {
		if err := o.writeCounterexample(out); err != nil {
			return nil, err
		}
	}
	Report(o.Stdout, out)
	return out, nil
}

// prepare finds the tree to explore: the submission laid over with the
// official files, or the tree itself. It fills in o.Out and o.Overlay.
func prepare(o *Options) (string, func(), error) {
	none := func() {}
	if o.Out == "" {
		o.Out = filepath.Join("results", "explore-"+time.Now().Format("20060102-150405"))
	}
	out, err := filepath.Abs(o.Out)
	if err != nil {
		return "", none, err
	}
	o.Out = out
	root := o.Root
	var cleanups []func()
	cleanup := func() {
		for _, f := range cleanups {
			f()
		}
	}
	if o.Submission != "" {
		dir, err := os.MkdirTemp("", "pblab-explore-")
		if err != nil {
			return "", none, err
		}
		cleanups = append(cleanups, func() { os.RemoveAll(dir) })
		intake, err := submission.Prepare(o.Submission, o.Root, dir, nil)
		if err != nil {
			cleanup()
			return "", none, err
		}
		fmt.Fprintf(o.Stdout, "explore: the student's files of the submission in %s, with the official tree\n", o.Submission)
		for _, n := range intake.Notes {
			fmt.Fprintf(o.Stdout, "  %s\n", n)
		}
		o.Rejected = intake.Rejected
		root = dir
	}
	if o.Mutant != "" {
		path, remove, err := mutantOverlay(o.Root, root, o.Mutant)
		if err != nil {
			cleanup()
			return "", none, err
		}
		cleanups = append(cleanups, remove)
		o.Overlay = path
	}
	return root, cleanup, nil
}

// mutantOverlay returns the overlay that applies the mutant called name,
// from the grading/mutants of the tree official, to the tree at root.
func mutantOverlay(official, root, name string) (string, func(), error) {
	ms, err := mutants.Load(official)
	if err != nil {
		return "", nil, err
	}
	for _, m := range ms {
		if m.Name == name {
			return m.Overlay(root)
		}
	}
	return "", nil, fmt.Errorf("no mutant called %q in %s", name, filepath.Join(official, "grading", "mutants"))
}

// replayCommand is the command that replays the counterexample in file.
func (o *Options) replayCommand(file string) string {
	cmd := "go run ./grading explore -replay " + relative(file)
	if o.Submission != "" {
		cmd += " -submission " + o.Submission
	}
	if o.Mutant != "" {
		cmd += " -mutant " + o.Mutant
	} else if o.Overlay != "" {
		cmd += " -overlay " + o.Overlay
	}
	return cmd
}

// relative returns path relative to the working directory, if it is below
// it.
func relative(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

// runPart builds the part's test binary, runs its explorer test with a
// request, and returns its result.
func (o *Options) runPart(ctx context.Context, root, part string, budget time.Duration, replay *plan.Replay) (*plan.Result, error) {
	target := partPackage[part]
	if why, ok := o.Rejected[target.pkg]; ok {
		return nil, fmt.Errorf("part %s: the submission's files of %s were rejected, so its tests are not built: %s", part, target.pkg, why)
	}
	work, err := os.MkdirTemp("", "pblab-explore-run-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, target.pkg+".test")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if !o.Quiet {
		fmt.Fprintf(o.Stdout, "explore: part %s: building the tests of ./%s\n", part, target.pkg)
	}
	if err := build(ctx, root, target.pkg, bin, o.Race, o.Overlay); err != nil {
		return nil, err
	}
	req := &plan.Request{
		Part: part, Mode: plan.ModeSearch, Budget: plan.Duration(budget), Seed: o.Seed,
		Servers: o.Servers, Workers: o.Workers, Tries: o.Tries, ShrinkBudget: plan.Duration(o.Shrink), NoCore: o.NoCore, Faults: o.Faults,
		OutDir: o.Out, Result: filepath.Join(work, "result.json"),
		ReplayCommand: o.replayCommand(filepath.Join(o.Out, "replay.json")),
	}
	if replay != nil {
		req.Mode, req.Replay = plan.ModeReplay, replay
	}
	reqPath := filepath.Join(work, "request.json")
	data, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(reqPath, data, 0o644); err != nil {
		return nil, err
	}
	limit := budget + o.shrinkBudget() + 2*time.Minute
	output, runErr := o.runTest(ctx, bin, filepath.Join(root, target.pkg), target.test, reqPath, limit, part, budget)
	res := &plan.Result{}
	data, err = os.ReadFile(req.Result)
	if err != nil && part == "B" && strings.Contains(output, "panic: ") {
		if replay != nil && replay.Scenario != nil {
			return panicResult(replay.Scenario, output), nil
		}
		if res := o.findPanic(ctx, bin, filepath.Join(root, target.pkg), target.test, req, budget); res != nil {
			return res, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("part %s: the explorer's test gave no result (%v):\n%s", part, runErr, tail(output, 40))
	}
	if err := json.Unmarshal(data, res); err != nil {
		return nil, fmt.Errorf("part %s: reading the explorer's result: %w", part, err)
	}
	return res, nil
}

// findPanic replays, one at a time, the scenarios the workers of a test
// binary that died of a panic were running, and returns the first that
// panics again as a violation, or nil.
func (o *Options) findPanic(ctx context.Context, bin, dir, test string, search *plan.Request, budget time.Duration) *plan.Result {
	for w := range max(o.Workers, runtime.GOMAXPROCS(0)) {
		data, err := os.ReadFile(plan.RunningFile(search.Result, w))
		if err != nil {
			continue
		}
		sc := &plan.Scenario{}
		if json.Unmarshal(data, sc) != nil {
			continue
		}
		req := *search
		req.Mode, req.Tries, req.Workers = plan.ModeReplay, 1, 1
		req.Replay = &plan.Replay{Part: "B", Scenario: sc}
		req.Result = filepath.Join(filepath.Dir(search.Result), fmt.Sprintf("replay-%d.json", w))
		reqPath := req.Result + ".request"
		if data, err = json.Marshal(&req); err != nil || os.WriteFile(reqPath, data, 0o644) != nil {
			continue
		}
		quiet := *o
		quiet.Quiet = true
		output, _ := quiet.runTest(ctx, bin, dir, test, reqPath, 2*time.Minute, "B", budget)
		if _, err := os.Stat(req.Result); err == nil || !strings.Contains(output, "panic: ") {
			continue // it ran to the end this time
		}
		return panicResult(sc, output)
	}
	return nil
}

// panicResult is the result of a scenario that made the test binary
// panic: a violation, unshrunk (every run of it ends the binary).
func panicResult(sc *plan.Scenario, output string) *plan.Result {
	v := plan.Verdict{Kind: "panic", What: firstLineWith(output, "panic: "), Doc: "docs/README.md#the-rules-of-the-game"}
	return &plan.Result{Part: "B", Scenarios: 1, Violation: &plan.Violation{
		Kind: v.Kind, What: v.What, Doc: v.Doc,
		Details:  []string{"scenario: " + sc.String(), "the panic, as the test binary printed it:\n" + tail(output, 30)},
		Original: sc.Events(), Events: sc.Events(), Failures: 1, Tries: 1,
		Replay: plan.Replay{Part: "B", Scenario: sc, Verdict: v},
	}}
}

// firstLineWith returns the first line of s that holds marker, from the
// marker on, cut to a readable length.
func firstLineWith(s, marker string) string {
	for line := range strings.Lines(s) {
		if i := strings.Index(line, marker); i >= 0 {
			line = strings.TrimSpace(line[i+len(marker):])
			if len(line) > 300 {
				line = line[:300] + "…"
			}
			return line
		}
	}
	return ""
}

func (o *Options) shrinkBudget() time.Duration {
	if o.Shrink > 0 {
		return o.Shrink
	}
	return plan.DefaultShrinkBudget
}

// build compiles the test binary of pkg in the tree at root.
func build(ctx context.Context, root, pkg, bin string, race bool, overlay string) error {
	args := []string{"test", "-c", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	if overlay != "" {
		args = append(args, "-overlay", overlay)
	}
	args = append(args, "./"+pkg)
	cmd := exec.CommandContext(ctx, grader.GoCommand(), args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the tests of ./%s: %w\n%s", pkg, err, tail(string(out), 20))
	}
	return nil
}

// runTest runs the explorer test of a test binary with the request at
// reqPath, showing its progress, and returns its output but for the
// progress lines.
func (o *Options) runTest(ctx context.Context, bin, dir, test, reqPath string, limit time.Duration, part string, budget time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-test.run=^"+test+"$", "-test.count=1", "-test.timeout="+limit.String())
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), plan.RequestEnv+"="+reqPath, labenv.RealtimeEnv+"=0")
	if gorace := os.Getenv("GORACE"); !strings.Contains(gorace, "atexit_sleep_ms") {
		cmd.Env = append(cmd.Env, "GORACE="+strings.TrimSpace(gorace+" atexit_sleep_ms=0"))
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	other := &cappedBuffer{limit: 1 << 20}
	cmd.Stderr = other
	if err := cmd.Start(); err != nil {
		return "", err
	}
	p := newProgress(o.Stdout, part, budget, o.Quiet)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if data, ok := strings.CutPrefix(line, plan.ProgressPrefix); ok {
			var pr plan.Progress
			if json.Unmarshal([]byte(data), &pr) == nil {
				p.show(pr)
			}
			continue
		}
		if line != "" {
			other.Write([]byte(line + "\n"))
		}
	}
	err = cmd.Wait()
	p.done()
	if ctx.Err() != nil && !errors.Is(ctx.Err(), context.Canceled) {
		err = fmt.Errorf("the explorer's test ran past its limit of %v", limit)
	}
	return other.String(), err
}

// cappedBuffer keeps the first limit bytes written to it. It is safe for
// concurrent use.
type cappedBuffer struct {
	mu    sync.Mutex
	b     strings.Builder
	limit int
}

func (w *cappedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := w.limit - w.b.Len(); room > 0 {
		w.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (w *cappedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
