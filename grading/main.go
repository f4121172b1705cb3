// Command grading grades the lab and writes its student handout.
//
// Run it from anywhere inside the repository (or a student's tree):
//
//	go run ./grading                      grade this tree: every graded test, race detector on
//	go run ./grading -part A -n 10        Part A only, each test ten times
//	go run ./grading -submission DIR      grade a student's tree with the official tests
//	go run ./grading batch DIR            grade a class folder into a gradebook (instructors)
//	go run ./grading handout -o DIR       write the student handout (instructors)
//	go run ./grading mutants              check that the tests catch known bugs (instructors)
//	go run ./grading explore -part B      search for a fault schedule that breaks the code
//
// Grading runs each graded test of the rubric (pblab/internal/rubric) in its
// own process, so that a test that hangs, panics, exits or floods its output
// costs only itself. A test passes only if it passed in every iteration. The
// table at the end gives each test's passes/runs, time and points, and the
// full output of every failing run is kept under the results folder.
//
// The exit status is 0 whenever grading completed, whatever the score;
// -strict makes anything short of full marks exit 1 (for CI), and 2 means
// grading itself could not run.
//
// The command only reads its command line and calls the packages that do
// the work: pblab/internal/grader (the grading engine), internal/submission
// (a student's tree made ready to grade), internal/batch (a class),
// internal/handout and internal/mutants. See docs/instructors.md for the whole guide.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"pblab/internal/batch"
	"pblab/internal/explore/driver"
	"pblab/internal/grader"
	"pblab/internal/handout"
	"pblab/internal/labenv"
	"pblab/internal/mutants"
	"pblab/internal/rubric"
	"pblab/internal/submission"
)

func main() {
	var code int
	args := os.Args[1:]
	switch {
	case len(args) > 0 && args[0] == "handout":
		code = handoutMain(args[1:])
	case len(args) > 0 && args[0] == "batch":
		code = batchMain(args[1:])
	case len(args) > 0 && args[0] == "mutants":
		code = mutantsMain(args[1:])
	case len(args) > 0 && args[0] == "explore":
		code = exploreMain(args[1:])
	case len(args) > 0 && args[0] == "help":
		code = gradeMain([]string{"-h"})
	default:
		code = gradeMain(args)
	}
	os.Exit(code)
}

// errUsage is a command line the usage message has already answered.
var errUsage = errors.New("usage")

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
		if jerr := grader.WriteJSON(f.jsonPath, grader.Gradescope(report, tests, err)); jerr != nil {
			fmt.Fprintln(os.Stderr, "grading: writing", f.jsonPath+":", jerr)
			return 2
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "grading:", err)
		return 2
	}
	if f.strict && report.Score < report.Max {
		fmt.Fprintf(os.Stderr, "grading: -strict: %d/%d is short of full marks\n", report.Score, report.Max)
		return 1
	}
	return 0
}

