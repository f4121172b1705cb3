package rubric

// These tests keep the rubric honest: every graded test exists, every name
// is unique, the points add up, and the student's files are the files that
// hold the solution. They read the tests' source with
// go/parser and run nothing, so they do not use labtest.Run: there is no
// server, network or clock to watch.

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"pblab/internal/labenv"
)

// moduleRoot returns the root of the module the test runs in.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := labenv.ModuleRoot(".")
	if err != nil {
		t.Fatalf("rubric: cannot find the module root: %v", err)
	}
	return root
}

// testFuncs returns the test functions (func TestX(t *testing.T)) declared
// in the _test.go files of dir, by name, with the file that declares each.
func testFuncs(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatalf("rubric: %v", err)
	}
	funcs := map[string]string{}
	fset := token.NewFileSet()
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Errorf("rubric: cannot parse %s: %v", file, err)
			continue
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if ok && fn.Recv == nil && isTestName(fn.Name.Name) && fn.Type.Params.NumFields() == 1 {
				funcs[fn.Name.Name] = filepath.Base(file)
			}
		}
	}
	return funcs
}

// isTestName reports whether name is a name go test runs as a test.
func isTestName(name string) bool {
	rest, ok := strings.CutPrefix(name, "Test")
	return ok && (rest == "" || !('a' <= rest[0] && rest[0] <= 'z'))
}

// testPackages returns every directory of the module that holds _test.go
// files, relative to root and slash-separated, with the tests of each.
func testPackages(t *testing.T, root string) map[string]map[string]string {
	t.Helper()
	pkgs := map[string]map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor") {
			return filepath.SkipDir
		}
		if funcs := testFuncs(t, path); len(funcs) > 0 {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			pkgs[filepath.ToSlash(rel)] = funcs
		}
		return nil
	})
	if err != nil {
		t.Fatalf("rubric: walking %s: %v", root, err)
	}
	return pkgs
}

// isHandout reports whether the tree at root is a student's handout,
// which leaves out the hidden tests and the instructor guide: it is known
// by the guide's absence.
func isHandout(root string) bool {
	_, err := os.Stat(filepath.Join(root, "docs", "instructors.md"))
	return os.IsNotExist(err)
}

// Every graded test is a test function of its package (a hidden one only
// in the instructors' tree: the handout leaves it out).
func TestRubricTestsExist(t *testing.T) {
	root := moduleRoot(t)
	pkgs := testPackages(t, root)
	for _, e := range Tests() {
		if e.Hidden != "" && isHandout(root) {
			continue
		}
		funcs, ok := pkgs[e.Package]
		if !ok {
			t.Errorf("rubric: %s (part %s) is in package %q, which has no tests", e.Name, e.Part, e.Package)
			continue
		}
		if _, ok := funcs[e.Name]; !ok {
			t.Errorf("rubric: %s (part %s) is not a test function of package %q: no func %s(t *testing.T) in its _test.go files",
				e.Name, e.Part, e.Package, e.Name)
		}
	}
}

// A graded test's name identifies it: the rubric lists it once, and no
// other package declares a test of the same name.
func TestRubricNamesUnique(t *testing.T) {
	seen := map[string]Test{}
	for _, e := range Tests() {
		if old, dup := seen[e.Name]; dup {
			t.Errorf("rubric: %s is listed twice (part %s, package %s; and part %s, package %s)",
				e.Name, old.Part, old.Package, e.Part, e.Package)
		}
		seen[e.Name] = e
	}
	for pkg, funcs := range testPackages(t, moduleRoot(t)) {
		for name, file := range funcs {
			if e, graded := seen[name]; graded && e.Package != pkg {
				t.Errorf("rubric: graded test %s (package %s) has a namesake in %s/%s; rename one, "+
					"since the grader finds tests by name", name, e.Package, pkg, file)
			}
		}
	}
}

// docPattern is the form of a Doc field: a page of docs/ and an anchor.
var docPattern = regexp.MustCompile(`^docs/[a-z0-9-]+\.md#[a-z0-9_-]+$`)

// Every entry is well formed. (That each Doc names an existing heading is
// checked by internal/doccheck, which reads the docs.)
func TestRubricEntries(t *testing.T) {
	check := func(table string, part string, tests []Test) {
		for _, e := range tests {
			if e.Part != part {
				t.Errorf("rubric: %s, in %s, has Part %q; want %q", e.Name, table, e.Part, part)
			}
			if _, ok := PartName(e.Part); !ok {
				t.Errorf("rubric: %s has Part %q, which Parts does not name", e.Name, e.Part)
			}
			if e.Package == "" || e.Name == "" {
				t.Errorf("rubric: an entry of %s has no Package or no Name: %+v", table, e)
			}
			if e.Points <= 0 {
				t.Errorf("rubric: %s has %d points; a graded test is worth at least 1", e.Name, e.Points)
			}
			if !docPattern.MatchString(e.Doc) {
				t.Errorf("rubric: %s has Doc %q; want a section of the guide, like \"docs/part-a-viewservice.md#step-4-the-ack-rule\"",
					e.Name, e.Doc)
			}
		}
	}
	check("parta.go", "A", partA)
	check("partb.go", "B", partB)
}

