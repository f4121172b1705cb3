package main

// A class of twenty mixed submissions, made from the reference solution,
// the handout, the mutants and the hostile fixtures, for the batch mode:
// TestBatchClass grades it, and TestMakeClass writes it where an
// instructor can grade it by hand (see docs/instructors.md, "A class").

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/batch"
	"pblab/internal/grader"
	"pblab/internal/handout"
	"pblab/internal/labenv"
	"pblab/internal/labtree"
	"pblab/internal/mutants"
	"pblab/internal/rubric"
)

// A classmate is one submission of the class and the total it must get.
type classmate struct {
	student string
	make    func(t *testing.T, c *classKit, dst string) // writes the submission to dst (a folder, or dst+".zip")
	// want is the total, or -1 for "some points, not all"; notes are
	// texts the gradebook's notes must hold.
	want  int
	notes []string
}

// A classKit holds what the submissions are made from.
type classKit struct {
	root    string            // the reference tree
	handout string            // the handout, written from it
	stubs   map[string][]byte // the handout's student files
}

// files returns the reference's student files with the handout's in the
// folders of stubbed, each marked with the student's name so that no two
// submissions are the same file.
func (c *classKit) files(t *testing.T, student string, stubbed ...string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, rel := range rubric.StudentFiles {
		data, err := os.ReadFile(filepath.Join(c.root, filepath.FromSlash(rel)))
		require.NoError(t, err)
		if slices.Contains(stubbed, filepath.Dir(rel)) {
			data = c.stubs[rel]
		}
		files[rel] = append(slices.Clip(data), []byte("\n// "+student+"'s\n")...)
	}
	return files
}

// The kinds of submissions.
var (
	wholeClone = func(t *testing.T, c *classKit, dst string) {
		student := filepath.Base(dst)
		copyTree(t, c.root, dst)
		writeAll(t, dst, c.files(t, student))
	}
	nested = func(t *testing.T, c *classKit, dst string) {
		writeAll(t, dst, c.files(t, filepath.Base(dst)))
	}
	// flat: Part B's three files loose at the top; Part A's server.go
	// loose in a folder of its own. Each server.go is placed by its package
	// clause.
	flat = func(t *testing.T, c *classKit, dst string) {
		files := c.files(t, filepath.Base(dst))
		writeAll(t, dst, map[string][]byte{
			"server.go":        files["pbservice/server.go"],
			"client.go":        files["pbservice/client.go"],
			"common.go":        files["pbservice/common.go"],
			"part-a/server.go": files["viewservice/server.go"],
		})
	}
	zipped = func(t *testing.T, c *classKit, dst string) {
		tree := t.TempDir()
		nested(t, c, tree)
		zipTree(t, tree, dst+".zip", filepath.Base(dst)+"-pblab/")
	}
	zippedClone = func(t *testing.T, c *classKit, dst string) {
		tree := filepath.Join(t.TempDir(), filepath.Base(dst))
		wholeClone(t, c, tree)
		zipTree(t, tree, dst+".zip", "pblab/")
	}
	handoutAsIs = func(t *testing.T, c *classKit, dst string) { copyTree(t, c.handout, dst) }
	empty       = func(t *testing.T, c *classKit, dst string) { require.NoError(t, os.MkdirAll(dst, 0o755)) }
	// onlyPart gives the reference's files of one part and the handout's
	// of the other.
	onlyPart = func(done string) func(t *testing.T, c *classKit, dst string) {
		return func(t *testing.T, c *classKit, dst string) {
			other := "pbservice"
			if done == "pbservice" {
				other = "viewservice"
			}
			writeAll(t, dst, c.files(t, filepath.Base(dst), other))
		}
	}
	// withMutant is the reference with one of grading/mutants' bugs.
	withMutant = func(name string) func(t *testing.T, c *classKit, dst string) {
		return func(t *testing.T, c *classKit, dst string) {
			data, err := os.ReadFile(filepath.Join(c.root, "grading", "mutants", name+".mutant"))
			require.NoError(t, err)
			m, err := mutants.Parse(name, data)
			require.NoError(t, err)
			changed, err := m.Apply(c.root)
			require.NoError(t, err)
			files := c.files(t, filepath.Base(dst))
			for rel, data := range changed {
				files[filepath.ToSlash(rel)] = data
			}
			writeAll(t, dst, files)
		}
	}
	// withFixture is the reference with one of the hostile fixtures.
	withFixture = func(fixture string) func(t *testing.T, c *classKit, dst string) {
		return func(t *testing.T, c *classKit, dst string) {
			tree := referenceTree(t, c.root)
			applyFixture(t, filepath.Join(c.root, "grading", "testdata", "hostile", fixture), tree)
			files := map[string][]byte{}
			for _, rel := range rubric.StudentFiles {
				data, err := os.ReadFile(filepath.Join(tree, filepath.FromSlash(rel)))
				require.NoError(t, err)
				files[rel] = data
			}
			writeAll(t, dst, files)
		}
	}
	// misplaced has Part A's server.go loose at the top with no package
	// clause that places it.
	misplaced = func(t *testing.T, c *classKit, dst string) {
		files := c.files(t, filepath.Base(dst))
		files["server.go"] = []byte("// my view service, not finished\n")
		delete(files, "viewservice/server.go")
		writeAll(t, dst, files)
	}
)