// runGrading grades as f says and prints the table to w. It returns the
// tests it meant to grade even when it fails, for results.json.
func runGrading(ctx context.Context, f *gradeFlags, w io.Writer) (*grader.Report, []rubric.Test, error) {
	var deadline time.Time
	if f.deadline > 0 {
		deadline = time.Now().Add(f.deadline)
	}
	tests, err := grader.Select(f.part, f.run)
	if err != nil {
		return nil, rubric.Tests(), err
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, tests, err
	}
	official, err := labenv.ModuleRoot(cwd)
	if err != nil {
		return nil, tests, err
	}
	root := official
	var intake *submission.Intake
	if f.submission != "" {
		dir, err := os.MkdirTemp("", "pblab-submission-")
		if err != nil {
			return nil, tests, err
		}
		defer os.RemoveAll(dir)
		if intake, err = submission.Prepare(f.submission, official, dir, f.allow); err != nil {
			return nil, tests, err
		}
		root = dir
		fmt.Fprintf(w, "grading the student's files of the submission in %s with the official tree\n", f.submission)
	} else {
		if intake, err = submission.Inspect(root, f.allow); err != nil {
			return nil, tests, err
		}
		var note string
		if tests, note = leaveOutAbsentHidden(root, tests); note != "" {
			intake.Notes = append(intake.Notes, note)
		}
	}
	for _, n := range intake.Notes {
		fmt.Fprintf(w, "  %s\n", n)
	}
	printRejected(w, intake.Rejected)
	resultsDir := f.results
	if resultsDir == "" {
		resultsDir = filepath.Join(cwd, "results", time.Now().Format("20060102-150405"))
	}
	opts := grader.Options{
		Root:        root,
		Tests:       tests,
		N:           f.n,
		P:           f.p,
		Race:        f.race,
		Realtime:    f.realtime,
		Timeout:     grader.DefaultTimeout,
		WallTimeout: grader.DefaultWallTimeout,
		MaxOutput:   f.maxOutput << 20,
		MaxMemory:   int64(f.maxMemory) << 20,
		Deadline:    deadline,
		ResultsDir:  resultsDir,
		Rejected:    intake.Rejected,
		Protect:     []string{official},
	}
	if f.timeout > 0 {
		opts.Timeout, opts.WallTimeout = f.timeout, f.timeout
	}
	if !f.quiet {
		opts.Progress = grader.NewProgress(w)
	}
	report, err := grader.Grade(ctx, opts)
	if report != nil && err == nil && f.explore > 0 {
		o := driver.Options{Root: root, Budget: f.explore, Out: filepath.Join(resultsDir, "explore"), Rejected: intake.Rejected}
		tests = driver.AddRows(report, tests, driver.GradeRows(ctx, o, tests))
	}
	if report != nil {
		report.Notes = intake.Notes
		fmt.Fprintln(w)
		report.PrintTable(w)
	}
	return report, tests, err
}

// leaveOutAbsentHidden returns tests without the hidden tests that the
// tree at root does not hold (a student's handout holds none: the course
// staff grade them), and a note that says how many were left out, or "".
func leaveOutAbsentHidden(root string, tests []rubric.Test) ([]rubric.Test, string) {
	defined := map[string]map[string]bool{}
	kept := tests[:0:0]
	absent, points := 0, 0
	for _, t := range tests {
		if t.Hidden != "" {
			if defined[t.Package] == nil {
				defined[t.Package], _ = grader.DefinedTests(filepath.Join(root, t.Package))
			}
			if !defined[t.Package][t.Name] {
				absent++
				points += t.Points
				continue
			}
		}
		kept = append(kept, t)
	}
	if absent == 0 {
		return tests, ""
	}
	return kept, fmt.Sprintf("%d hidden %s (%d points) not in this tree: the course staff grade them", absent, plural(absent, "test", "tests"), points)
}

// plural returns one if n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// printRejected tells, before grading starts, which parts will not be
// built and why (each of their tests repeats it as its verdict).
func printRejected(w io.Writer, rejected map[string]string) {
	for _, pkg := range slices.Sorted(maps.Keys(rejected)) {
		fmt.Fprintf(w, "%s/ is not built; its tests get no points: %s\n", pkg, rejected[pkg])
	}
}

// handoutMain is go run ./grading handout -o DIR.
func handoutMain(args []string) int {
	f, err := parseHandoutFlags(args, os.Stderr)
	if err != nil {
		return usageExit(err)
	}
	root, err := treeRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "handout:", err)
		return 2
	}
	dst, err := filepath.Abs(f.out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "handout:", err)
		return 2
	}
	start := time.Now()
	write := handout.Write
	if f.update {
		write = handout.Update
	}
	stats, err := write(root, dst)
	if err != nil {
		fmt.Fprintln(os.Stderr, "handout:", err)
		return 1
	}
	fmt.Printf("handout written to %s: %d files, %d solution regions removed from %s\n",
		dst, stats.Files, stats.Regions, strings.Join(stats.Stripped, ", "))
	if stats.AllFiles != "" {
		fmt.Printf("  note: every file of the tree is in the handout, untracked ones included (%s)\n", stats.AllFiles)
	}
	if len(stats.Untracked) > 0 {
		fmt.Printf("  left out, as git does not track them: %s\n", firstFew(stats.Untracked, 10))
	}
	if !f.verify {
		return 0
	}
	if err := handout.Verify(context.Background(), root, dst, f.timeout, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "handout: verification failed:", err)
		return 1
	}
	fmt.Printf("handout verified in %s\n", time.Since(start).Round(100*time.Millisecond))
	return 0
}

