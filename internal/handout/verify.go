package handout

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/exp/apidiff"

	"pblab/internal/grader"
	"pblab/internal/rubric"
	"pblab/internal/submission"
)

// Verify checks the handout at dst against the solution at root, and
// reports each step on w: the handout builds, go vet is clean, every
// package's exported API is the solution's, its pages name no helper of
// the solution (checkDocsNameNoSolution), and every graded test it holds
// (all but the hidden ones) fails on it on its own (no timeout, frozen
// clock or flood) in less than half of timeout, the time limit of each run.
func Verify(ctx context.Context, root, dst string, timeout time.Duration, w io.Writer) error {
	step := func(name string, f func() error) error {
		start := time.Now()
		fmt.Fprintf(w, "  %-44s", name)
		err := f()
		if err != nil {
			fmt.Fprintln(w, "FAILED")
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(w, "ok (%s)\n", time.Since(start).Round(100*time.Millisecond))
		return nil
	}
	fmt.Fprintln(w, "checking the handout:")
	if err := step("go build ./...", func() error { return goRun(ctx, dst, "build", "./...") }); err != nil {
		return err
	}
	if err := step("go vet ./...", func() error { return goRun(ctx, dst, "vet", "./...") }); err != nil {
		return err
	}
	if err := step("exported API equal to the solution's", func() error { return compareAPI(ctx, root, dst) }); err != nil {
		return err
	}
	if err := step("the skeleton passes the grader's checks", func() error { return checkStudentFiles(dst) }); err != nil {
		return err
	}
	if err := step("the docs name no helper of the solution", func() error { return checkDocsNameNoSolution(root, dst) }); err != nil {
		return err
	}
	tests := rubric.Shown(rubric.Tests())
	if len(tests) == 0 {
		fmt.Fprintln(w, "  (the rubric lists no graded tests the handout holds: nothing to run)")
		return nil
	}
	var report *grader.Report
	err := step("every graded test fails fast", func() error {
		var err error
		report, err = grader.Grade(ctx, grader.Options{
			Root: dst, Tests: tests, N: 1, P: max(2, runtime.GOMAXPROCS(0)),
			Timeout: timeout, WallTimeout: timeout, MaxOutput: grader.DefaultMaxOutput,
		})
		if err != nil {
			return err
		}
		return checkHandoutResults(report, timeout)
	})
	if report != nil {
		fmt.Fprintf(w, "  graded tests on the handout: %d/%d points, %d tests in %s\n",
			report.Score, report.Max, len(report.Results), report.Elapsed.Round(100*time.Millisecond))
	}
	return err
}

// checkStudentFiles checks the student's files of the handout at dst as
// the grader checks a submission's: a skeleton that breaks a rule would
// have every student's work rejected.
func checkStudentFiles(dst string) error {
	intake, err := submission.Inspect(dst, nil)
	if err != nil {
		return err
	}
	var problems []string
	for _, pkg := range slices.Sorted(maps.Keys(intake.Rejected)) {
		problems = append(problems, intake.Rejected[pkg])
	}
	if len(problems) > 0 {
		return fmt.Errorf("\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// checkHandoutResults checks that every graded test failed on the handout,
// on its own (no timeout, no frozen clock, no flood) and within limit.
func checkHandoutResults(r *grader.Report, limit time.Duration) error {
	var problems []string
	for _, t := range r.Results {
		switch {
		case t.Kind == grader.Passed:
			problems = append(problems, fmt.Sprintf("%s passes on the handout: the skeleton must fail every graded test", t.Test.Name))
		case t.Kind == grader.TimedOut || t.Kind == grader.Flooded || t.Froze():
			problems = append(problems, fmt.Sprintf("%s does not fail fast on the handout: %s", t.Test.Name, t.VerdictLine()))
		case t.Kind == grader.BuildFailed || t.Kind == grader.Missing:
			problems = append(problems, fmt.Sprintf("%s: %s", t.Test.Name, t.Verdict))
		case t.Elapsed > limit/2:
			problems = append(problems, fmt.Sprintf("%s takes %.1fs to fail on the handout: it should fail at once", t.Test.Name, t.Elapsed.Seconds()))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// goRun runs the go command in dir and returns its output as the error if
// it fails.
func goRun(ctx context.Context, dir string, args ...string) error {
	cmd := exec.CommandContext(ctx, grader.GoCommand(), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// compareAPI compares the exported API of every package of the solution
// with the handout's, with apidiff; any change, compatible or not, is an
// error, since the tests (including hidden ones) use the solution's API.
func compareAPI(ctx context.Context, root, dst string) error {
	oldPkgs, err := loadTypes(ctx, root)
	if err != nil {
		return err
	}
	newPkgs, err := loadTypes(ctx, dst)
	if err != nil {
		return err
	}
	var problems []string
	for _, path := range slices.Sorted(maps.Keys(oldPkgs)) {
		old := oldPkgs[path]
		nw, ok := newPkgs[path]
		if !ok {
			problems = append(problems, path+": missing from the handout")
			continue
		}
		ours, err := regionDecls(filepath.Join(root, strings.TrimPrefix(strings.TrimPrefix(path, "pblab"), "/")))
		if err != nil {
			return err
		}
		for _, c := range apidiff.Changes(old, nw).Changes {
			if name, ok := strings.CutSuffix(c.Message, ": removed"); ok && ours[name] {
				continue // declared inside a solution region: the student's to write
			}
			problems = append(problems, path+": "+c.Message)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("the handout's API differs from the solution's:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// loadTypes type-checks the packages of the module at dir (commands
// excepted) from the export data the go command compiles for them.
func loadTypes(ctx context.Context, dir string) (map[string]*types.Package, error) {
	cmd := exec.CommandContext(ctx, grader.GoCommand(), "list", "-export", "-deps",
		"-f", "{{.ImportPath}}\t{{.Export}}\t{{.Name}}\t{{.Module}}", "./...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -export in %s: %v\n%s", dir, err, stderr.String())
	}
	exports := map[string]string{}
	var mine []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 4 {
			continue
		}
		exports[f[0]] = f[1]
		if f[3] == "pblab" && f[2] != "main" {
			mine = append(mine, f[0])
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok || file == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(file)
	})
	pkgs := map[string]*types.Package{}
	for _, path := range mine {
		p, err := imp.Import(path)
		if err != nil {
			return nil, fmt.Errorf("loading %s: %w", path, err)
		}
		pkgs[path] = p
	}
	return pkgs, nil
}

// regionDecls returns the exported names declared inside the solution
// regions of the package in dir, spelled as apidiff spells them: "Name"
// for a package-level name, "T.F" for a field, "(*T).M" or "T.M" for a
// method. The handout may lack those: the student declares them.
func regionDecls(dir string) (map[string]bool, error) {
	names := map[string]bool{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		regions := regionLines(src)
		if len(regions) == 0 {
			continue
		}
		f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		in := func(n ast.Node) bool {
			line := fset.Position(n.Pos()).Line
			for _, r := range regions {
				if line > r[0] && line < r[1] {
					return true
				}
			}
			return false
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if !in(d) || !d.Name.IsExported() {
					continue
				}
				if d.Recv == nil || len(d.Recv.List) == 0 {
					names[d.Name.Name] = true
					continue
				}
				recv, ptr := receiverName(d.Recv.List[0].Type)
				if ptr {
					names["(*"+recv+")."+d.Name.Name] = true
				} else {
					names[recv+"."+d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch sp := spec.(type) {
					case *ast.TypeSpec:
						if in(sp) && sp.Name.IsExported() {
							names[sp.Name.Name] = true
						}
						if st, ok := sp.Type.(*ast.StructType); ok {
							for _, field := range st.Fields.List {
								if !in(field) {
									continue
								}
								for _, n := range field.Names {
									if n.IsExported() {
										names[sp.Name.Name+"."+n.Name] = true
									}
								}
							}
						}
					case *ast.ValueSpec:
						if in(sp) {
							for _, n := range sp.Names {
								if n.IsExported() {
									names[n.Name] = true
								}
							}
						}
					}
				}
			}
		}
	}
	return names, nil
}

// receiverName returns the type name of a method's receiver and whether it
// is a pointer.
func receiverName(e ast.Expr) (string, bool) {
	ptr := false
	if star, ok := e.(*ast.StarExpr); ok {
		e, ptr = star.X, true
	}
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name, ptr
	case *ast.IndexExpr:
		n, _ := receiverName(x.X)
		return n, ptr
	case *ast.IndexListExpr:
		n, _ := receiverName(x.X)
		return n, ptr
	}
	return "", ptr
}

// regionLines returns the line numbers (1-based) of the BEGIN and END lines
// of each solution region of src.
func regionLines(src []byte) [][2]int {
	var regions [][2]int
	begin := -1
	for i, line := range strings.Split(string(src), "\n") {
		switch strings.TrimSpace(line) {
		case beginMarker:
			begin = i + 1
		case endMarker:
			if begin > 0 {
				regions = append(regions, [2]int{begin, i + 1})
				begin = -1
			}
		}
	}
	return regions
}
