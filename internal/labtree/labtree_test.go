package labtree

// These tests copy small trees in temporary folders: no server, network or
// clock, so they do not run in the test harness.

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCopy(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	for rel, text := range map[string]string{
		"go.mod":               "module pblab\n",
		"a/b/c.go":             "package b\n",
		"a/skip/x.go":          "package skip\n",
		"a/notes.txt":          "notes\n",
		"grading/build.sh":     "#!/bin/sh\n",
		"results/run/A-T.log":  "log\n",
		"a/b/upper_test.go":    "package b\n",
		"a/b/skipped_file.txt": "skipped\n",
	} {
		path := filepath.Join(src, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	}
	require.NoError(t, os.Chmod(filepath.Join(src, "grading", "build.sh"), 0o755))
	require.NoError(t, os.Symlink(filepath.Join(src, "go.mod"), filepath.Join(src, "a", "link")))

	var seen []string
	skip := func(rel string, d fs.DirEntry) bool {
		seen = append(seen, rel)
		return rel == "a/skip" || rel == "results" || rel == "a/b/skipped_file.txt"
	}
	edit := func(rel string, data []byte) ([]byte, error) {
		if strings.HasSuffix(rel, ".go") {
			return []byte(strings.ToUpper(string(data))), nil
		}
		return data, nil
	}
	require.NoError(t, Copy(src, dst, skip, edit))

	read := func(rel string) string {
		data, err := os.ReadFile(filepath.Join(dst, filepath.FromSlash(rel)))
		if err != nil {
			return "<missing>"
		}
		return string(data)
	}
	assert.Equal(t, "module pblab\n", read("go.mod"), "a file is copied")
	assert.Equal(t, "PACKAGE B\n", read("a/b/c.go"), "a file goes through edit")
	assert.Equal(t, "notes\n", read("a/notes.txt"))
	assert.Equal(t, "<missing>", read("a/skip/x.go"), "a skipped folder is skipped whole")
	assert.Equal(t, "<missing>", read("results/run/A-T.log"), "a skipped folder is skipped whole")
	assert.Equal(t, "<missing>", read("a/b/skipped_file.txt"), "a skipped file is skipped")
	assert.Equal(t, "<missing>", read("a/link"), "a symbolic link is not followed")
	assert.NotContains(t, seen, "a/skip/x.go", "skip is not asked about the files of a skipped folder")
	assert.Contains(t, seen, "a/b/c.go", "skip sees slash-separated paths relative to the root")
	info, err := os.Stat(filepath.Join(dst, "grading", "build.sh"))
	require.NoError(t, err)
	assert.NotZero(t, info.Mode()&0o111, "an executable file stays executable")
}

func TestInstructorsOnly(t *testing.T) {
	for _, c := range []struct {
		rel  string
		dir  bool
		want bool
	}{
		{"grading/mutants", true, true},
		{"grading/gradescope", true, true},
		{"grading/testdata", true, true},
		{"internal/grader/testdata", true, true},
		{"grading/hostile_test.go", false, true},
		{"internal/grader/grader_test.go", false, true},
		{"internal/handout/strip_test.go", false, true},
		{"internal/studentcheck/studentcheck_test.go", false, true},
		{"grading/main.go", false, false},
		{"internal/grader/grader.go", false, false},
		{"internal/labtest/labtest_test.go", false, false},
		{"internal/labtest/testdata", true, false},
		{"pbservice/pbservice_test.go", false, false},
		{"viewservice/testdata", true, false},
	} {
		assert.Equal(t, c.want, InstructorsOnly(c.rel, entry{c.rel, c.dir}),
			"%s: only the grader's tests and fixtures, the mutants and the Gradescope scripts serve instructors only", c.rel)
	}
}

// entry is an fs.DirEntry for a path that need not exist.
type entry struct {
	rel string
	dir bool
}

func (e entry) Name() string               { return filepath.Base(e.rel) }
func (e entry) IsDir() bool                { return e.dir }
func (e entry) Info() (fs.FileInfo, error) { return nil, fs.ErrNotExist }

func (e entry) Type() fs.FileMode {
	if e.dir {
		return fs.ModeDir
	}
	return 0
}
