// Package mutants checks that the graded tests catch known bugs. A mutant
// is one classic bug, written as text substitutions on the reference
// solution. Its file, grading/mutants/NAME.mutant, reads:
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
//
// Run applies each mutant to the reference through the go command's
// -overlay (the tree itself is never touched), grades the graded tests that
// can see the mutated files against it, and reports which caught it.
package mutants

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// A Mutant is one known bug.
type Mutant struct {
	Name  string // the file name without .mutant
	Desc  string // the first line: what the bug is
	Known string // why the tests miss it, from a "known survivor:" line
	Edits []Edit
}

// An Edit replaces the one occurrence of Old in File by New.
type Edit struct {
	File     string // slash-separated, relative to the root
	Old, New string
}

var sectionLine = regexp.MustCompile(`^-- (old|new) (\S+) --$`)

// Parse parses the .mutant file of the mutant called name.
func Parse(name string, data []byte) (*Mutant, error) {
	m := &Mutant{Name: name}
	lines := strings.SplitAfter(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	var (
		kind, file string
		body       strings.Builder
		inSection  bool
		pending    *Edit
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
			pending = &Edit{File: file, Old: body.String()}
		case "new":
			if pending == nil || pending.File != file {
				return fmt.Errorf("%s.mutant:%d: new section for %s without an old section for the same file before it", name, line, file)
			}
			pending.New = body.String()
			m.Edits = append(m.Edits, *pending)
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
			m.Known = strings.TrimSpace(why)
		} else if m.Desc == "" && strings.TrimSpace(line) != "" {
			m.Desc = strings.TrimSpace(line)
		}
	}
	if err := flush(len(lines)); err != nil {
		return nil, err
	}
	if pending != nil {
		return nil, fmt.Errorf("%s.mutant: the old section for %s has no new section", name, pending.File)
	}
	if m.Desc == "" || len(m.Edits) == 0 {
		return nil, fmt.Errorf("%s.mutant: needs a description line and at least one old/new pair", name)
	}
	return m, nil
}

// Load reads every grading/mutants/*.mutant file of the tree at root.
func Load(root string) ([]*Mutant, error) {
	paths, err := filepath.Glob(filepath.Join(root, "grading", "mutants", "*.mutant"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no mutants in %s (the handout has none: run this in the instructors' tree)", filepath.Join(root, "grading", "mutants"))
	}
	var ms []*Mutant
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		m, err := Parse(strings.TrimSuffix(filepath.Base(p), ".mutant"), data)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// Apply returns the mutated contents of each file m edits, read from the
// tree at root. It is an error if an edit's old text is not in its file
// exactly once.
func (m *Mutant) Apply(root string) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, e := range m.Edits {
		src, ok := files[e.File]
		if !ok {
			var err error
			if src, err = os.ReadFile(filepath.Join(root, filepath.FromSlash(e.File))); err != nil {
				return nil, fmt.Errorf("mutant %s no longer applies: %w", m.Name, err)
			}
		}
		switch n := strings.Count(string(src), e.Old); n {
		case 0:
			return nil, fmt.Errorf("mutant %s no longer applies: %s no longer contains\n%s", m.Name, e.File, strings.ReplaceAll(strings.TrimRight(e.Old, "\n"), "\n", "\n    "))
		case 1:
		default:
			return nil, fmt.Errorf("mutant %s is ambiguous: %s contains its old text %d times; quote more context", m.Name, e.File, n)
		}
		files[e.File] = []byte(strings.Replace(string(src), e.Old, e.New, 1))
	}
	return files, nil
}

// Overlay writes m's mutated files to a temporary directory, with the
// overlay file that makes the go command use them in place of the
// originals (go build -overlay FILE), and returns that file's path and a
// function that removes it all.
func (m *Mutant) Overlay(root string) (string, func(), error) {
	files, err := m.Apply(root)
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
