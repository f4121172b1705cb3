// Package batch grades a class: every submission of a folder, with the
// official tree, into a gradebook.
//
// The class folder holds one folder or zip file per student, named after
// the student (alice/, bob.zip). Each submission is graded as
// go run ./grading -submission grades it (pblab/internal/submission, then
// pblab/internal/grader), Jobs at a time, each within its own deadline,
// and its Gradescope results.json is written to the JSON folder as
// <student>.json. The gradebook, a CSV file, is then made from every
// results.json of the class: one row per student, with the total, the
// points of each part and of each test, and the notes.
//
// A batch is resumable: a submission whose results.json is already in the
// JSON folder is not graded again (unless Force), so a batch stopped half
// way goes on where it stopped, and re-grading one student is removing
// their results.json. A submission interrupted mid-way writes none.
//
// Each job grades in a folder of its own that it reuses for every
// submission it grades, so that the go command's build cache, which keys
// packages by their folder too, compiles the lab's own packages (labrpc,
// the test harness) once per job rather than once per submission.
package batch

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"pblab/internal/grader"
	"pblab/internal/rubric"
	"pblab/internal/submission"
)

// A Submission is one student's submission in the class folder.
type Submission struct {
	Student string // the folder's name, or the zip file's without ".zip"
	Path    string
}

// Options says what to grade and how.
type Options struct {
	Class    string        // the class folder
	Official string        // the official tree
	Jobs     int           // submissions graded at once
	Deadline time.Duration // each submission's grading, build included
	JSONDir  string        // where each results.json goes, as <student>.json
	LogsDir  string        // where each student's logs of failing runs go, in <student>/; "" for none
	Force    bool          // grade again the submissions already graded
	Only     []string      // grade only these students; none for all
	Allow    []string      // imports allowed besides the rubric's (-allow-import)
	// Grade holds the settings of each grading: Tests, N, P, Race,
	// Realtime, the limits. Root, Deadline, ResultsDir, Rejected and
	// Progress are set for each submission.
	Grade grader.Options
}

// A Result is the grading of one submission in this batch.
type Result struct {
	Submission
	Score, Max int
	Elapsed    time.Duration
	Skipped    bool  // graded before: its results.json was kept
	Err        error // grading could not run (results.json says so too)
}

// List returns the submissions of the class folder, by student: each
// folder and each zip file, hidden ones aside. Two of one name (alice/ and
// alice.zip) are an error.
func List(class string) ([]Submission, error) {
	entries, err := os.ReadDir(class)
	if err != nil {
		return nil, fmt.Errorf("batch: %w", err)
	}
	var subs []Submission
	seen := map[string]string{}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "__") {
			continue
		}
		student := name
		switch {
		case e.IsDir():
		case e.Type().IsRegular() && submission.IsZip(name):
			student = strings.TrimSuffix(name, filepath.Ext(name))
		default:
			continue
		}
		if other, dup := seen[student]; dup {
			return nil, fmt.Errorf("batch: %s and %s are both %s's: keep one", other, name, student)
		}
		seen[student] = name
		subs = append(subs, Submission{Student: student, Path: filepath.Join(class, name)})
	}
	if len(subs) == 0 {
		return nil, fmt.Errorf("batch: %s holds no submission (a folder or a zip file per student)", class)
	}
	return subs, nil
}

// JSONPath returns where the results.json of student goes in dir.
func JSONPath(dir, student string) string {
	return filepath.Join(dir, student+".json")
}

