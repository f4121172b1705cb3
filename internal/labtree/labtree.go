// Package labtree knows which folders of the lab's tree hold the grader's
// own code and which files git tracks, and copies trees. The handout
// generator and the grading of a submission both copy the lab's tree, and
// both treat the grader's folders apart: the grader's code goes to the
// students (they run go run ./grading), its tests and fixtures do not.
package labtree

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// GraderDirs are the folders of the grader's own packages, slash-separated
// and relative to the root of the tree: the grading command and the internal
// packages it is built from.
var GraderDirs = []string{
	"grading",
	"internal/batch",
	"internal/explore",
	"internal/explore/driver",
	"internal/explore/plan",
	"internal/grader",
	"internal/handout",
	"internal/labtree",
	"internal/mutants",
	"internal/studentcheck",
	"internal/submission",
}

// InstructorsOnly reports whether the file or folder rel (slash-separated,
// relative to the root) serves only the instructors: the tests of the
// grader's packages and their fixtures, the mutants and the Gradescope
// scripts. It is not in the handout.
func InstructorsOnly(rel string, d fs.DirEntry) bool {
	if d.IsDir() {
		if rel == "grading/mutants" || rel == "grading/gradescope" {
			return true
		}
		parent, name := path.Split(rel)
		return name == "testdata" && slices.Contains(GraderDirs, strings.TrimSuffix(parent, "/"))
	}
	return slices.Contains(GraderDirs, path.Dir(rel)) && strings.HasSuffix(rel, "_test.go")
}

// Tracked returns the files that git tracks in the tree at root, and the
// folders that hold them, slash-separated and relative to root: what a
// copy made from a git checkout should hold, so that untracked scratch
// files stay behind. It fails if root is not in a git work tree, if git
// cannot be run, or if git does not track root's go.mod (a tree copied
// into another repository and never added to it).
func Tracked(root string) (map[string]bool, error) {
	cmd := exec.Command("git", "ls-files", "-z", "--cached")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, fmt.Errorf("git ls-files: %s", firstLine(msg))
		}
		return nil, fmt.Errorf("git ls-files: %w", err)
	}
	tracked := map[string]bool{}
	for _, file := range strings.Split(string(out), "\x00") {
		for rel := file; rel != "" && rel != "." && !tracked[rel]; rel = path.Dir(rel) {
			tracked[rel] = true
		}
	}
	if !tracked["go.mod"] {
		return nil, fmt.Errorf("git does not track %s", filepath.Join(root, "go.mod"))
	}
	return tracked, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// Copy copies the regular files under src to dst, except those skip
// rejects (a rejected folder is skipped whole), passing the contents of each
// file through edit unless edit is nil. skip and edit see paths
// slash-separated and relative to src. Symbolic links are not followed;
// executable files stay executable.
func Copy(src, dst string, skip func(rel string, d fs.DirEntry) bool, edit func(rel string, data []byte) ([]byte, error)) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel != "." && skip != nil && skip(rel, d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, filepath.FromSlash(rel))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if edit != nil {
			if data, err = edit(rel, data); err != nil {
				return err
			}
		}
		mode := os.FileMode(0o644)
		if info, err := d.Info(); err == nil && info.Mode()&0o111 != 0 {
			mode = 0o755
		}
		return os.WriteFile(target, data, mode)
	})
}
