package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"pblab/internal/explore/driver"
	"pblab/internal/explore/plan"
	"pblab/internal/grader"
	"pblab/internal/labenv"
	"pblab/internal/mutants"
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
	maxMemory  int
	deadline   time.Duration
	quiet      bool
	allow      []string // -allow-import: packages a student's file may import besides the rubric's
	explore    time.Duration
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
	fs.BoolVar(&f.realtime, "realtime", labenv.Realtime(), "run the tests on the wall clock (PBLAB_REALTIME=1)")
	fs.DurationVar(&f.timeout, "timeout", 0, "time limit of one run of one test (default 2m, or 4m on the wall clock)")
	fs.StringVar(&f.jsonPath, "json", "", "also write Gradescope's results.json to `FILE` (always written, even if the build fails)")
	fs.StringVar(&f.submission, "submission", "", "grade the student tree in `DIR` with this tree's tests, labrpc and test support")
	fs.StringVar(&f.results, "results", "", "keep the logs of failing runs in `DIR` (default ./results/<date-time>)")
	fs.BoolVar(&f.strict, "strict", false, "exit 1 unless every selected test earned full marks (for CI)")
	fs.IntVar(&f.maxOutput, "maxoutput", grader.DefaultMaxOutput>>20, "stop a run that prints more than `MB` megabytes")
	fs.IntVar(&f.maxMemory, "maxmemory", grader.DefaultMaxMemory>>20, "stop a test process that uses more than `MB` megabytes of memory")
	fs.DurationVar(&f.deadline, "deadline", 0, "stop grading after `DURATION` (build included): the tests not run by then are marked \"not run: out of time\" (default: no deadline)")
	fs.BoolVar(&f.quiet, "q", false, "no progress output, only the table")
	fs.DurationVar(&f.explore, "explore", 0, "also explore each part for `DURATION` (go run ./grading explore), for an \"exploration\" row per part with the rubric's points (instructors; off by default)")
	fs.Func("allow-import", "also let the student's files import `PKG[,PKG...]` (instructors; repeatable)", func(list string) error {
		pkgs, err := importList(list)
		f.allow = append(f.allow, pkgs...)
		return err
	})
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./grading [flags]\n\n"+
			"Grades the lab tree the command stands in (or -submission DIR): runs every graded\n"+
			"test of the rubric in its own process and prints passes/runs, time and points.\n\n"+
			"Instructors also have:\n"+
			"  go run ./grading batch DIR        grade a class: every submission of DIR, into a gradebook\n"+
			"  go run ./grading handout -o DIR   write and check the student handout\n"+
			"  go run ./grading mutants          check that the tests catch known bugs\n"+
			"  go run ./grading explore          search for a fault schedule that breaks the code\n"+
			"Students: see docs/submitting.md. Instructors: docs/instructors.md, in the\n"+
			"instructors' repository (the handout leaves it out).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if f.n < 1 || f.p < 1 || f.maxOutput < 1 || f.maxMemory < 1 {
		return nil, fmt.Errorf("-n, -p, -maxoutput and -maxmemory must be at least 1")
	}
	if f.deadline < 0 {
		return nil, fmt.Errorf("-deadline must not be negative")
	}
	return f, nil
}

// batchFlags are the command line of go run ./grading batch.
type batchFlags struct {
	class     string
	jobs      int
	csv       string
	jsonDir   string
	logs      string
	export    string
	force     bool
	only      []string
	n, p      int
	race      bool
	realtime  bool
	timeout   time.Duration
	deadline  time.Duration
	maxOutput int
	maxMemory int
	allow     []string
}

// Defaults of go run ./grading batch.
const (
	batchDeadline = 10 * time.Minute // one submission's grading
	batchP        = 2                // tests of one submission run at once
)

