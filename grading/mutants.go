package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"pblab/internal/rubric"
)

// A mutant is one classic bug, written as text substitutions on the
// reference solution. Its file, grading/mutants/NAME.mutant, reads:
//
//	one line: what the bug is
//	more lines of comment, if any
//	-- old viewservice/server.go --
//	the exact text to replace (it must occur exactly once)
//	-- new viewservice/server.go --
//	the text to put instead (may be empty)
//
// with as many old/new pairs as the bug needs. A mutant whose old text is no
// longer in the file "no longer applies": the reference changed, and the
// mutant must be rewritten to match.
//
// A comment line "known survivor: WHY" marks a mutant that the graded tests
// are known to miss, with the scenario that would catch it: it is reported
// as such and does not fail the run, until a test catches it (then the run
// says to remove the line). Every other survivor fails the run.
type mutant struct {
	name  string // the file name without .mutant
	desc  string // the first line
	known string // why the tests miss it, from a "known survivor:" line
	edits []edit
}

type edit struct {
	file     string // slash-separated, relative to the root
	old, new string
}

var sectionLine = regexp.MustCompile(`^-- (old|new) (\S+) --$`)

// parseMutant parses a .mutant file.
func parseMutant(name string, data []byte) (*mutant, error) {
	m := &mutant{name: name}
	lines := strings.SplitAfter(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	var (
		kind, file string
		body       strings.Builder
		inSection  bool
		pending    *edit
	)
	flush := func(line int) error {
		if !inSection {
			return nil
		}
		switch kind {
		case "old":
			if pending != nil {
				return fmt.Errorf("%s.mutant:%d: an old section must be followed by its new section", name, line)
			}
			if body.Len() == 0 {
				return fmt.Errorf("%s.mutant:%d: empty old section for %s", name, line, file)
			}
			pending = &edit{file: file, old: body.String()}
		case "new":
			if pending == nil || pending.file != file {
				return fmt.Errorf("%s.mutant:%d: new section for %s without an old section for the same file before it", name, line, file)
			}
			pending.new = body.String()
			m.edits = append(m.edits, *pending)
			pending = nil
		}
		body.Reset()
		return nil
	}
	for i, line := range lines {
		if match := sectionLine.FindStringSubmatch(strings.TrimRight(line, "\n")); match != nil {
			if err := flush(i + 1); err != nil {
				return nil, err
			}
			kind, file, inSection = match[1], match[2], true
			continue
		}
		if inSection {
			body.WriteString(line)
		} else if why, ok := strings.CutPrefix(strings.TrimSpace(line), "known survivor:"); ok {
			m.known = strings.TrimSpace(why)
		} else if m.desc == "" && strings.TrimSpace(line) != "" {
			m.desc = strings.TrimSpace(line)
		}
	}
	if err := flush(len(lines)); err != nil {
		return nil, err
	}
	if pending != nil {
		return nil, fmt.Errorf("%s.mutant: the old section for %s has no new section", name, pending.file)
	}
	if m.desc == "" || len(m.edits) == 0 {
		return nil, fmt.Errorf("%s.mutant: needs a description line and at least one old/new pair", name)
	}
	return m, nil
}

// loadMutants reads every grading/mutants/*.mutant file of the tree at root.
func loadMutants(root string) ([]*mutant, error) {
	paths, err := filepath.Glob(filepath.Join(root, "grading", "mutants", "*.mutant"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no mutants in %s (the handout has none: run this in the instructors' tree)", filepath.Join(root, "grading", "mutants"))
	}
	var ms []*mutant
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		m, err := parseMutant(strings.TrimSuffix(filepath.Base(p), ".mutant"), data)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// apply returns the mutated contents of each file m edits.
func (m *mutant) apply(root string) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, e := range m.edits {
		src, ok := files[e.file]
		if !ok {
			var err error
			if src, err = os.ReadFile(filepath.Join(root, filepath.FromSlash(e.file))); err != nil {
				return nil, fmt.Errorf("mutant %s no longer applies: %w", m.name, err)
			}
		}
		switch n := strings.Count(string(src), e.old); n {
		case 0:
			return nil, fmt.Errorf("mutant %s no longer applies: %s no longer contains\n%s", m.name, e.file, indent(strings.TrimRight(e.old, "\n"), "    "))
		case 1:
		default:
			return nil, fmt.Errorf("mutant %s is ambiguous: %s contains its old text %d times; quote more context", m.name, e.file, n)
		}
		files[e.file] = []byte(strings.Replace(string(src), e.old, e.new, 1))
	}
	return files, nil
}

// A mutantResult says which graded tests caught a mutant.
type mutantResult struct {
	m       *mutant
	err     error    // the mutant could not be applied or graded
	caught  []string // the tests that failed
	verdict map[string]string
	ran     int
	elapsed time.Duration
}

// mutantOptions are the settings of a mutants run.
type mutantOptions struct {
	p       int
	n       int
	race    bool
	timeout time.Duration
	ignore  map[string]bool // tests that fail on the reference itself
}

// mutantsMain is go run ./grading mutants.
func mutantsMain(args []string) int {
	fs := flag.NewFlagSet("grading mutants", flag.ContinueOnError)
	run := fs.String("run", "", "only the mutants whose names match this regular expression")
	var o mutantOptions
	fs.IntVar(&o.p, "p", runtime.GOMAXPROCS(0), "run `N` tests at once")
	fs.IntVar(&o.n, "n", 1, "run each test `N` times against each mutant; a test that caught it in only some runs shows as TestX(k/N)")
	fs.BoolVar(&o.race, "race", false, "build with the race detector (slower; mutants are logic bugs)")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Second, "time limit of one test run")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./grading mutants [flags]\n\n"+
			"Applies each bug of grading/mutants to the reference solution (through go's\n"+
			"-overlay, so the tree is not touched), runs the graded tests against it, and\n"+
			"prints which tests caught it. The reference itself is graded first: a test\n"+
			"that fails on it cannot count as catching anything. Exits 1 if a mutant\n"+
			"survives (unless marked \"known survivor\") or no longer applies.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	cwd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutants:", err)
		return 2
	}
	root, err := moduleRoot(cwd)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutants:", err)
		return 2
	}
	ms, err := loadMutants(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutants:", err)
		return 2
	}
	if *run != "" {
		re, err := regexp.Compile(*run)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mutants: -run:", err)
			return 2
		}
		ms = slices.DeleteFunc(ms, func(m *mutant) bool { return !re.MatchString(m.name) })
	}
	if len(rubric.Tests()) == 0 {
		fmt.Fprintln(os.Stderr, "mutants: the rubric lists no graded tests")
		return 2
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	start := time.Now()

	fmt.Printf("the reference: ")
	base, err := grade(ctx, gradeOptions{
		root: root, tests: rubric.Tests(), n: o.n, p: o.p, race: o.race,
		timeout: o.timeout, wallTimeout: o.timeout, maxOutput: defaultMaxOutputMB << 20,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutants: grading the reference:", err)
		return 2
	}
	o.ignore = map[string]bool{}
	for _, t := range base.results {
		if t.score < t.test.Points {
			o.ignore[t.test.Name] = true
		}
	}
	fmt.Printf("%d/%d points in %s\n", base.score, base.max, seconds(base.elapsed))
	for _, name := range sortedKeys(o.ignore) {
		fmt.Printf("  %s fails on the reference (flaky?): it cannot count as catching a mutant\n", name)
	}

	var results []*mutantResult
	for i, m := range ms {
		fmt.Printf("[%d/%d] %s: %s ... ", i+1, len(ms), m.name, m.desc)
		r := runMutant(ctx, root, m, o)
		results = append(results, r)
		switch {
		case r.err != nil:
			fmt.Printf("ERROR\n  %s\n", indent(r.err.Error(), "  "))
		case len(r.caught) == 0 && m.known != "":
			fmt.Printf("SURVIVED, as known (%s)\n", seconds(r.elapsed))
		case len(r.caught) == 0:
			fmt.Printf("SURVIVED (%s)\n", seconds(r.elapsed))
		default:
			fmt.Printf("caught by %d of %d tests (%s)\n", len(r.caught), r.ran, seconds(r.elapsed))
		}
		if ctx.Err() != nil {
			break
		}
	}
	fmt.Println()
	bad := printMutantTable(os.Stdout, results)
	fmt.Printf("\n%d mutants in %s\n", len(results), time.Since(start).Round(time.Second))
	if bad > 0 {
		fmt.Fprintf(os.Stderr, "mutants: %d mutant(s) survived or could not run\n", bad)
		return 1
	}
	return 0
}

// runMutant grades, against the mutated solution, the graded tests that can
// see m's files.
func runMutant(ctx context.Context, root string, m *mutant, o mutantOptions) *mutantResult {
	start := time.Now()
	r := &mutantResult{m: m, verdict: map[string]string{}}
	overlayPath, cleanup, err := m.overlay(root)
	if err != nil {
		r.err = err
		return r
	}
	defer cleanup()
	var touched []string
	for _, e := range m.edits {
		touched = append(touched, "pblab/"+path.Dir(e.file))
	}
	tests, err := testsSeeing(ctx, root, touched)
	if err != nil {
		r.err = err
		return r
	}
	report, err := grade(ctx, gradeOptions{
		root: root, tests: tests, n: o.n, p: o.p, race: o.race,
		timeout: o.timeout, wallTimeout: o.timeout, maxOutput: defaultMaxOutputMB << 20,
		buildFlags: []string{"-overlay", overlayPath},
	})
	if err != nil {
		r.err = err
		return r
	}
	for _, t := range report.results {
		if t.kind == kindBuild {
			r.err = fmt.Errorf("mutant %s does not build: %s", m.name, t.verdict)
			return r
		}
		if o.ignore[t.test.Name] {
			continue
		}
		r.ran++
		if t.score < t.test.Points {
			name := t.test.Name
			if fails := len(t.runs) - t.passes; len(t.runs) > 1 && fails < len(t.runs) {
				name += fmt.Sprintf("(%d/%d)", fails, len(t.runs)) // caught in only some runs
			}
			r.caught = append(r.caught, name)
			r.verdict[t.test.Name] = firstLine(t.verdict)
		}
	}
	r.elapsed = time.Since(start)
	return r
}

// overlay writes m's mutated files to a temporary directory, with the
// overlay file that makes the go command use them in place of the
// originals, and returns that file's path and a function that removes it
// all.
func (m *mutant) overlay(root string) (string, func(), error) {
	files, err := m.apply(root)
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "pblab-mutant-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	overlay := struct{ Replace map[string]string }{Replace: map[string]string{}}
	for file, data := range files {
		tmp := filepath.Join(dir, strings.ReplaceAll(file, "/", "_"))
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			cleanup()
			return "", nil, err
		}
		overlay.Replace[filepath.Join(root, filepath.FromSlash(file))] = tmp
	}
	path := filepath.Join(dir, "overlay.json")
	data, err := json.Marshal(overlay)
	if err == nil {
		err = os.WriteFile(path, data, 0o644)
	}
	if err != nil {
		cleanup()
		return "", nil, err
	}
	return path, cleanup, nil
}

