package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"pblab/internal/labtest"
	"pblab/internal/rubric"
)

// gradeOptions says what to grade and how.
type gradeOptions struct {
	root        string        // module root of the tree to grade
	tests       []rubric.Test // the graded tests to run
	n           int           // iterations of each test
	p           int           // tests run at once
	race        bool          // build with -race
	realtime    bool          // run on the wall clock
	timeout     time.Duration // per run, in virtual-time mode
	wallTimeout time.Duration // per run on the wall clock (-realtime, and stall re-runs)
	maxOutput   int           // bytes of output kept per run
	resultsDir  string        // where failing runs' logs go; "" keeps none
	buildFlags  []string      // extra flags for go test -c (such as -overlay)
	env         []string      // extra environment for the tests
	progress    progress      // nil: silent
}

// A testResult is the grade of one graded test over all its runs.
type testResult struct {
	test    rubric.Test
	runs    []*runResult
	passes  int
	elapsed time.Duration // total over the runs
	verdict string        // "passed", or the verdict of the first failing run
	kind    verdictKind   // kindPassed, or the kind of the first failing run
	logPath string        // the log of the first failing run
	score   int
}

func (r *testResult) passed() bool { return r.kind == kindPassed && len(r.runs) > 0 }

// A gradeReport is the outcome of a whole grading.
type gradeReport struct {
	results    []*testResult
	score, max int
	elapsed    time.Duration
	resultsDir string   // set if any log was kept there
	notes      []string // protected files a submission changed, and the like
}

// grade builds the packages of opts.tests once each and runs every test
// opts.n times, opts.p at a time.
func grade(ctx context.Context, opts gradeOptions) (*gradeReport, error) {
	start := time.Now()
	report := &gradeReport{}
	results := make([]*testResult, len(opts.tests))
	for i, t := range opts.tests {
		results[i] = &testResult{test: t}
		report.max += t.Points
	}
	report.results = results

	binDir, err := os.MkdirTemp("", "pblab-grading-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(binDir)

	if opts.progress != nil {
		opts.progress.building(packagesOf(opts.tests))
	}
	builds := buildAll(ctx, opts, binDir)

	type job struct {
		i, iter int
	}
	var jobs []job
	for iter := 1; iter <= opts.n; iter++ {
		for i, r := range results {
			b := builds[r.test.Package]
			switch {
			case b.err != "":
				if iter == 1 {
					r.runs = append(r.runs, &runResult{kind: kindBuild, verdict: b.err})
				}
			case !b.tests[r.test.Name]:
				if iter == 1 {
					r.runs = append(r.runs, &runResult{kind: kindMissing,
						verdict: fmt.Sprintf("missing: package %s has no test %s (are its test files the official ones?)", r.test.Package, r.test.Name)})
				}
			default:
				jobs = append(jobs, job{i, iter})
			}
		}
	}

	if opts.progress != nil {
		opts.progress.start(len(jobs))
	}
	var (
		mu      sync.Mutex
		stopped = make([]bool, len(results)) // no more runs: a costly failure already
		next    int
		wg      sync.WaitGroup
	)
	for range max(opts.p, 1) {
		wg.Go(func() {
			for {
				mu.Lock()
				if next >= len(jobs) || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				j := jobs[next]
				next++
				skip := stopped[j.i]
				mu.Unlock()
				r := results[j.i]
				if skip {
					if opts.progress != nil {
						opts.progress.skipped(r.test.Name)
					}
					continue
				}
				if opts.progress != nil {
					opts.progress.begin(r.test.Name)
				}
				res := runTest(ctx, opts, builds[r.test.Package], r.test, j.iter)
				mu.Lock()
				r.runs = append(r.runs, res)
				if k := res.kind; k == kindTimeout || k == kindFlood ||
					(k == kindStall && res.stalled != nil && res.stalled.kind == kindTimeout) {
					stopped[j.i] = true
				}
				mu.Unlock()
				if opts.progress != nil {
					opts.progress.done(r.test, j.iter, res)
				}
			}
		})
	}
	wg.Wait()
	if opts.progress != nil {
		opts.progress.finish()
	}

	for _, r := range results {
		r.kind = kindPassed
		r.verdict = "passed"
		for _, run := range r.runs {
			r.elapsed += run.elapsed
			if run.passed() {
				r.passes++
			} else if r.kind == kindPassed {
				r.kind, r.verdict, r.logPath = run.kind, run.verdict, run.logPath
			}
			if run.logPath != "" {
				report.resultsDir = opts.resultsDir
			}
		}
		if len(r.runs) == 0 {
			r.kind, r.verdict = kindFailed, "not run"
		}
		if r.kind == kindPassed {
			for _, run := range r.runs {
				if run.stalled != nil {
					r.verdict = run.verdict // passed, but only on the wall clock
				}
			}
		}
		if r.passed() && r.passes == len(r.runs) {
			r.score = r.test.Points
		}
		report.score += r.score
	}
	report.elapsed = time.Since(start)
	return report, ctx.Err()
}

// runTest runs one iteration of test. A run whose virtual clock froze is run
// again on the wall clock, and that second run decides.
func runTest(ctx context.Context, opts gradeOptions, b *buildResult, test rubric.Test, iter int) *runResult {
	spec := runSpec{
		bin:       b.bin,
		dir:       filepath.Join(opts.root, test.Package),
		test:      test.Name,
		realtime:  opts.realtime,
		timeout:   opts.timeout,
		maxOutput: opts.maxOutput,
		env:       opts.env,
	}
	if opts.resultsDir != "" {
		// Diagrams and other files a failing test writes go beside its log.
		if dir, err := filepath.Abs(filepath.Join(opts.resultsDir, "artifacts")); err == nil {
			spec.env = append(slices.Clip(spec.env), labtest.ArtifactDirEnv+"="+dir)
		}
	}
	if opts.realtime {
		spec.timeout = opts.wallTimeout
	}
	res := runOnce(ctx, spec)
	if res.kind == kindStall && !opts.realtime && ctx.Err() == nil {
		frozen := res
		spec.realtime = true
		spec.timeout = opts.wallTimeout
		wall := runOnce(ctx, spec)
		frozen.logPath = saveLog(opts, test, iter, "virtual", spec, frozen)
		res = &runResult{
			kind:    wall.kind,
			verdict: stallVerdict + wall.verdict,
			elapsed: frozen.elapsed + wall.elapsed,
			output:  wall.output,
			stalled: frozen,
		}
		if wall.kind == kindPassed {
			res.verdict = stallVerdict + "passed"
		}
		if !res.passed() {
			res.logPath = saveLog(opts, test, iter, "wallclock", spec, res)
		}
		return res
	}
	if !res.passed() {
		res.logPath = saveLog(opts, test, iter, "", spec, res)
	}
	return res
}

// saveLog keeps the output of a failing run under opts.resultsDir and
// returns the file's path ("" if logs are not kept).
func saveLog(opts gradeOptions, test rubric.Test, iter int, suffix string, spec runSpec, res *runResult) string {
	if opts.resultsDir == "" {
		return ""
	}
	if err := os.MkdirAll(opts.resultsDir, 0o755); err != nil {
		return ""
	}
	name := fmt.Sprintf("%s-%s-run%d", test.Part, test.Name, iter)
	if suffix != "" {
		name += "-" + suffix
	}
	path := filepath.Join(opts.resultsDir, name+".log")
	mode := "virtual time"
	if spec.realtime {
		mode = "wall clock (PBLAB_REALTIME=1)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "test:     %s (%s, Part %s, %s)\n", test.Name, test.Package, test.Part, points(test.Points))
	fmt.Fprintf(&b, "run:      %d of %d, %s, race detector %s, time limit %s\n", iter, opts.n, mode, onOff(opts.race), durationString(spec.timeout))
	fmt.Fprintf(&b, "verdict:  %s\n", res.verdict)
	if test.Doc != "" {
		fmt.Fprintf(&b, "docs:     %s\n", test.Doc)
	}
	env := ""
	if spec.realtime {
		env = "PBLAB_REALTIME=1 "
	}
	fmt.Fprintf(&b, "re-run:   %sgo test -race -count=1 -run '^%s$' ./%s\n\n", env, test.Name, test.Package)
	b.Write(cleanOutput(res.output))
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

// A buildResult is a package's compiled test binary, or why there is none.
type buildResult struct {
	bin   string
	err   string          // "build failed: ..." if the package did not build
	tests map[string]bool // the tests the binary holds
}

// buildAll compiles the test binary of every package of opts.tests, two at
// a time.
func buildAll(ctx context.Context, opts gradeOptions, binDir string) map[string]*buildResult {
	pkgs := packagesOf(opts.tests)
	builds := map[string]*buildResult{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for _, pkg := range pkgs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			b := buildPackage(ctx, opts, binDir, pkg)
			mu.Lock()
			builds[pkg] = b
			mu.Unlock()
		})
	}
	wg.Wait()
	return builds
}

func buildPackage(ctx context.Context, opts gradeOptions, binDir, pkg string) *buildResult {
	bin := filepath.Join(binDir, pkg+".test")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	args := []string{"test", "-c", "-o", bin}
	if opts.race {
		args = append(args, "-race")
	}
	args = append(args, opts.buildFlags...)
	args = append(args, "./"+pkg)
	cmd := exec.CommandContext(ctx, goCommand(), args...)
	cmd.Dir = opts.root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return &buildResult{err: "build failed:" + compilerErrors(string(out), err)}
	}
	if _, err := os.Stat(bin); err != nil {
		return &buildResult{err: fmt.Sprintf("build failed: package %s has no tests", pkg)}
	}
	tests, err := listTests(bin, filepath.Join(opts.root, pkg))
	if err != nil {
		return &buildResult{err: "build failed: " + err.Error()}
	}
	return &buildResult{bin: bin, tests: tests}
}

