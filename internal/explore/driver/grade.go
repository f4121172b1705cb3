package driver

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"time"

	"pblab/internal/grader"
	"pblab/internal/rubric"
)

// GradeRows explores, for o.Budget each, the parts that tests are of, and
// returns a row of the grade for each part, with the points of
// rubric.Exploration: earned if the explorer found nothing. A part the
// explorer could not run gets no points, and says why. o.Out is the folder
// under which each part's counterexample goes.
func GradeRows(ctx context.Context, o Options, tests []rubric.Test) []*grader.TestResult {
	var rows []*grader.TestResult
	for _, t := range rubric.Exploration {
		if !slices.ContainsFunc(tests, func(g rubric.Test) bool { return g.Part == t.Part }) {
			continue
		}
		po := o
		po.Part, po.Quiet, po.Stdout = t.Part, true, io.Discard
		po.Out = filepath.Join(o.Out, "part-"+t.Part)
		start := time.Now()
		out, err := Run(ctx, po)
		run := &grader.RunResult{Kind: grader.Passed, Elapsed: time.Since(start)}
		switch {
		case err != nil:
			run.Kind, run.Verdict = grader.Failed, "the explorer could not run: "+err.Error()
		case out.Violation != nil:
			v := out.Violation
			run.Kind = grader.Failed
			run.Verdict = fmt.Sprintf("VIOLATION %s: %s; shrunk from %d to %d events; replay: %s", v.Kind, v.What, v.Original, v.Events, out.Command)
		default:
			run.Verdict = fmt.Sprintf("passed: no violation in %d scenarios (%v)", out.Scenarios, o.Budget)
		}
		row := &grader.TestResult{Test: t, Runs: []*grader.RunResult{run}, Elapsed: run.Elapsed, Verdict: run.Verdict, Kind: run.Kind}
		if run.Kind == grader.Passed {
			row.Passes, row.Score = 1, t.Points
		}
		rows = append(rows, row)
	}
	return rows
}

// AddRows puts rows into report, each after the last result of its part,
// adds their points, and returns tests with the rows' tests placed alike
// (for results.json).
func AddRows(report *grader.Report, tests []rubric.Test, rows []*grader.TestResult) []rubric.Test {
	for _, row := range rows {
		report.Results = insertAfterPart(report.Results, row, func(r *grader.TestResult) string { return r.Test.Part })
		tests = insertAfterPart(tests, row.Test, func(t rubric.Test) string { return t.Part })
		report.Score += row.Score
		report.Max += row.Test.Points
		report.Elapsed += row.Elapsed
	}
	return tests
}

// insertAfterPart inserts x after the last element of list in x's part, or
// at the end.
func insertAfterPart[T any](list []T, x T, part func(T) string) []T {
	at := len(list)
	for i := len(list) - 1; i >= 0; i-- {
		if part(list[i]) == part(x) {
			at = i + 1
			break
		}
	}
	return append(list[:at], append([]T{x}, list[at:]...)...)
}