func parseBatchFlags(args []string, stderr io.Writer) (*batchFlags, error) {
	fs := flag.NewFlagSet("grading batch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &batchFlags{}
	fs.IntVar(&f.jobs, "j", runtime.GOMAXPROCS(0), "grade `N` submissions at once")
	fs.StringVar(&f.csv, "csv", "grades/gradebook.csv", "write the gradebook to `FILE`")
	fs.StringVar(&f.jsonDir, "json-dir", "grades/json", "write each submission's results.json to `DIR`/<student>.json")
	fs.StringVar(&f.logs, "logs", "grades/logs", "keep each submission's logs of failing runs in `DIR`/<student>/ (\"\" for none)")
	fs.StringVar(&f.export, "export", "", "also copy each student's files to `DIR`/<student>/, for a plagiarism checker (MOSS, JPlag)")
	fs.BoolVar(&f.force, "force", false, "grade again the submissions already graded (by default those with a results.json are skipped)")
	fs.Func("only", "grade only the submissions of these `STUDENT[,STUDENT...]` (with -force, to grade them again)", func(list string) error {
		for _, s := range strings.Split(list, ",") {
			if s = strings.TrimSpace(s); s != "" {
				f.only = append(f.only, s)
			}
		}
		return nil
	})
	fs.IntVar(&f.n, "n", 1, "run each test `N` times; it passes only if it passes every time")
	fs.IntVar(&f.p, "p", batchP, "run `N` tests of each submission at once")
	fs.BoolVar(&f.race, "race", true, "build with the race detector (-race=false to turn it off)")
	fs.BoolVar(&f.realtime, "realtime", labenv.Realtime(), "run the tests on the wall clock (PBLAB_REALTIME=1)")
	fs.DurationVar(&f.timeout, "timeout", 0, "time limit of one run of one test (default 2m, or 4m on the wall clock)")
	fs.DurationVar(&f.deadline, "deadline", batchDeadline, "stop grading a submission after `DURATION` (build included): its tests not run by then are marked \"not run: out of time\"")
	fs.IntVar(&f.maxOutput, "maxoutput", grader.DefaultMaxOutput>>20, "stop a run that prints more than `MB` megabytes")
	fs.IntVar(&f.maxMemory, "maxmemory", grader.DefaultMaxMemory>>20, "stop a test process that uses more than `MB` megabytes of memory")
	fs.Func("allow-import", "also let the student's files import `PKG[,PKG...]` (repeatable)", func(list string) error {
		pkgs, err := importList(list)
		f.allow = append(f.allow, pkgs...)
		return err
	})
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./grading batch DIR [flags]\n\n"+
			"Grades every submission of the class folder DIR (a folder or a zip file per\n"+
			"student, named after the student) with this tree's tests, -j at a time, and\n"+
			"writes each results.json and the gradebook (CSV: student, total, each part,\n"+
			"each test, notes). Submissions already graded are skipped, so a batch that\n"+
			"was stopped goes on where it stopped. See docs/instructors.md.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 { // the class folder, then maybe more flags
		f.class = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return nil, err
		}
	}
	if f.class == "" || fs.NArg() > 0 {
		fs.Usage()
		return nil, errUsage
	}
	if f.jobs < 1 || f.n < 1 || f.p < 1 || f.maxOutput < 1 || f.maxMemory < 1 || f.deadline < 0 {
		return nil, fmt.Errorf("-j, -n, -p, -maxoutput and -maxmemory must be at least 1, and -deadline not negative")
	}
	return f, nil
}

// importList parses the value of -allow-import: import paths, separated by
// commas.
func importList(list string) ([]string, error) {
	var pkgs []string
	for _, pkg := range strings.Split(list, ",") {
		if pkg = strings.TrimSpace(pkg); pkg == "" || strings.ContainsAny(pkg, " \t\"") {
			return nil, fmt.Errorf("%q is not an import path", pkg)
		}
		pkgs = append(pkgs, pkg)
	}
	return pkgs, nil
}

// handoutFlags are the command line of go run ./grading handout.
type handoutFlags struct {
	out     string
	update  bool
	verify  bool
	timeout time.Duration
}

func parseHandoutFlags(args []string, stderr io.Writer) (*handoutFlags, error) {
	fs := flag.NewFlagSet("grading handout", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &handoutFlags{}
	fs.StringVar(&f.out, "o", "", "write the handout to `DIR` (must not exist, or be empty, or be a clone with -update)")
	fs.BoolVar(&f.update, "update", false, "DIR is a clean clone of the handout's repository: replace what git tracks there with the new handout")
	fs.BoolVar(&f.verify, "verify", true, "check the handout: it builds, vets, keeps the API, and its graded tests fail fast")
	fs.DurationVar(&f.timeout, "timeout", 60*time.Second, "time limit of each graded test on the handout, when verifying")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./grading handout -o DIR [-update]\n\n"+
			"Writes the student handout of this tree: every solution region replaced by\n"+
			"\"// Your code here.\" (and its stub), the grader's mutants, fixtures and tests\n"+
			"left out. Then checks the handout.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if f.out == "" || fs.NArg() > 0 {
		fs.Usage()
		return nil, errUsage
	}
	return f, nil
}

// mutantsFlags are the command line of go run ./grading mutants.
type mutantsFlags struct {
	run  string
	opts mutants.Options
}