// compilerErrors keeps the useful lines of go test -c's output: the
// compiler's and vet's messages, without go's own headers.
func compilerErrors(out string, err error) string {
	var keep []string
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, "\n")
		if line == "" || strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "FAIL") {
			continue
		}
		keep = append(keep, line)
		if len(keep) == 12 {
			keep = append(keep, "...")
			break
		}
	}
	if len(keep) == 0 {
		return " " + err.Error()
	}
	return "\n  " + strings.Join(keep, "\n  ")
}

// packagesOf lists the packages of tests, in order of first appearance.
func packagesOf(tests []rubric.Test) []string {
	var pkgs []string
	for _, t := range tests {
		if !slices.Contains(pkgs, t.Package) {
			pkgs = append(pkgs, t.Package)
		}
	}
	return pkgs
}

// goCommand returns the go command: the one on the PATH, or else the one
// in GOROOT/bin if the environment names a GOROOT.
func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if root := os.Getenv("GOROOT"); root != "" {
		return filepath.Join(root, "bin", "go")
	}
	return "go"
}

// moduleRoot finds the root of the pblab module that contains dir.
func moduleRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			if isPblabModule(data) {
				return d, nil
			}
			return "", fmt.Errorf("%s is not the pblab module", filepath.Join(d, "go.mod"))
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s: run the grader inside the lab's tree", dir)
		}
	}
}

func isPblabModule(gomod []byte) bool {
	for line := range strings.Lines(string(gomod)) {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" && strings.Trim(f[1], `"`) == "pblab" {
			return true
		}
	}
	return false
}
