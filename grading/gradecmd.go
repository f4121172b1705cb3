package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"time"

	"pblab/internal/labtest"
	"pblab/internal/rubric"
)

// Default time limits of one run of one test.
const (
	defaultTimeout     = 2 * time.Minute // virtual time: even a long scenario takes seconds
	defaultWallTimeout = 4 * time.Minute // on the wall clock, scenarios take their real length
	defaultMaxOutputMB = 4
)

// gradeFlags are the command line of go run ./grading.
type gradeFlags struct {
	part       string
	run        string
	n, p       int
	race       bool
	realtime   bool
	timeout    time.Duration
	jsonPath   string
	submission string
	results    string
	strict     bool
	maxOutput  int
	quiet      bool
}

func parseGradeFlags(args []string, stderr io.Writer) (*gradeFlags, error) {
	fs := flag.NewFlagSet("grading", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &gradeFlags{}
	fs.StringVar(&f.part, "part", "", "grade only this part: A (viewservice) or B (pbservice)")
	fs.StringVar(&f.run, "run", "", "grade only the tests whose names match this regular expression")
	fs.IntVar(&f.n, "n", 1, "run each test `N` times; it passes only if it passes every time")
	fs.IntVar(&f.p, "p", runtime.GOMAXPROCS(0), "run `N` tests at once")
	fs.BoolVar(&f.race, "race", true, "build with the race detector (-race=false to turn it off)")
	fs.BoolVar(&f.realtime, "realtime", labtest.Realtime(), "run the tests on the wall clock (PBLAB_REALTIME=1)")
	fs.DurationVar(&f.timeout, "timeout", 0, "time limit of one run of one test (default 2m, or 4m on the wall clock)")
	fs.StringVar(&f.jsonPath, "json", "", "also write Gradescope's results.json to `FILE` (always written, even if the build fails)")
	fs.StringVar(&f.submission, "submission", "", "grade the student tree in `DIR` with this tree's tests, labrpc and test support")
	fs.StringVar(&f.results, "results", "", "keep the logs of failing runs in `DIR` (default ./results/<date-time>)")
	fs.BoolVar(&f.strict, "strict", false, "exit 1 unless every selected test earned full marks (for CI)")
	fs.IntVar(&f.maxOutput, "maxoutput", defaultMaxOutputMB, "stop a run that prints more than `MB` megabytes")
	fs.BoolVar(&f.quiet, "q", false, "no progress output, only the table")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./grading [flags]\n\n"+
			"Grades the lab tree the command stands in (or -submission DIR): runs every graded\n"+
			"test of the rubric in its own process and prints passes/runs, time and points.\n\n"+
			"Instructors also have:\n"+
			"  go run ./grading handout -o DIR   write and check the student handout\n"+
			"  go run ./grading mutants          check that the tests catch known bugs\n"+
			"See docs/instructors.md.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if f.n < 1 || f.p < 1 || f.maxOutput < 1 {
		return nil, fmt.Errorf("-n, -p and -maxoutput must be at least 1")
	}
	return f, nil
}

// selectTests returns the graded tests that -part and -run select.
func selectTests(part, run string) ([]rubric.Test, error) {
	var re *regexp.Regexp
	if run != "" {
		var err error
		if re, err = regexp.Compile(run); err != nil {
			return nil, fmt.Errorf("-run: %w", err)
		}
	}
	if part != "" {
		if _, ok := rubric.Parts[part]; !ok {
			return nil, fmt.Errorf("-part %q: the parts are A and B", part)
		}
	}
	var tests []rubric.Test
	for _, t := range rubric.Tests() {
		if (part == "" || t.Part == part) && (re == nil || re.MatchString(t.Name)) {
			tests = append(tests, t)
		}
	}
	if len(tests) == 0 {
		if len(rubric.Tests()) == 0 {
			return nil, fmt.Errorf("the rubric (internal/rubric) lists no graded tests")
		}
		return nil, fmt.Errorf("no graded test matches -part %q -run %q", part, run)
	}
	return tests, nil
}

// gradeMain is go run ./grading.
func gradeMain(args []string) int {
	f, err := parseGradeFlags(args, os.Stderr)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		fmt.Fprintln(os.Stderr, "grading:", err)
		return 2
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	report, tests, err := runGrading(ctx, f, os.Stdout)
	if f.jsonPath != "" {
		if jerr := writeJSON(f.jsonPath, gradescopeResults(report, tests, err)); jerr != nil {
			fmt.Fprintln(os.Stderr, "grading: writing", f.jsonPath+":", jerr)
			return 2
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "grading:", err)
		return 2
	}
	if f.strict && report.score < report.max {
		fmt.Fprintf(os.Stderr, "grading: -strict: %d/%d is short of full marks\n", report.score, report.max)
		return 1
	}
	return 0
}

// runGrading grades as f says and prints the table to w. It returns the
// tests it meant to grade even when it fails, for results.json.
func runGrading(ctx context.Context, f *gradeFlags, w io.Writer) (*gradeReport, []rubric.Test, error) {
	tests, err := selectTests(f.part, f.run)
	if err != nil {
		return nil, rubric.Tests(), err
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, tests, err
	}
	official, err := moduleRoot(cwd)
	if err != nil {
		return nil, tests, err
	}
	root := official
	var notes []string
	if f.submission != "" {
		dir, err := os.MkdirTemp("", "pblab-submission-")
		if err != nil {
			return nil, tests, err
		}
		defer os.RemoveAll(dir)
		notes, err = prepareSubmission(f.submission, official, dir)
		if err != nil {
			return nil, tests, err
		}
		root = dir
		fmt.Fprintf(w, "grading the submission in %s (laid over with the official tests and support code)\n", f.submission)
		for _, n := range notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
	resultsDir := f.results
	if resultsDir == "" {
		resultsDir = filepath.Join(cwd, "results", time.Now().Format("20060102-150405"))
	}
	opts := gradeOptions{
		root:        root,
		tests:       tests,
		n:           f.n,
		p:           f.p,
		race:        f.race,
		realtime:    f.realtime,
		timeout:     defaultTimeout,
		wallTimeout: defaultWallTimeout,
		maxOutput:   f.maxOutput << 20,
		resultsDir:  resultsDir,
	}
	if f.timeout > 0 {
		opts.timeout, opts.wallTimeout = f.timeout, f.timeout
	}
	if !f.quiet {
		if out, ok := w.(*os.File); ok && isTerminal(out) {
			opts.progress = newTermProgress(w)
		} else {
			opts.progress = &lineProgress{w: w}
		}
	}
	report, err := grade(ctx, opts)
	if report != nil {
		report.notes = notes
		fmt.Fprintln(w)
		printTable(w, report)
	}
	return report, tests, err
}
