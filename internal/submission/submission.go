// Package submission turns a student's submission into a tree the grader
// can trust its tests in: the official tree (the grader's own: its tests,
// labrpc, the given files) with exactly the student's files
// (rubric.StudentFiles) taken from the submission. Nothing else of the
// submission is used: its other files are ignored, and counted in one note,
// which names the Go files of the graded folders that differ from the
// official tree (a helper file a student added, a given file they changed),
// so that no honest student is surprised.
//
// Before anything is built, the student's files are checked
// (pblab/internal/studentcheck). A part whose files break a rule, or are
// missing, is rejected: the grader builds none of its tests, and each gets
// the reasons as its verdict (grader.Options.Rejected). The other part is
// still graded; where it builds on the rejected one (Part B imports the
// view service), it is built on the official version of the rejected
// files, and a note says so. See docs/instructors.md, "A student's
// submission" and "What the grader trusts".
package submission

import (
	"bytes"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"pblab/internal/labtree"
	"pblab/internal/rubric"
	"pblab/internal/studentcheck"
)

// MaxFileSize is the size past which a student's file is not read.
const MaxFileSize = 1 << 20

// maxNamed is how many differing files the note on ignored files names.
const maxNamed = 8

// Intake is what grading a tree must know before anything is built.
type Intake struct {
	// Notes are for the report: the files ignored, a part built on the
	// official version of another.
	Notes []string
	// Rejected holds, by package (the folder of student files, such as
	// "pbservice"), why that package is not built: the verdict each of its
	// tests gets.
	Rejected map[string]string
}

// Prepare writes to dst the tree that grades the submission in src: the
// official tree in official, with the student's files taken from src, and
// checks those files. allow widens the imports the rubric allows
// (rubric.AllowedImports), for every student file. src is a folder or a
// zip file; the student's files may be anywhere in it that a student puts
// them (see layout): a whole tree, the files alone in their folders, or
// loose. dst must be empty.
func Prepare(src, official, dst string, allow []string) (*Intake, error) {
	src, cleanup, err := open(src)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	l, err := locate(src)
	if err != nil {
		return nil, fmt.Errorf("-submission %s: %w", src, err)
	}
	skip := func(rel string, d fs.DirEntry) bool {
		return isJunk(rel, d) || labtree.InstructorsOnly(rel, d) || !d.IsDir() && slices.Contains(rubric.StudentFiles, rel)
	}
	if err := labtree.Copy(official, dst, skip, nil); err != nil {
		return nil, fmt.Errorf("copying the official tree: %w", err)
	}
	in := newInspection(allow, "from the submission")
	for _, rel := range rubric.StudentFiles {
		data, ok := in.take(rel, l.found[rel])
		if !ok {
			continue
		}
		if err := writeFile(dst, rel, data); err != nil {
			return nil, err
		}
	}
	intake := in.intake()
	notes, err := buildOnOfficial(official, dst, intake.Rejected)
	if err != nil {
		return nil, err
	}
	intake.Notes = append(intake.Notes, l.notes...)
	if len(l.found) == 0 && len(l.notes) == 0 {
		intake.Notes = append(intake.Notes, fmt.Sprintf("the submission holds none of %s: was the right folder uploaded? (docs/submitting.md)", sayList(rubric.StudentFiles)))
	}
	if ignored := ignoredNote(l, official); ignored != "" {
		intake.Notes = append(intake.Notes, ignored)
	}
	intake.Notes = append(intake.Notes, notes...)
	return intake, nil
}

