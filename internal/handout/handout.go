// Package handout writes the student handout of the lab's tree and checks
// it. The handout is a copy of the tree (in a git checkout, of the files
// git tracks) with every solution region of the student's files replaced
// by "// Your code here." (and the region's stub, if it has one), and
// without what serves only instructors: version control and CI, grading
// results, the hidden tests (files named *_hidden_test.go, see
// rubric.HiddenTestSuffix), the instructors' pages (InstructorPages, and
// the README, in place of which the handout holds README.student.md), and
// the grader's tests, fixtures, mutants and Gradescope scripts. The grader's code stays, so that students run go run ./grading
// as instructors do.
//
// A solution region is the lines between a "// BEGIN SOLUTION" line and an
// "// END SOLUTION" line, each standing alone on its line; an "// STUB:
// statement" line right after the END line gives the statement the handout
// puts after the marker (a function that must return something returns it).
// Only the student's files (rubric.StudentFiles) may hold regions.
//
// Verify checks a written handout against the solution: it builds, vets,
// keeps the solution's exported API, and fails every graded test, quickly.
// See docs/instructors.md, "The student handout".
package handout

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"pblab/internal/labtree"
	"pblab/internal/rubric"
)

// Stats says what writing a handout did.
type Stats struct {
	Files    int      // files written
	Regions  int      // solution regions removed
	Stripped []string // the files they were removed from, slash-separated
	// Untracked are the files and folders (these end in "/") left out
	// because git does not track them, slash-separated.
	Untracked []string
	// AllFiles says why the handout holds every file of the tree, tracked
	// or not ("" if it holds only those git tracks): the tree is not a git
	// checkout, say.
	AllFiles string
}

// Write writes the handout of the tree at root to dst, which must not exist
// or be empty. When root is a git checkout, the handout holds only the
// files git tracks, so that no scratch file reaches the students;
// otherwise it holds every file, and Stats.AllFiles says why. It is an
// error for a file other than the student's to hold a solution region: a
// graded submission gets the official version of such a file, solution and
// all.
func Write(root, dst string) (*Stats, error) {
	if entries, err := os.ReadDir(dst); err == nil && slices.ContainsFunc(entries, func(e os.DirEntry) bool { return e.Name() != ".git" }) {
		return nil, fmt.Errorf("%s exists and is not empty (to write into a clone of the course's repository, use -update)", dst)
	}
	return write(root, dst)
}

// write writes the handout of the tree at root to dst, over what dst
// holds.
func write(root, dst string) (*Stats, error) {
	stats := &Stats{}
	dstRel, err := filepath.Rel(root, dst)
	if err != nil {
		dstRel = ""
	}
	dstRel = filepath.ToSlash(dstRel)
	tracked, err := labtree.Tracked(root)
	if err != nil {
		stats.AllFiles = err.Error()
	}
	_, err = os.Stat(filepath.Join(root, StudentReadme))
	studentReadme := err == nil && (tracked == nil || tracked[StudentReadme])
	skip := func(rel string, d fs.DirEntry) bool {
		if rel == dstRel || !inHandout(rel, d) { // a handout written inside the tree is not copied into itself
			return true
		}
		if studentReadme && rel == "README.md" { // the instructors' README; the student's takes its place
			return true
		}
		if tracked != nil && !tracked[rel] {
			if d.IsDir() {
				rel += "/"
			}
			stats.Untracked = append(stats.Untracked, rel)
			return true
		}
		return false
	}
	edit := func(rel string, data []byte) ([]byte, error) {
		stats.Files++
		if !strings.HasSuffix(rel, ".go") {
			return data, nil
		}
		stripped, found, err := stripSolution(rel, data)
		if err != nil {
			return nil, err
		}
		if found > 0 {
			if !slices.Contains(rubric.StudentFiles, rel) {
				return nil, fmt.Errorf("%s holds solution regions, but it is not one of the student's files (rubric.StudentFiles): "+
					"move the regions into a student's file, or add the file to the list", rel)
			}
			stats.Regions += found
			stats.Stripped = append(stats.Stripped, rel)
			data = stripped
		}
		if hasMarkerLine(data) {
			return nil, fmt.Errorf("%s: a solution marker survived stripping", rel)
		}
		return data, nil
	}
	if err := labtree.Copy(root, dst, skip, edit); err != nil {
		return nil, err
	}
	if studentReadme {
		if err := os.Rename(filepath.Join(dst, StudentReadme), filepath.Join(dst, "README.md")); err != nil {
			return nil, err
		}
	}
	return stats, nil
}

// StudentReadme is the student's README in the instructors' tree: the
// handout holds it as its README.md, in place of the instructors' own.
const StudentReadme = "README.student.md"

// InstructorPages are the pages of docs/ that are for the course staff
// alone: the handout leaves them out, and no page it holds may link to
// them.
var InstructorPages = []string{"docs/instructors.md"}

// inHandout reports whether the file or folder rel (slash-separated,
// relative to the root) belongs in the student handout. Left out: version
// control (.git, a folder, or in a git worktree a file that names the
// instructors' repository) and CI, grading results and build products, the
// hidden tests, and what serves only instructors (labtree.InstructorsOnly).
func inHandout(rel string, d fs.DirEntry) bool {
	if rel == ".git" || labtree.InstructorsOnly(rel, d) || slices.Contains(InstructorPages, rel) {
		return false
	}
	if d.IsDir() {
		switch rel {
		case ".ci", "results", "handout", "tmp":
			return false
		}
		return true
	}
	name := d.Name()
	return !strings.HasSuffix(name, ".test") && !strings.HasSuffix(name, ".test.exe") && name != ".DS_Store" &&
		!strings.HasSuffix(name, rubric.HiddenTestSuffix)
}