func parseMutantsFlags(args []string, stderr io.Writer) (*mutantsFlags, error) {
	fs := flag.NewFlagSet("grading mutants", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &mutantsFlags{}
	fs.StringVar(&f.run, "run", "", "only the mutants whose names match this regular expression")
	fs.IntVar(&f.opts.P, "p", runtime.GOMAXPROCS(0), "run `N` tests at once")
	fs.IntVar(&f.opts.N, "n", 1, "run each test `N` times against each mutant; a test that caught it in only some runs shows as TestX(k/N)")
	fs.BoolVar(&f.opts.Race, "race", false, "build with the race detector (slower; mutants are logic bugs)")
	fs.DurationVar(&f.opts.Timeout, "timeout", 60*time.Second, "time limit of one test run")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./grading mutants [flags]\n\n"+
			"Applies each bug of grading/mutants to the reference solution (through go's\n"+
			"-overlay, so the tree is not touched), runs the graded tests against it, and\n"+
			"prints which tests caught it. The reference itself is graded first: a test\n"+
			"that fails on it cannot count as catching anything. Exits 1 if a mutant\n"+
			"survives (unless marked \"known survivor\") or no longer applies.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return f, nil
}

// parseExploreFlags reads the command line of go run ./grading explore.
func parseExploreFlags(args []string, stderr io.Writer) (*driver.Options, error) {
	fs := flag.NewFlagSet("grading explore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &driver.Options{}
	fs.StringVar(&o.Part, "part", "", "explore only this part: A (viewservice) or B (pbservice); both by default, each with half the budget")
	fs.DurationVar(&o.Budget, "budget", 60*time.Second, "how long to search")
	fs.Int64Var(&o.Seed, "seed", 0, "seed of the first Part B scenario (0: a random one, printed in the report)")
	fs.StringVar(&o.Out, "o", "", "write the counterexample's files to `DIR` (default ./results/explore-<date-time>)")
	fs.StringVar(&o.Replay, "replay", "", "run the counterexample in `FILE` (a replay.json the explorer wrote) instead of searching")
	fs.StringVar(&o.Submission, "submission", "", "explore the student's files of the tree in `DIR`, in a copy of this tree, as the grader does")
	fs.BoolVar(&o.Race, "race", false, "build with the race detector (slower)")
	fs.IntVar(&o.Servers, "servers", 0, "servers: Part A's 3 by default, Part B's 2 to 4 at random")
	fs.IntVar(&o.Workers, "p", 0, "Part B scenarios run at once (default: one per CPU)")
	fs.IntVar(&o.Tries, "tries", 0, "runs of each candidate while shrinking (default 5)")
	fs.DurationVar(&o.Shrink, "shrink", 0, "time limit of shrinking (default 2m)")
	fs.Func("faults", "draw Part B's faults from these kinds only, a comma-separated `LIST` of: crash, partition, cut-vs, cut, lossy, reorder, delay, late", func(list string) error {
		o.Faults = append(o.Faults, strings.Split(list, ",")...)
		return plan.CheckFaultKinds(o.Faults)
	})
	core := fs.Bool("core", true, "check Part B's core (pbState) exhaustively before the random scenarios (-core=false skips it)")
	fs.StringVar(&o.Mutant, "mutant", "", "explore the reference with the mutant `NAME` of grading/mutants applied (instructors)")
	fs.StringVar(&o.Overlay, "overlay", "", "build with go's -overlay `FILE` (instructors: a changed solution)")
	fs.BoolVar(&o.Quiet, "q", false, "no progress lines")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./grading explore [-part A|B] [-budget 60s] [-seed N] [-o DIR] [-replay FILE] [-submission DIR]\n\n"+
			"Searches for the smallest run that breaks a rule: Part A by trying every short\n"+
			"sequence of pings and ticks on viewState, Part B by random fault schedules in\n"+
			"virtual time, checked for linearizability, exactly-once appends, safety and\n"+
			"liveness. Exits 0 if nothing was found, 1 for a violation, 2 if it could not run.\n"+
			"See docs/explore.md.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return nil, errUsage
	}
	if o.Part != "" && o.Part != "A" && o.Part != "B" {
		fmt.Fprintf(stderr, "explore: -part %q: want A or B\n", o.Part)
		return nil, errUsage
	}
	if o.Budget <= 0 {
		fmt.Fprintln(stderr, "explore: -budget must be positive")
		return nil, errUsage
	}
	o.NoCore = !*core
	return o, nil
}