// Collect returns the student's files of the submission in src (a folder
// or a zip file, as for Prepare), by their path in the tree
// (rubric.StudentFiles), as they are: unchecked, and without those it
// lacks or cannot read. It is what a plagiarism checker should compare.
func Collect(src string) (map[string][]byte, error) {
	src, cleanup, err := open(src)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	l, err := locate(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	files := map[string][]byte{}
	for rel, file := range l.found {
		if data, problem := readStudentFile(file, rel); problem == "" {
			files[rel] = data
		}
	}
	return files, nil
}

// open returns the folder that holds the submission in src: src itself,
// or for a zip file a temporary folder it is unpacked into, which cleanup
// removes.
func open(src string) (dir string, cleanup func(), err error) {
	info, err := os.Stat(src)
	if err != nil {
		return "", nil, fmt.Errorf("-submission: %w", err)
	}
	if info.IsDir() {
		return src, func() {}, nil
	}
	if !IsZip(src) {
		return "", nil, fmt.Errorf("-submission %s: not a directory or a zip file", src)
	}
	unzipped, err := os.MkdirTemp("", "pblab-unzipped-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(unzipped) }
	if err := Unzip(src, unzipped); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("-submission %s: %w", src, err)
	}
	return unzipped, cleanup, nil
}

// Inspect checks the student's files of the tree at root, which is graded
// where it stands (go run ./grading in a student's own tree). allow is as
// for Prepare.
func Inspect(root string, allow []string) (*Intake, error) {
	in := newInspection(allow, "")
	for _, rel := range rubric.StudentFiles {
		in.take(rel, filepath.Join(root, filepath.FromSlash(rel)))
	}
	return in.intake(), nil
}

// An inspection gathers what is wrong with the student's files, by
// package, as they are taken one by one.
type inspection struct {
	allow    []string
	where    string              // where a missing file is missing from: "from the submission", or ""
	problems map[string][]string // by package: a file missing, or each rule a file breaks
	broken   map[string]bool     // packages whose files break a rule, not only lack one
}

func newInspection(allow []string, where string) *inspection {
	return &inspection{allow: allow, where: where, problems: map[string][]string{}, broken: map[string]bool{}}
}

// take reads the student's file rel (slash-separated, relative to the
// tree) from file, "" if there is none, and checks it. It returns the
// file's contents, and false if there is no file to grade.
func (in *inspection) take(rel, file string) ([]byte, bool) {
	pkg := path.Dir(rel)
	var data []byte
	problem := errMissing
	if file != "" {
		data, problem = readStudentFile(file, rel)
	}
	if problem == errMissing {
		problem = strings.TrimSpace(rel + " is missing " + in.where)
	}
	if problem != "" {
		in.problems[pkg] = append(in.problems[pkg], problem)
		return nil, false
	}
	allowed := append(rubric.AllowedImports(pkg), in.allow...)
	for _, v := range studentcheck.Check(rel, data, allowed) {
		in.problems[pkg] = append(in.problems[pkg], v.String())
		in.broken[pkg] = true
	}
	return data, true
}

// intake returns the verdict of each package with problems.
func (in *inspection) intake() *Intake {
	rejected := map[string]string{}
	for pkg, problems := range in.problems {
		head := "not built: "
		if in.broken[pkg] {
			head = "rejected: "
		}
		if len(problems) == 1 {
			rejected[pkg] = head + problems[0]
			continue
		}
		rejected[pkg] = fmt.Sprintf("%s%d problems with the student's files of %s/:\n  %s",
			head, len(problems), pkg, strings.Join(problems, "\n  "))
	}
	return &Intake{Rejected: rejected}
}

// errMissing is readStudentFile's problem for a file that does not exist.
const errMissing = "missing"

// readStudentFile reads the student's file rel from file. If there is
// none to read, it says why instead: errMissing, or a sentence.
func readStudentFile(file, rel string) ([]byte, string) {
	info, err := os.Lstat(file)
	switch {
	case os.IsNotExist(err):
		return nil, errMissing
	case err != nil:
		return nil, fmt.Sprintf("%s cannot be read (%v)", rel, err)
	case info.Mode()&fs.ModeSymlink != 0:
		return nil, rel + " is a symbolic link, not a file"
	case !info.Mode().IsRegular():
		return nil, rel + " is not a file"
	case info.Size() > MaxFileSize:
		return nil, fmt.Sprintf("%s is larger than %d MB", rel, MaxFileSize>>20)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Sprintf("%s cannot be read (%v)", rel, err)
	}
	return data, ""
}

// buildOnOfficial gives the packages that are graded the official version
// of the rejected packages they build on (rubric.LabImports), so that a
// rejected Part A does not stop Part B from building. It returns a note
// for each package so given.
func buildOnOfficial(official, dst string, rejected map[string]string) ([]string, error) {
	var notes []string
	for _, pkg := range studentPackages() {
		if rejected[pkg] == "" {
			continue
		}
		var users []string
		for _, user := range studentPackages() {
			if rejected[user] == "" && slices.Contains(rubric.LabImports[user], "pblab/"+pkg) {
				users = append(users, user+"/")
			}
		}
		if len(users) == 0 {
			continue
		}
		var files []string
		for _, rel := range rubric.StudentFiles {
			if path.Dir(rel) != pkg {
				continue
			}
			data, err := os.ReadFile(filepath.Join(official, filepath.FromSlash(rel)))
			if err != nil {
				return nil, fmt.Errorf("the official %s: %w", rel, err)
			}
			if err := writeFile(dst, rel, data); err != nil {
				return nil, err
			}
			files = append(files, rel)
		}
		notes = append(notes, fmt.Sprintf("%s is built on the official %s, as the submission's %s/ was not accepted",
			strings.Join(users, " and "), strings.Join(files, ", "), pkg))
	}
	return notes, nil
}

// studentPackages returns the folders of the student's files, in the
// rubric's order.
func studentPackages() []string {
	var pkgs []string
	for _, rel := range rubric.StudentFiles {
		if pkg := path.Dir(rel); !slices.Contains(pkgs, pkg) {
			pkgs = append(pkgs, pkg)
		}
	}
	return pkgs
}

// ignoredNote returns the one note on the Go files of the submission
// that stand beside the student's files and are not graded: in a tree,
// those of the folders of student files that are not the official ones (a
// helper file added, a given file changed); loose, the other Go files of
// the folders the student's files came from. Anything else a submission
// holds (documentation, the rest of a clone) goes without a word. It
// returns "" if there is nothing to say.
func ignoredNote(l *layout, official string) string {
	var differ []string
	if l.root != "" {
		for _, pkg := range studentPackages() {
			entries, _ := os.ReadDir(filepath.Join(l.root, pkg))
			for _, e := range entries {
				rel := pkg + "/" + e.Name()
				if e.Type().IsRegular() && !slices.Contains(rubric.StudentFiles, rel) {
					if how := differsFromOfficial(official, rel, filepath.Join(l.root, pkg, e.Name())); how != "" {
						differ = append(differ, rel+" ("+how+")")
					}
				}
			}
		}
	}
	differ = append(differ, looseNeighbours(l)...)
	if len(differ) == 0 {
		return ""
	}
	if len(differ) > maxNamed {
		differ = append(differ[:maxNamed], fmt.Sprintf("and %d more", len(differ)-maxNamed))
	}
	return fmt.Sprintf("ignored, as only %s are graded: %s", sayList(rubric.StudentFiles), strings.Join(differ, ", "))
}

// looseNeighbours returns the other Go files of the folders outside the
// tree that student files were taken from (a flat "just my files"
// submission), each as "name (not graded)".
func looseNeighbours(l *layout) []string {
	taken := map[string]bool{}
	dirs := map[string]bool{}
	for _, file := range l.found {
		taken[file] = true
		if l.root == "" || !strings.HasPrefix(file, l.root) {
			dirs[filepath.Dir(file)] = true
		}
	}
	var names []string
	for _, dir := range slices.Sorted(maps.Keys(dirs)) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			file := filepath.Join(dir, e.Name())
			if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".go") && !taken[file] && !isStudentName(e.Name()) {
				names = append(names, e.Name()+" (not graded)")
			}
		}
	}
	return names
}