// batchMain is go run ./grading batch DIR.
func batchMain(args []string) int {
	f, err := parseBatchFlags(args, os.Stderr)
	if err != nil {
		if err != flag.ErrHelp && err != errUsage {
			fmt.Fprintln(os.Stderr, "batch:", err)
		}
		return usageExit(err)
	}
	official, err := treeRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "batch:", err)
		return 2
	}
	if f.export != "" {
		n, err := batch.Export(f.class, f.export)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Printf("exported the files of %d students to %s\n", n, f.export)
	}
	opts := batch.Options{
		Class: f.class, Official: official, Jobs: f.jobs, Deadline: f.deadline,
		JSONDir: f.jsonDir, LogsDir: f.logs, Force: f.force, Only: f.only, Allow: f.allow,
		Grade: grader.Options{
			Tests:       rubric.Tests(),
			N:           f.n,
			P:           f.p,
			Race:        f.race,
			Realtime:    f.realtime,
			Timeout:     grader.DefaultTimeout,
			WallTimeout: grader.DefaultWallTimeout,
			MaxOutput:   f.maxOutput << 20,
			MaxMemory:   int64(f.maxMemory) << 20,
		},
	}
	if f.timeout > 0 {
		opts.Grade.Timeout, opts.Grade.WallTimeout = f.timeout, f.timeout
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	results, err := batch.Run(ctx, opts, os.Stdout)
	if results == nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	subs, lerr := batch.List(f.class) // the whole class, whatever -only picked
	if lerr != nil {
		fmt.Fprintln(os.Stderr, lerr)
		return 2
	}
	if gerr := batch.WriteGradebook(f.csv, f.jsonDir, subs, opts.Grade.Tests); gerr != nil {
		fmt.Fprintln(os.Stderr, gerr)
		return 2
	}
	fmt.Printf("gradebook: %s (%d students); results.json of each: %s\n", f.csv, len(subs), f.jsonDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "batch: stopped:", err, "(run the same command again to go on)")
		return 2
	}
	return 0
}

// mutantsMain is go run ./grading mutants.
func mutantsMain(args []string) int {
	f, err := parseMutantsFlags(args, os.Stderr)
	if err != nil {
		return usageExit(err)
	}
	root, err := treeRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutants:", err)
		return 2
	}
	ms, err := mutants.Load(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutants:", err)
		return 2
	}
	if f.run != "" {
		re, err := regexp.Compile(f.run)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mutants: -run:", err)
			return 2
		}
		ms = slices.DeleteFunc(ms, func(m *mutants.Mutant) bool { return !re.MatchString(m.Name) })
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	bad, err := mutants.Run(ctx, root, ms, f.opts, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutants:", err)
		return 2
	}
	if bad > 0 {
		fmt.Fprintf(os.Stderr, "mutants: %d mutant(s) survived or could not run\n", bad)
		return 1
	}
	return 0
}

// exploreMain is go run ./grading explore: 0 if it found nothing, 1 if
// it found a violation, 2 if it could not run.
func exploreMain(args []string) int {
	o, err := parseExploreFlags(args, os.Stderr)
	if err != nil {
		return usageExit(err)
	}
	if o.Root, err = treeRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "explore:", err)
		return 2
	}
	o.Stdout = os.Stdout
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	out, err := driver.Run(ctx, *o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "explore:", err)
		return 2
	}
	if out.Violation != nil {
		return 1
	}
	return 0
}

// firstFew joins the first n items of list, and says how many more there
// are.
func firstFew(list []string, n int) string {
	if len(list) <= n {
		return strings.Join(list, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(list[:n], ", "), len(list)-n)
}

// treeRoot returns the root of the lab's tree the command runs in.
func treeRoot() (string, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return labenv.ModuleRoot(cwd)
}

// usageExit is the exit status for a command line that did not parse: 0
// for -h, which asked for the usage message, and 2 for the rest, which the
// flag package or the usage message has already explained.
func usageExit(err error) int {
	if err == flag.ErrHelp {
		return 0
	}
	return 2
}
