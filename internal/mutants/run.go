package mutants

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os/exec"
	"path"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"pblab/internal/grader"
	"pblab/internal/rubric"
)

// Options are the settings of a mutants run.
type Options struct {
	P       int           // test runs at once
	N       int           // runs of each test against each mutant
	Race    bool          // build with the race detector
	Timeout time.Duration // time limit of one test run
}

// A result says which graded tests caught a mutant.
type result struct {
	m       *Mutant
	err     error    // the mutant could not be applied or graded
	caught  []string // the tests that failed, as TestX or, if caught in only some runs, TestX(k/N)
	ran     int      // the tests that ran and could count
	elapsed time.Duration
}

// Run grades the reference solution of the tree at root, then each mutant
// of ms, and prints to w each result as it comes and then the table of
// which tests caught which mutant. A test that fails on the reference
// itself cannot count as catching anything. Run returns how many mutants
// survived (unless marked as known survivors) or could not be graded; the
// error is for a run that could not be made at all.
func Run(ctx context.Context, root string, ms []*Mutant, o Options, w io.Writer) (int, error) {
	if len(rubric.Tests()) == 0 {
		return 0, errors.New("the rubric lists no graded tests")
	}
	start := time.Now()
	fmt.Fprintf(w, "the reference: ")
	base, err := grader.Grade(ctx, o.gradeOptions(root, rubric.Tests()))
	if err != nil {
		return 0, fmt.Errorf("grading the reference: %w", err)
	}
	ignore := map[string]bool{}
	for _, t := range base.Results {
		if t.Score < t.Test.Points {
			ignore[t.Test.Name] = true
		}
	}
	fmt.Fprintf(w, "%d/%d points in %.1fs\n", base.Score, base.Max, base.Elapsed.Seconds())
	for _, name := range slices.Sorted(maps.Keys(ignore)) {
		fmt.Fprintf(w, "  %s fails on the reference (flaky?): it cannot count as catching a mutant\n", name)
	}

	var results []*result
	for i, m := range ms {
		fmt.Fprintf(w, "[%d/%d] %s: %s ... ", i+1, len(ms), m.Name, m.Desc)
		r := runMutant(ctx, root, m, o, ignore)
		results = append(results, r)
		printResult(w, r)
		if ctx.Err() != nil {
			break
		}
	}
	fmt.Fprintln(w)
	bad := printTable(w, results)
	fmt.Fprintf(w, "\n%d mutants in %s\n", len(results), time.Since(start).Round(time.Second))
	return bad, nil
}

// gradeOptions are the grader's options for grading tests under o.
func (o Options) gradeOptions(root string, tests []rubric.Test) grader.Options {
	return grader.Options{
		Root: root, Tests: tests, N: o.N, P: o.P, Race: o.Race,
		Timeout: o.Timeout, WallTimeout: o.Timeout, MaxOutput: grader.DefaultMaxOutput,
	}
}

// runMutant grades, against the mutated solution, the graded tests that can
// see m's files, except those in ignore.
func runMutant(ctx context.Context, root string, m *Mutant, o Options, ignore map[string]bool) *result {
	start := time.Now()
	r := &result{m: m}
	overlayPath, cleanup, err := m.Overlay(root)
	if err != nil {
		r.err = err
		return r
	}
	defer cleanup()
	var touched []string
	for _, e := range m.Edits {
		touched = append(touched, "pblab/"+path.Dir(e.File))
	}
	tests, err := testsSeeing(ctx, root, touched)
	if err != nil {
		r.err = err
		return r
	}
	opts := o.gradeOptions(root, tests)
	opts.BuildFlags = []string{"-overlay", overlayPath}
	report, err := grader.Grade(ctx, opts)
	if err != nil {
		r.err = err
		return r
	}
	for _, t := range report.Results {
		if t.Kind == grader.BuildFailed {
			r.err = fmt.Errorf("mutant %s does not build: %s", m.Name, t.Verdict)
			return r
		}
		if ignore[t.Test.Name] {
			continue
		}
		r.ran++
		if t.Score < t.Test.Points {
			name := t.Test.Name
			if fails := len(t.Runs) - t.Passes; len(t.Runs) > 1 && fails < len(t.Runs) {
				name += fmt.Sprintf("(%d/%d)", fails, len(t.Runs)) // caught in only some runs
			}
			r.caught = append(r.caught, name)
		}
	}
	r.elapsed = time.Since(start)
	return r
}