func sum(tests []Test) int {
	n := 0
	for _, e := range tests {
		n += e.Points
	}
	return n
}

// Each part's tests add up to the part's points, and the parts to Total.
func TestRubricPoints(t *testing.T) {
	tables := map[string][]Test{"A": partA, "B": partB}
	parts := 0
	for _, p := range Parts {
		parts += p.Points
		if got := sum(tables[p.ID]); got != p.Points {
			t.Errorf("rubric: %s's tests are worth %d points in all; Parts gives it %d", p.Name, got, p.Points)
		}
	}
	if parts != Total {
		t.Errorf("rubric: the parts' points (Parts) add up to %d; want Total, %d", parts, Total)
	}
}

// A hidden test is declared in a file of its own kind, which the handout
// leaves out, and has a visibility Gradescope knows; a visible one is not
// in such a file, or the students would not get it.
func TestRubricHiddenTests(t *testing.T) {
	pkgs := testPackages(t, moduleRoot(t))
	for _, e := range Tests() {
		file, ok := pkgs[e.Package][e.Name]
		if !ok {
			continue // TestRubricTestsExist says so
		}
		inHidden := strings.HasSuffix(file, HiddenTestSuffix)
		switch {
		case e.Hidden != "" && !slices.Contains(Visibilities, e.Hidden):
			t.Errorf("rubric: %s is hidden with visibility %q; want one of %v", e.Name, e.Hidden, Visibilities)
		case e.Hidden != "" && !inHidden:
			t.Errorf("rubric: %s is hidden, but %s/%s would put it in the handout: move it to a file whose name ends in %s",
				e.Name, e.Package, file, HiddenTestSuffix)
		case e.Hidden == "" && inHidden:
			t.Errorf("rubric: %s is not hidden, but %s/%s is left out of the handout: mark it Hidden, or move it",
				e.Name, e.Package, file)
		}
	}
}

// Part A's graded tests are exactly the TestView... functions of
// viewservice, so that none is left out of the grade by mistake.
func TestRubricPartAComplete(t *testing.T) {
	graded := map[string]bool{}
	for _, e := range partA {
		graded[e.Name] = true
	}
	funcs := testFuncs(t, filepath.Join(moduleRoot(t), "viewservice"))
	for name, file := range funcs {
		if strings.HasPrefix(name, "TestView") && !graded[name] {
			t.Errorf("rubric: viewservice/%s declares %s, which parta.go does not grade; add it, or rename it without the TestView prefix",
				file, name)
		}
	}
}

// Every student file is a file of a graded package that the tree holds.
// (That no other file holds a solution region is checked by the handout
// generator, which strips them.)
func TestRubricStudentFiles(t *testing.T) {
	root := moduleRoot(t)
	graded := Packages(Tests())
	for _, f := range StudentFiles {
		if pkg := path.Dir(f); !slices.Contains(graded, pkg) {
			t.Errorf("rubric: StudentFiles names %s, in %s, which has no graded test; the student's files are in the graded packages %v",
				f, pkg, graded)
		}
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(f))); err != nil {
			t.Errorf("rubric: StudentFiles names %s, which the tree does not hold: %v", f, err)
		}
	}
}

// The imports a student's file may have are listed for every folder of
// student files, and never reach the lab's internal packages.
func TestAllowedImports(t *testing.T) {
	for _, f := range StudentFiles {
		if _, ok := LabImports[path.Dir(f)]; !ok {
			t.Errorf("rubric: LabImports has no entry for %s/, the folder of the student's %s", path.Dir(f), f)
		}
	}
	for dir, pkgs := range LabImports {
		for _, p := range append(slices.Clone(StandardImports), pkgs...) {
			if p == "pblab/internal" || strings.HasPrefix(p, "pblab/internal/") {
				t.Errorf("rubric: the student's files of %s/ may not import %s: the lab's internal packages are the tests' and the grader's", dir, p)
			}
		}
	}
	if !slices.IsSorted(StandardImports) {
		t.Errorf("rubric: StandardImports is kept sorted, as the docs print it")
	}
}
