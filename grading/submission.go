package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// studentFiles are the files a student writes (DESIGN.md, "Layout"). Any
// other non-test file a student adds to these packages is kept too.
var studentFiles = []string{
	"viewservice/server.go",
	"pbservice/server.go",
	"pbservice/client.go",
	"pbservice/common.go",
}

// gradedPackages are the packages whose tests are graded.
var gradedPackages = []string{"viewservice", "pbservice"}

// protectedDirs belong to the lab as a whole: a submission's copy of them
// is replaced by the official one.
var protectedDirs = []string{"labrpc", "labsync", "internal", "grading"}

// protectedTopFiles are protected files at the root of the tree.
var protectedTopFiles = []string{"go.mod", "go.sum"}

// prepareSubmission copies the student's tree in src to dst and lays the
// official files of the tree in official over it: the tests of the graded
// packages, the other given files of those packages, labrpc, labsync,
// internal, grading, go.mod and go.sum. It returns one note per protected
// file the student changed, added or removed.
func prepareSubmission(src, official, dst string) ([]string, error) {
	info, err := os.Stat(src)
	if err != nil {
		return nil, fmt.Errorf("-submission: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("-submission %s: not a directory", src)
	}
	// A submission may be zipped with a folder around it: find the tree.
	if _, err := os.Stat(filepath.Join(src, "go.mod")); err != nil {
		if root, ok := findTree(src); ok {
			src = root
		}
	}
	if err := copyTree(src, dst, skipJunk, nil); err != nil {
		return nil, fmt.Errorf("copying the submission: %w", err)
	}

	protected, err := protectedFiles(official)
	if err != nil {
		return nil, err
	}
	var notes []string
	// Files of the submission in protected places that the official tree
	// lacks: a student's own test file, a file added to labrpc.
	err = filepath.WalkDir(dst, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dst, path)
		rel = filepath.ToSlash(rel)
		if isProtected(rel) && !protected[rel] {
			notes = append(notes, fmt.Sprintf("%s: added by the submission in a protected place; removed", rel))
			return os.Remove(path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, rel := range sortedKeys(protected) {
		want, err := os.ReadFile(filepath.Join(official, rel))
		if err != nil {
			return nil, err
		}
		got, err := os.ReadFile(filepath.Join(dst, rel))
		switch {
		case err != nil:
			if !strings.HasPrefix(rel, "grading/") {
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
	dir, _, _ := strings.Cut(rel, "/")
	if dir == "grading" {
		return strings.Count(rel, "/") == 1 && strings.HasSuffix(rel, ".go")
	}
	if slices.Contains(protectedDirs, dir) {
		return true
	}
	if slices.Contains(gradedPackages, dir) && strings.HasSuffix(rel, "_test.go") {
		return true
	}
	return false
}

// protectedFiles lists the official files a submission may not change: the
// protected directories (grading's Go files only), go.mod and go.sum, and
// in the graded packages every test file and every given file that is not a
// student's (client.go and common.go of the view service).
func protectedFiles(official string) (map[string]bool, error) {
	files := map[string]bool{}
	for _, f := range protectedTopFiles {
		if _, err := os.Stat(filepath.Join(official, f)); err == nil {
			files[f] = true
		}
	}
	for _, dir := range append(slices.Clone(protectedDirs), gradedPackages...) {
		err := filepath.WalkDir(filepath.Join(official, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(official, path)
			rel = filepath.ToSlash(rel)
			if d.IsDir() {
				if d.Name() == "testdata" && strings.HasPrefix(rel, "grading/") || d.Name() == "mutants" || d.Name() == "gradescope" {
					return filepath.SkipDir
				}
				return nil
			}
			switch {
			case slices.Contains(gradedPackages, dir):
				if strings.HasSuffix(rel, "_test.go") || (strings.HasSuffix(rel, ".go") && !slices.Contains(studentFiles, rel) && !hasSolution(path)) {
					files[rel] = true
				}
			case dir == "grading":
				if strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, "_test.go") {
					files[rel] = true
				}
			default:
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

// hasSolution reports whether the file at path holds solution regions: it
// is then a student's file, whatever its name.
func hasSolution(path string) bool {
	data, err := os.ReadFile(path)
	return err == nil && bytes.Contains(data, []byte(beginMarker))
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

// copyTree copies the regular files under src to dst, except those skip
// rejects, passing the contents of each through edit unless edit is nil.
// Symbolic links are not followed.
func copyTree(src, dst string, skip func(rel string, d fs.DirEntry) bool, edit func(rel string, data []byte) ([]byte, error)) error {
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

func normalizeEOL(b []byte) []byte {
	return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