// testsSeeing returns the graded tests whose package imports (or is) one of
// pkgs.
func testsSeeing(ctx context.Context, root string, pkgs []string) ([]rubric.Test, error) {
	var tests []rubric.Test
	deps := map[string][]string{}
	for _, t := range rubric.Tests() {
		d, ok := deps[t.Package]
		if !ok {
			cmd := exec.CommandContext(ctx, grader.GoCommand(), "list", "-deps", "-test", "./"+t.Package)
			cmd.Dir = root
			out, err := cmd.Output()
			if err != nil {
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					err = fmt.Errorf("%w\n%s", err, ee.Stderr)
				}
				return nil, fmt.Errorf("go list -deps ./%s: %w", t.Package, err)
			}
			d = strings.Fields(string(out))
			deps[t.Package] = d
		}
		for _, p := range pkgs {
			if slices.Contains(d, p) {
				tests = append(tests, t)
				break
			}
		}
	}
	return tests, nil
}

// printResult finishes the progress line of one mutant.
func printResult(w io.Writer, r *result) {
	switch {
	case r.err != nil:
		fmt.Fprintf(w, "ERROR\n  %s\n", strings.ReplaceAll(r.err.Error(), "\n", "\n  "))
	case len(r.caught) == 0 && r.m.Known != "":
		fmt.Fprintf(w, "SURVIVED, as known (%.1fs)\n", r.elapsed.Seconds())
	case len(r.caught) == 0:
		fmt.Fprintf(w, "SURVIVED (%.1fs)\n", r.elapsed.Seconds())
	default:
		fmt.Fprintf(w, "caught by %d of %d tests (%.1fs)\n", len(r.caught), r.ran, r.elapsed.Seconds())
	}
}

// printTable prints which tests caught each mutant, and returns how many
// survived (unexpectedly) or could not run.
func printTable(w io.Writer, results []*result) int {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MUTANT\tCAUGHT\tBY")
	bad := 0
	var known, nowCaught []*result
	for _, r := range results {
		switch {
		case r.err != nil:
			bad++
			line, _, _ := strings.Cut(r.err.Error(), "\n")
			fmt.Fprintf(tw, "%s\tERROR\t%s\n", r.m.Name, strings.TrimSuffix(line, ":"))
		case len(r.caught) == 0 && r.m.Known != "":
			known = append(known, r)
			fmt.Fprintf(tw, "%s\tSURVIVED\t(known survivor) %s\n", r.m.Name, r.m.Desc)
		case len(r.caught) == 0:
			bad++
			fmt.Fprintf(tw, "%s\tSURVIVED\t%s\n", r.m.Name, r.m.Desc)
		default:
			if r.m.Known != "" {
				nowCaught = append(nowCaught, r)
			}
			fmt.Fprintf(tw, "%s\t%d/%d\t%s\n", r.m.Name, len(r.caught), r.ran, strings.Join(r.caught, " "))
		}
	}
	tw.Flush()
	for _, r := range known {
		fmt.Fprintf(w, "\nknown survivor %s: %s\n  the tests should catch it: %s\n", r.m.Name, r.m.Desc, r.m.Known)
	}
	for _, r := range nowCaught {
		fmt.Fprintf(w, "\n%s, a known survivor, was caught this time: once the tests catch it every time (-n 10), remove its \"known survivor\" line\n", r.m.Name)
	}
	return bad
}