// Run grades the submissions of opts.Class that opts selects, and reports
// each on w as it is done. It returns every selected submission's result,
// in the class's order; a canceled ctx stops the gradings under way, and
// the submissions not finished keep no results.json.
func Run(ctx context.Context, opts Options, w io.Writer) ([]*Result, error) {
	subs, err := List(opts.Class)
	if err != nil {
		return nil, err
	}
	if len(opts.Only) > 0 {
		subs = slices.DeleteFunc(subs, func(s Submission) bool { return !slices.Contains(opts.Only, s.Student) })
		if len(subs) == 0 {
			return nil, fmt.Errorf("batch: no submission of %s is %s's", opts.Class, strings.Join(opts.Only, "'s or "))
		}
	}
	if err := os.MkdirAll(opts.JSONDir, 0o755); err != nil {
		return nil, fmt.Errorf("batch: %w", err)
	}
	work, err := os.MkdirTemp("", "pblab-batch-")
	if err != nil {
		return nil, fmt.Errorf("batch: %w", err)
	}
	defer os.RemoveAll(work)

	results := make([]*Result, len(subs))
	var todo []int
	for i, s := range subs {
		results[i] = &Result{Submission: s}
		if _, err := os.Stat(JSONPath(opts.JSONDir, s.Student)); err == nil && !opts.Force {
			results[i].Skipped = true
			continue
		}
		todo = append(todo, i)
	}
	p := newProgress(w, len(subs), len(subs)-len(todo))
	p.begin(len(todo), opts)

	jobs := max(1, min(opts.Jobs, len(todo)))
	queue := make(chan int)
	var wg sync.WaitGroup
	for j := range jobs {
		slot := filepath.Join(work, fmt.Sprintf("job%d", j))
		wg.Go(func() {
			for i := range queue {
				gradeOne(ctx, opts, slot, results[i])
				if ctx.Err() == nil {
					p.done(results[i])
				}
			}
		})
	}
	for _, i := range todo {
		if ctx.Err() != nil {
			break
		}
		queue <- i
	}
	close(queue)
	wg.Wait()
	p.end()
	return results, ctx.Err()
}

// gradeOne grades one submission in the job's folder slot, and writes its
// results.json unless ctx was canceled first.
func gradeOne(ctx context.Context, opts Options, slot string, r *Result) {
	start := time.Now()
	tree := filepath.Join(slot, "tree")
	report, err := grade(ctx, opts, tree, r.Submission)
	r.Elapsed = time.Since(start)
	if ctx.Err() != nil {
		return
	}
	r.Err = err
	res := grader.Gradescope(report, opts.Grade.Tests, err)
	r.Score, r.Max = res.Score, MaxOf(opts.Grade.Tests)
	if werr := grader.WriteJSON(JSONPath(opts.JSONDir, r.Student), res); werr != nil && r.Err == nil {
		r.Err = werr
	}
}

// grade prepares the submission in tree (emptied first) and grades it.
func grade(ctx context.Context, opts Options, tree string, s Submission) (*grader.Report, error) {
	if err := os.RemoveAll(tree); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(tree, 0o755); err != nil {
		return nil, err
	}
	intake, err := submission.Prepare(s.Path, opts.Official, tree, opts.Allow)
	if err != nil {
		return nil, err
	}
	g := opts.Grade
	g.Root = tree
	g.Rejected = intake.Rejected
	g.Protect = append(slices.Clone(g.Protect), opts.Official)
	g.Progress = nil
	if opts.Deadline > 0 {
		g.Deadline = time.Now().Add(opts.Deadline)
	}
	if opts.LogsDir != "" {
		g.ResultsDir = filepath.Join(opts.LogsDir, s.Student)
	}
	report, err := grader.Grade(ctx, g)
	if report != nil {
		report.Notes = intake.Notes
	}
	return report, err
}

// Export writes the student's files of each submission of the class to
// dir/<student>/, as their paths in the tree (dir/alice/pbservice/server.go):
// the folder of folders that plagiarism checkers such as MOSS and JPlag
// compare. It returns how many students' files it wrote.
func Export(class, dir string) (int, error) {
	subs, err := List(class)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range subs {
		files, err := submission.Collect(s.Path)
		if err != nil {
			return n, fmt.Errorf("batch: -export: %s: %w", s.Student, err)
		}
		for rel, data := range files {
			target := filepath.Join(dir, s.Student, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return n, fmt.Errorf("batch: -export: %w", err)
			}
			if err := os.WriteFile(target, data, 0o644); err != nil {
				return n, fmt.Errorf("batch: -export: %w", err)
			}
		}
		if len(files) > 0 {
			n++
		}
	}
	return n, nil
}

// MaxOf returns the points tests are worth.
func MaxOf(tests []rubric.Test) int {
	n := 0
	for _, t := range tests {
		n += t.Points
	}
	return n
}