// testsSeeing returns the graded tests whose package imports (or is) one of
// pkgs.
func testsSeeing(ctx context.Context, root string, pkgs []string) ([]rubric.Test, error) {
	var tests []rubric.Test
	deps := map[string][]string{}
	for _, t := range rubric.Tests() {
		d, ok := deps[t.Package]
		if !ok {
			cmd := exec.CommandContext(ctx, goCommand(), "list", "-deps", "-test", "./"+t.Package)
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

// printMutantTable prints which tests caught each mutant, and returns how
// many survived (unexpectedly) or could not run.
func printMutantTable(w io.Writer, results []*mutantResult) int {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MUTANT\tCAUGHT\tBY")
	bad := 0
	var known, nowCaught []*mutantResult
	for _, r := range results {
		switch {
		case r.err != nil:
			bad++
			fmt.Fprintf(tw, "%s\tERROR\t%s\n", r.m.name, firstLine(r.err.Error()))
		case len(r.caught) == 0 && r.m.known != "":
			known = append(known, r)
			fmt.Fprintf(tw, "%s\tSURVIVED\t(known survivor) %s\n", r.m.name, r.m.desc)
		case len(r.caught) == 0:
			bad++
			fmt.Fprintf(tw, "%s\tSURVIVED\t%s\n", r.m.name, r.m.desc)
		default:
			if r.m.known != "" {
				nowCaught = append(nowCaught, r)
			}
			fmt.Fprintf(tw, "%s\t%d/%d\t%s\n", r.m.name, len(r.caught), r.ran, strings.Join(r.caught, " "))
		}
	}
	tw.Flush()
	for _, r := range known {
		fmt.Fprintf(w, "\nknown survivor %s: %s\n  the tests should catch it: %s\n", r.m.name, r.m.desc, r.m.known)
	}
	for _, r := range nowCaught {
		fmt.Fprintf(w, "\n%s, a known survivor, was caught this time: once the tests catch it every time (-n 10), remove its \"known survivor\" line\n", r.m.name)
	}
	return bad
}