// theClass is the class: full, partial and empty submissions in every
// layout, and the ways a submission goes wrong.
var theClass = []classmate{
	{student: "ada", make: wholeClone, want: 100},
	{student: "ben", make: nested, want: 100},
	{student: "cai", make: flat, want: 100},
	{student: "dee", make: zipped, want: 100},
	{student: "eve", make: zippedClone, want: 100},
	{student: "fay", make: handoutAsIs, want: 0},
	{student: "gus", make: empty, want: 0, notes: []string{"the submission holds none of viewservice/server.go"}},
	{student: "hal", make: withMutant("a1-no-ack-rule"), want: -1},
	{student: "ivy", make: withMutant("a6-dead-too-soon"), want: -1},
	{student: "jon", make: withMutant("b01-no-duplicate-detection"), want: -1},
	{student: "kim", make: withMutant("b03-get-not-forwarded"), want: -1},
	{student: "lea", make: withMutant("b04-reply-before-backup-acked"), want: -1},
	{student: "max", make: onlyPart("viewservice"), want: 30},
	{student: "ned", make: onlyPart("pbservice"), want: -1},
	{student: "oli", make: withFixture("does-not-compile"), want: 0},
	{student: "pam", make: withFixture("deadlocks-everywhere"), want: 0},
	{student: "quin", make: withFixture("panics-in-handler"), want: -1},
	{student: "ray", make: withFixture("imports-os"), want: 70,
		notes: []string{"pbservice/ is built on the official viewservice/server.go"}},
	{student: "sue", make: misplaced, want: 70,
		notes: []string{"found server.go at the top: it belongs in viewservice/ or pbservice/ — put it there"}},
	{student: "tom", make: withFixture("calls-os-exit"), want: -1},
}

// makeClass writes theClass to dir, from the tree at root.
func makeClass(t *testing.T, root, dir string) {
	t.Helper()
	kit := &classKit{root: root, handout: filepath.Join(t.TempDir(), "handout"), stubs: handoutStubs(t, root)}
	writeHandout(t, root, kit.handout)
	for _, m := range theClass {
		m.make(t, kit, filepath.Join(dir, m.student))
	}
}

// TestMakeClass writes the class to the folder PBLAB_CLASS_DIR names, for
// go run ./grading batch:
//
//	PBLAB_CLASS_DIR=/tmp/class go test -run TestMakeClass ./grading
func TestMakeClass(t *testing.T) {
	dir := os.Getenv("PBLAB_CLASS_DIR")
	if dir == "" {
		t.Skip("PBLAB_CLASS_DIR names no folder to write the class to")
	}
	root, err := labenv.ModuleRoot(".")
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "PBLAB_CLASS_DIR must be empty: the class is written there")
	makeClass(t, root, dir)
}

