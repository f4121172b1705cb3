// Package submission turns a student's submission into a tree the grader
// can trust its tests in: a copy of the student's tree with the official
// version of every file the student may not change laid over it.
//
// The student's files are those the rubric names (rubric.StudentFiles),
// and any file other than a test that the student adds to a graded package;
// the official files are every test and every other given file of the
// graded packages, labrpc, labsync, internal (of the grader's own folders,
// only their code), go.mod and go.sum. Each official file the submission
// changed or lacked, and each file it added in a protected place, becomes a
// note, which the grader prints and passes on to results.json. See
// docs/instructors.md, "A student's submission".
package submission

import (
	"bytes"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"pblab/internal/labtree"
	"pblab/internal/rubric"
)

// protectedDirs belong to the lab as a whole: a submission's copy of them
// is replaced by the official one. In the grader's own folders only the
// Go code counts (labtree.IsGraderCode).
var protectedDirs = []string{"labrpc", "labsync", "internal", "grading"}

// protectedTopFiles are protected files at the root of the tree.
var protectedTopFiles = []string{"go.mod", "go.sum"}

// Prepare copies the student's tree in src to dst and lays the official
// files of the tree in official over it. It returns one note per protected
// file the student changed, added or removed. src may also be a folder
// holding the tree one level down, as zip files often are.
func Prepare(src, official, dst string) ([]string, error) {
	info, err := os.Stat(src)
	if err != nil {
		return nil, fmt.Errorf("-submission: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("-submission %s: not a directory", src)
	}
	if _, err := os.Stat(filepath.Join(src, "go.mod")); err != nil {
		if root, ok := findTree(src); ok {
			src = root
		}
	}
	if err := labtree.Copy(src, dst, skipJunk, nil); err != nil {
		return nil, fmt.Errorf("copying the submission: %w", err)
	}
	protected, err := protectedFiles(official)
	if err != nil {
		return nil, err
	}
	notes, err := removeAdded(dst, protected)
	if err != nil {
		return nil, err
	}
	restored, err := restoreOfficial(official, dst, protected)
	if err != nil {
		return nil, err
	}
	return append(notes, restored...), nil
}

// removeAdded removes the files of the tree at dst that are in protected
// places but not among the official files: a student's own test file, a
// file added to labrpc. It returns a note for each.
func removeAdded(dst string, protected map[string]bool) ([]string, error) {
	var notes []string
	err := filepath.WalkDir(dst, func(file string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dst, file)
		rel = filepath.ToSlash(rel)
		if isProtected(rel) && !protected[rel] {
			notes = append(notes, fmt.Sprintf("%s: added by the submission in a protected place; removed", rel))
			return os.Remove(file)
		}
		return nil
	})
	return notes, err
}

// restoreOfficial writes the official version of every protected file into
// the tree at dst, and returns a note for each one the submission lacked or
// changed. The grader's own code is restored without a note when missing:
// a student has no reason to hand it in.
func restoreOfficial(official, dst string, protected map[string]bool) ([]string, error) {
	var notes []string
	for _, rel := range slices.Sorted(maps.Keys(protected)) {
		want, err := os.ReadFile(filepath.Join(official, rel))
		if err != nil {
			return nil, err
		}
		got, err := os.ReadFile(filepath.Join(dst, rel))
		switch {
		case err != nil:
			if !labtree.IsGraderCode(rel) {
				notes = append(notes, fmt.Sprintf("%s: missing from the submission; the official version is used", rel))
			}
		case !bytes.Equal(normalizeEOL(got), normalizeEOL(want)):
			notes = append(notes, fmt.Sprintf("%s: changed by the submission; replaced by the official version", rel))
		}
		target := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(target, want, 0o644); err != nil {
			return nil, err
		}
	}
	return notes, nil
}

// isProtected reports whether rel (slash-separated, relative to the root)
// is a place only the official tree may fill.
func isProtected(rel string) bool {
	if slices.Contains(protectedTopFiles, rel) {
		return true
	}
	if isGraderPlace(rel) {
		return labtree.IsGraderCode(rel) // the grader's tests and fixtures are never built
	}
	dir, _, _ := strings.Cut(rel, "/")
	if slices.Contains(protectedDirs, dir) {
		return true
	}
	return slices.Contains(gradedPackages(), dir) && strings.HasSuffix(rel, "_test.go")
}

// isGraderPlace reports whether rel is anywhere under one of the grader's
// folders.
func isGraderPlace(rel string) bool {
	for _, dir := range labtree.GraderDirs {
		if strings.HasPrefix(rel, dir+"/") {
			return true
		}
	}
	return false
}

// protectedFiles lists the official files a submission may not change:
// go.mod and go.sum, the protected folders (of the grader's folders, only
// their Go code), and in the graded packages every test file and every
// given file that is not one of the student's (the view service's
// client.go and common.go).
func protectedFiles(official string) (map[string]bool, error) {
	files := map[string]bool{}
	for _, f := range protectedTopFiles {
		if _, err := os.Stat(filepath.Join(official, f)); err == nil {
			files[f] = true
		}
	}
	for _, dir := range append(slices.Clone(protectedDirs), gradedPackages()...) {
		err := filepath.WalkDir(filepath.Join(official, dir), func(file string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(official, file)
			rel = filepath.ToSlash(rel)
			if isOfficial(dir, rel) {
				files[rel] = true
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			return nil, err
		}
	}
	return files, nil
}

// isOfficial reports whether the file rel, found under the protected or
// graded folder dir of the official tree, is one a submission may not
// change.
func isOfficial(dir, rel string) bool {
	switch {
	case slices.Contains(gradedPackages(), dir):
		return strings.HasSuffix(rel, "_test.go") ||
			strings.HasSuffix(rel, ".go") && !slices.Contains(rubric.StudentFiles, rel)
	case isGraderPlace(rel):
		return labtree.IsGraderCode(rel)
	default:
		return true
	}
}

// gradedPackages are the packages whose tests are graded.
func gradedPackages() []string {
	return rubric.Packages(rubric.Tests())
}

// findTree looks one level down for a folder holding go.mod.
func findTree(dir string) (string, bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", false
	}
	for _, e := range entries {
		if e.IsDir() {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), "go.mod")); err == nil {
				return filepath.Join(dir, e.Name()), true
			}
		}
	}
	return "", false
}

// skipJunk leaves out version control, grading results and build products.
func skipJunk(rel string, d fs.DirEntry) bool {
	name := d.Name()
	if d.IsDir() {
		return name == ".git" || name == "results" && !strings.Contains(rel, "/") || name == "node_modules"
	}
	return strings.HasSuffix(name, ".test") || strings.HasSuffix(name, ".test.exe")
}

func normalizeEOL(b []byte) []byte {
	return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
}