// differsFromOfficial says how the submission's file rel (at file) differs
// from the official one, "added" or "changed", if it is a Go file of a
// folder of student files; otherwise, or if it is the same, it returns "".
func differsFromOfficial(official, rel, file string) string {
	if !strings.HasSuffix(rel, ".go") || !slices.Contains(studentPackages(), path.Dir(rel)) {
		return ""
	}
	want, err := os.ReadFile(filepath.Join(official, filepath.FromSlash(rel)))
	if err != nil {
		return "added"
	}
	got, err := os.ReadFile(file)
	if err != nil || !bytes.Equal(normalizeEOL(got), normalizeEOL(want)) {
		return "changed"
	}
	return ""
}

// isJunk reports whether a file or folder of the official tree stays out
// of the tree that grades a submission: version control, grading results,
// build products.
func isJunk(rel string, d fs.DirEntry) bool {
	name := d.Name()
	switch {
	case name == ".git":
		return true
	case d.IsDir():
		return rel == "results" || name == "node_modules"
	default:
		return strings.HasSuffix(name, ".test") || strings.HasSuffix(name, ".test.exe")
	}
}

// writeFile writes data to the file rel of the tree at root.
func writeFile(root, rel string, data []byte) error {
	target := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	return os.WriteFile(target, data, 0o644)
}

// sayList joins items as a sentence does: "a, b and c".
func sayList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func normalizeEOL(b []byte) []byte {
	return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
}