// TestBatchClass grades the class as go run ./grading batch does, and
// checks every student's total and notes in the gradebook, and that a
// second batch grades nothing again. It grades twenty submissions, so it
// runs only with PBLAB_HOSTILE=1, as CI does.
func TestBatchClass(t *testing.T) {
	if os.Getenv("PBLAB_HOSTILE") == "" {
		t.Skip("set PBLAB_HOSTILE=1 to grade a class of twenty submissions")
	}
	root, err := labenv.ModuleRoot(".")
	require.NoError(t, err)
	class, out := t.TempDir(), t.TempDir()
	makeClass(t, root, class)
	opts := batch.Options{
		Class: class, Official: root, Jobs: 2, Deadline: batchDeadline,
		JSONDir: filepath.Join(out, "json"),
		Grade: grader.Options{Tests: rubric.Tests(), N: 1, P: batchP, Race: true,
			Timeout: grader.DefaultTimeout, WallTimeout: grader.DefaultWallTimeout, MaxOutput: grader.DefaultMaxOutput},
	}
	results, err := batch.Run(context.Background(), opts, io.Discard)
	require.NoError(t, err)
	require.Len(t, results, len(theClass), "one result per submission")
	subs, err := batch.List(class)
	require.NoError(t, err)
	book := filepath.Join(out, "gradebook.csv")
	require.NoError(t, batch.WriteGradebook(book, opts.JSONDir, subs, opts.Grade.Tests))

	rows := readCSV(t, book)
	require.Len(t, rows, 1+len(theClass), "a header and a row per student")
	header := rows[0]
	assert.Equal(t, []string{"student", "total", "Part A", "Part B"}, header[:4], "the gradebook's first columns")
	assert.Equal(t, "notes", header[len(header)-1], "the last column is the notes")
	byStudent := map[string][]string{}
	for _, row := range rows[1:] {
		byStudent[row[0]] = row
	}
	for _, m := range theClass {
		row := byStudent[m.student]
		require.NotNil(t, row, "%s has a row", m.student)
		total, err := strconv.Atoi(row[1])
		require.NoError(t, err, "%s: total %q", m.student, row[1])
		switch m.want {
		case -1:
			assert.True(t, total > 0 && total < 100, "%s: some points, not all; got %d (notes: %s)", m.student, total, row[len(row)-1])
		default:
			assert.Equal(t, m.want, total, "%s's total (notes: %s)", m.student, row[len(row)-1])
		}
		for _, n := range m.notes {
			assert.Contains(t, row[len(row)-1], n, "%s's notes", m.student)
		}
	}

	again, err := batch.Run(context.Background(), opts, io.Discard)
	require.NoError(t, err)
	for _, r := range again {
		assert.True(t, r.Skipped, "%s was graded already: a second batch skips it", r.Student)
	}
}

// writeHandout writes the handout of root to dst, unchecked.
func writeHandout(t *testing.T, root, dst string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dst, 0o755))
	_, err := handout.Write(root, dst)
	require.NoError(t, err)
}

// copyTree copies the lab's tree at root to dst as a student's clone
// holds it: no grading results, nothing that serves only instructors.
func copyTree(t *testing.T, root, dst string) {
	t.Helper()
	require.NoError(t, labtree.Copy(root, dst, func(rel string, d fs.DirEntry) bool {
		return d.Name() == ".git" || rel == "results" || labtree.InstructorsOnly(rel, d)
	}, nil))
}

// writeAll writes files (slash-separated path: contents) under dir.
func writeAll(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for rel, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, data, 0o644))
	}
}

// zipTree writes the files under tree to the zip file zipFile, each under
// prefix.
func zipTree(t *testing.T, tree, zipFile, prefix string) {
	t.Helper()
	f, err := os.Create(zipFile)
	require.NoError(t, err)
	w := zip.NewWriter(f)
	err = filepath.WalkDir(tree, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(tree, path)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fw, err := w.Create(prefix + filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		_, err = fw.Write(data)
		return err
	})
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
}

// readCSV reads the rows of a CSV file.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	return rows
}
