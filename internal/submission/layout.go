package submission

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"pblab/internal/rubric"
)

// Limits of the search for the student's files in a submission.
const (
	maxDepth = 6    // folders below the submission's top
	maxFiles = 5000 // files looked at; a larger submission is searched no further
)

// A layout is where a submission's student files are: the three layouts a
// student uploads are all recognised without a note.
//
//   - a tree: viewservice/server.go, pbservice/server.go, ... at the top,
//     or under a folder or two (a zip of the repository, alice/pblab/...);
//   - "just my files", nested: the same paths, without the rest of the tree;
//   - "just my files", flat: server.go, client.go, common.go loose in one
//     folder. A loose server.go could be Part A's or Part B's: its package
//     clause (package viewservice, package pbservice) says which.
type layout struct {
	// found holds, for each student file found (slash-separated, relative to
	// the tree: "pbservice/server.go"), the file in the submission.
	found map[string]string
	// root is the folder of the submission that holds the tree (where
	// viewservice/ and pbservice/ are), "" if every file was found loose.
	root string
	// notes are for the student: a file named like one of theirs that
	// could not be placed, or that was not used.
	notes []string
}

// A candidate is a Go file of the submission that may be a student file.
type candidate struct {
	rel  string // slash-separated, relative to the submission's top
	file string // its path
}

// depth is how many folders down the candidate is.
func (c candidate) depth() int { return strings.Count(c.rel, "/") }

// where says where the candidate is, for a person: "at the top" or "in
// alice/".
func (c candidate) where() string {
	dir := path.Dir(c.rel)
	if dir == "." {
		return "at the top"
	}
	return "in " + dir + "/"
}

// locate finds the student's files in the submission in src.
func locate(src string) (*layout, error) {
	files, err := goFiles(src)
	if err != nil {
		return nil, err
	}
	l := &layout{found: map[string]string{}}
	loose := map[string][]candidate{} // by base name: files outside any folder of student files
	for _, c := range files {
		if !slices.Contains(studentPackages(), path.Base(path.Dir(c.rel))) {
			loose[path.Base(c.rel)] = append(loose[path.Base(c.rel)], c)
		}
	}
	used := map[string]bool{}
	for _, rel := range rubric.StudentFiles {
		if c, ok := shallowest(files, func(c candidate) bool { return c.rel == rel || strings.HasSuffix(c.rel, "/"+rel) }); ok {
			l.found[rel] = c.file
			if l.root == "" {
				l.root = filepath.Join(src, filepath.FromSlash(strings.TrimSuffix(c.rel, rel)))
			}
			continue
		}
		pkg := path.Dir(rel)
		if c, ok := shallowest(loose[path.Base(rel)], func(c candidate) bool { return !used[c.rel] && packageOf(c.file) == pkg }); ok {
			l.found[rel] = c.file
			used[c.rel] = true
		}
	}
	for _, base := range slices.Sorted(maps.Keys(loose)) {
		for _, c := range loose[base] {
			if !used[c.rel] && isStudentName(base) && !l.inTree(src, c) {
				l.notes = append(l.notes, misplacedNote(c))
			}
		}
	}
	return l, nil
}

// inTree reports whether the candidate is in a folder of the tree found
// (the tree's own files, such as another package's server.go), rather than
// loose at its top or outside it.
func (l *layout) inTree(src string, c candidate) bool {
	if l.root == "" {
		return false
	}
	rel, err := filepath.Rel(l.root, filepath.Join(src, filepath.FromSlash(c.rel)))
	return err == nil && !strings.HasPrefix(rel, "..") && strings.Contains(filepath.ToSlash(rel), "/")
}

// misplacedNote tells the student about a loose file named like one of
// theirs that was not graded.
func misplacedNote(c candidate) string {
	base := path.Base(c.rel)
	pkg := packageOf(c.file)
	if rel := pkg + "/" + base; slices.Contains(rubric.StudentFiles, rel) {
		return fmt.Sprintf("found %s %s as well as %s: the one in %s/ is graded", base, c.where(), rel, pkg)
	}
	var dirs []string
	for _, rel := range rubric.StudentFiles {
		if path.Base(rel) == base {
			dirs = append(dirs, path.Dir(rel)+"/")
		}
	}
	return fmt.Sprintf("found %s %s: it belongs in %s — put it there", base, c.where(), sayAlternatives(dirs))
}

// isStudentName reports whether base is the name of a student file.
func isStudentName(base string) bool {
	return slices.ContainsFunc(rubric.StudentFiles, func(rel string) bool { return path.Base(rel) == base })
}

// shallowest returns the candidate of cs nearest the top that keep
// accepts; of two at the same depth, the first in path order.
func shallowest(cs []candidate, keep func(candidate) bool) (candidate, bool) {
	var best candidate
	ok := false
	for _, c := range cs {
		if keep(c) && (!ok || c.depth() < best.depth()) {
			best, ok = c, true
		}
	}
	return best, ok
}

// goFiles returns the Go files (tests aside) of the submission in src, in
// path order, down to maxDepth folders and at most maxFiles files looked
// at. Version control, macOS's resource forks and hidden folders are
// skipped.
func goFiles(src string) ([]candidate, error) {
	var files []candidate
	seen := 0
	err := filepath.WalkDir(src, func(file string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, file)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (skippedDir(d.Name()) || strings.Count(rel, "/") >= maxDepth) {
				return filepath.SkipDir
			}
			return nil
		}
		if seen++; seen > maxFiles {
			return filepath.SkipAll
		}
		if strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, "_test.go") {
			files = append(files, candidate{rel: rel, file: file})
		}
		return nil
	})
	return files, err
}

// skippedDir reports whether a folder of a submission is never searched:
// version control, macOS's resource forks, hidden folders, dependencies.
func skippedDir(name string) bool {
	return strings.HasPrefix(name, ".") || name == "__MACOSX" || name == "node_modules" || name == "vendor"
}

// packageOf returns the package clause's name of the Go file, or "" if
// it has none that parses.
func packageOf(file string) string {
	info, err := os.Lstat(file)
	if err != nil || !info.Mode().IsRegular() || info.Size() > MaxFileSize {
		return ""
	}
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.PackageClauseOnly)
	if err != nil {
		return ""
	}
	return f.Name.Name
}

// sayAlternatives joins items as a sentence does: "a, b or c".
func sayAlternatives(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
