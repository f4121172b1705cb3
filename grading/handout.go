package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"golang.org/x/exp/apidiff"

	"pblab/internal/rubric"
)

// handoutMain is go run ./grading handout -o DIR.
func handoutMain(args []string) int {
	fs := flag.NewFlagSet("grading handout", flag.ContinueOnError)
	out := fs.String("o", "", "write the handout to `DIR` (must not exist, or be empty)")
	verify := fs.Bool("verify", true, "check the handout: it builds, vets, keeps the API, and its graded tests fail fast")
	timeout := fs.Duration("timeout", 60*time.Second, "time limit of each graded test on the handout, when verifying")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./grading handout -o DIR\n\n"+
			"Writes the student handout of this tree: every solution region replaced by\n"+
			"\"// Your code here.\" (and its stub), the grader's mutants, fixtures and tests\n"+
			"left out. Then checks the handout.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	cwd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "handout:", err)
		return 2
	}
	root, err := moduleRoot(cwd)
	if err != nil {
		fmt.Fprintln(os.Stderr, "handout:", err)
		return 2
	}
	dst, err := filepath.Abs(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "handout:", err)
		return 2
	}
	start := time.Now()
	stats, err := writeHandout(root, dst)
	if err != nil {
		fmt.Fprintln(os.Stderr, "handout:", err)
		return 1
	}
	fmt.Printf("handout written to %s: %d files, %d solution regions removed from %s\n",
		dst, stats.files, stats.regions, strings.Join(stats.stripped, ", "))
	if !*verify {
		return 0
	}
	ctx := context.Background()
	if err := verifyHandout(ctx, root, dst, *timeout, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "handout: verification failed:", err)
		return 1
	}
	fmt.Printf("handout verified in %s\n", time.Since(start).Round(100*time.Millisecond))
	return 0
}

type handoutStats struct {
	files    int
	regions  int
	stripped []string
}

// inHandout reports whether the file or directory rel (slash-separated,
// relative to the root) belongs in the student handout. Left out: version
// control and CI, grading results and build products, and the parts of
// grading/ that reveal the solution or serve only instructors: its tests,
// their fixtures, the mutants and the Gradescope scripts. The grader itself
// stays, so that students can run go run ./grading.
func inHandout(rel string, d fs.DirEntry) bool {
	if d.IsDir() {
		switch rel {
		case ".git", ".ci", "results", "handout", "tmp",
			"grading/mutants", "grading/testdata", "grading/gradescope":
			return false
		}
		return true
	}
	if strings.HasPrefix(rel, "grading/") && strings.HasSuffix(rel, "_test.go") {
		return false
	}
	name := d.Name()
	return !strings.HasSuffix(name, ".test") && !strings.HasSuffix(name, ".test.exe") && name != ".DS_Store"
}

// writeHandout writes the handout of the tree at root to dst.
func writeHandout(root, dst string) (*handoutStats, error) {
	if entries, err := os.ReadDir(dst); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s exists and is not empty", dst)
	}
	stats := &handoutStats{}
	dstRel, err := filepath.Rel(root, dst)
	if err != nil {
		dstRel = ""
	}
	dstRel = filepath.ToSlash(dstRel)
	skip := func(rel string, d fs.DirEntry) bool {
		return rel == dstRel || !inHandout(rel, d) // a handout written inside the tree is not copied into itself
	}
	edit := func(rel string, data []byte) ([]byte, error) {
		stats.files++
		if !strings.HasSuffix(rel, ".go") {
			return data, nil
		}
		stripped, found, err := stripSolution(rel, data)
		if err != nil {
			return nil, err
		}
		if found > 0 {
			stats.regions += found
			stats.stripped = append(stats.stripped, rel)
			data = stripped
		}
		if hasMarkerLine(data) {
			return nil, fmt.Errorf("%s: a solution marker survived stripping", rel)
		}
		return data, nil
	}
	err = copyTree(root, dst, skip, edit)
	if err != nil {
		return nil, err
	}
	return stats, nil
}

// verifyHandout checks the handout at dst against the solution at root: it
// builds, go vet is clean, every package's exported API is the solution's,
// and every graded test fails, quickly, on it.
func verifyHandout(ctx context.Context, root, dst string, timeout time.Duration, w io.Writer) error {
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
	if len(rubric.Tests()) == 0 {
		fmt.Fprintln(w, "  (the rubric lists no graded tests yet: nothing to run)")
		return nil
	}
	var report *gradeReport
	err := step("every graded test fails fast", func() error {
		var err error
		report, err = grade(ctx, gradeOptions{
			root: dst, tests: rubric.Tests(), n: 1, p: max(2, runtime.GOMAXPROCS(0)),
			race: false, timeout: timeout, wallTimeout: timeout, maxOutput: defaultMaxOutputMB << 20,
		})
		if err != nil {
			return err
		}
		return checkHandoutResults(report, timeout)
	})
	if report != nil {
		fmt.Fprintf(w, "  graded tests on the handout: %d/%d points, %d tests in %s\n",
			report.score, report.max, len(report.results), report.elapsed.Round(100*time.Millisecond))
	}
	return err
}

// checkHandoutResults checks that every graded test failed on the handout,
// on its own (no timeout, no frozen clock, no flood) and within limit.
func checkHandoutResults(r *gradeReport, limit time.Duration) error {
	var problems []string
	for _, t := range r.results {
		switch {
		case t.kind == kindPassed:
			problems = append(problems, fmt.Sprintf("%s passes on the handout: the skeleton must fail every graded test", t.test.Name))
		case t.kind == kindTimeout || t.kind == kindFlood || stalled(t):
			problems = append(problems, fmt.Sprintf("%s does not fail fast on the handout: %s", t.test.Name, firstLine(t.verdict)))
		case t.kind == kindBuild || t.kind == kindMissing:
			problems = append(problems, fmt.Sprintf("%s: %s", t.test.Name, t.verdict))
		case t.elapsed > limit/2:
			problems = append(problems, fmt.Sprintf("%s takes %s to fail on the handout: it should fail at once", t.test.Name, seconds(t.elapsed)))
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
	cmd := exec.CommandContext(ctx, goCommand(), args...)
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
	for _, path := range sortedKeys(keysOf(oldPkgs)) {
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

func keysOf[V any](m map[string]V) map[string]bool {
	keys := map[string]bool{}
	for k := range m {
		keys[k] = true
	}
	return keys
}

// loadTypes type-checks the packages of the module at dir (commands
// excepted) from the export data the go command compiles for them.
func loadTypes(ctx context.Context, dir string) (map[string]*types.Package, error) {
	cmd := exec.CommandContext(ctx, goCommand(), "list", "-export", "-deps",
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
