package batch

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/grader"
	"pblab/internal/rubric"
)

// touch makes each named entry under dir: a name ending in "/" is a folder.
func touch(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, name := range names {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			require.NoError(t, os.MkdirAll(path, 0o755))
			continue
		}
		require.NoError(t, os.WriteFile(path, []byte("x"), 0o644))
	}
}

func TestList(t *testing.T) {
	class := t.TempDir()
	touch(t, class, "alice/", "bob.zip", "carol.ZIP", ".git/", "__MACOSX/", "notes.txt", ".DS_Store")

	subs, err := List(class)
	require.NoError(t, err)
	assert.Equal(t, []Submission{
		{Student: "alice", Path: filepath.Join(class, "alice")},
		{Student: "bob", Path: filepath.Join(class, "bob.zip")},
		{Student: "carol", Path: filepath.Join(class, "carol.ZIP")},
	}, subs, "a submission is each folder and zip file, by the student's name; hidden entries and loose files are none")
}

func TestListErrors(t *testing.T) {
	empty := t.TempDir()
	touch(t, empty, "README.md", ".hidden/")
	_, err := List(empty)
	assert.ErrorContains(t, err, "holds no submission", "a class folder with no folder or zip says so")

	twice := t.TempDir()
	touch(t, twice, "alice/", "alice.zip")
	_, err = List(twice)
	assert.ErrorContains(t, err, "both alice's", "two submissions of one student are refused, not one picked")

	_, err = List(filepath.Join(t.TempDir(), "missing"))
	assert.ErrorContains(t, err, "batch: ", "a class folder that does not exist is an error of the batch")
}

// gradebookTests is a small rubric: a test of each part.
var gradebookTests = []rubric.Test{
	{Part: "A", Package: "viewservice", Name: "TestA1", Points: 30},
	{Part: "B", Package: "pbservice", Name: "TestB1", Points: 50},
	{Part: "B", Package: "pbservice", Name: "TestB2", Points: 20},
}

// writeResults writes the results.json of student in dir, with the points
// of each test by name and the notes.
func writeResults(t *testing.T, dir, student string, points map[string]int, notes string) {
	t.Helper()
	res := grader.GradescopeResults{Output: notes}
	for _, tc := range gradebookTests {
		res.Tests = append(res.Tests, grader.GradescopeTest{Name: grader.GradescopeName(tc), Score: points[tc.Name], MaxScore: tc.Points})
		res.Score += points[tc.Name]
	}
	require.NoError(t, grader.WriteJSON(JSONPath(dir, student), res))
}

func readGradebook(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	require.NoError(t, err)
	return rows
}

func TestWriteGradebook(t *testing.T) {
	jsonDir := t.TempDir()
	writeResults(t, jsonDir, "alice", map[string]int{"TestA1": 30, "TestB1": 50, "TestB2": 20}, "")
	writeResults(t, jsonDir, "bob", map[string]int{"TestA1": 30, "TestB2": 20}, "first note\n\nsecond note\n")
	subs := []Submission{{Student: "alice"}, {Student: "bob"}, {Student: "carol"}}
	book := filepath.Join(t.TempDir(), "grades", "gradebook.csv")

	require.NoError(t, WriteGradebook(book, jsonDir, subs, gradebookTests))
	rows := readGradebook(t, book)
	require.Len(t, rows, 4, "a header and a row per student")
	assert.Equal(t, []string{"student", "total", "Part A", "Part B", "TestA1", "TestB1", "TestB2", "notes"}, rows[0],
		"the header: student, total, each part, each test in the rubric's order, notes")
	assert.Equal(t, []string{"alice", "100", "30", "70", "30", "50", "20", ""}, rows[1], "a full submission's row")
	assert.Equal(t, []string{"bob", "50", "30", "20", "30", "0", "20", "first note | second note"}, rows[2],
		"a partial submission's row: each part adds its tests, the notes' lines joined")
	assert.Equal(t, "carol", rows[3][0], "a student not graded keeps a row")
	assert.Contains(t, rows[3][len(rows[3])-1], "not graded", "a student with no results.json is marked not graded")
	_, err := os.Stat(book + ".tmp")
	assert.True(t, os.IsNotExist(err), "the gradebook is renamed into place, leaving no temporary file")
}

func TestRunSkipsGradedSubmissions(t *testing.T) {
	class, jsonDir := t.TempDir(), t.TempDir()
	touch(t, class, "alice/", "bob.zip")
	writeResults(t, jsonDir, "alice", map[string]int{"TestA1": 30}, "")
	writeResults(t, jsonDir, "bob", nil, "")

	var out bytes.Buffer
	results, err := Run(context.Background(), Options{Class: class, Official: t.TempDir(), Jobs: 2, JSONDir: jsonDir,
		Grade: grader.Options{Tests: gradebookTests}}, &out)
	require.NoError(t, err)
	require.Len(t, results, 2, "a result per submission of the class")
	for _, r := range results {
		assert.True(t, r.Skipped, "%s has a results.json: a resumed batch does not grade them again", r.Student)
	}
	assert.Contains(t, out.String(), "grading 0 of 2 submissions", "the progress says nothing is left to grade")
	assert.Contains(t, out.String(), "2 already graded", "the progress says how many were graded before")
}

func TestRunOnlyUnknownStudent(t *testing.T) {
	class := t.TempDir()
	touch(t, class, "alice/")
	_, err := Run(context.Background(), Options{Class: class, JSONDir: t.TempDir(), Only: []string{"zed"}}, &bytes.Buffer{})
	assert.ErrorContains(t, err, "zed", "-only naming nobody of the class is an error that names them")
}

func TestExport(t *testing.T) {
	class, dir := t.TempDir(), t.TempDir()
	alice := filepath.Join(class, "alice")
	require.NoError(t, os.MkdirAll(filepath.Join(alice, "pbservice"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(alice, "pbservice", "client.go"), []byte("package pbservice\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(alice, "README.md"), []byte("mine"), 0o644))
	touch(t, class, "bob/")

	n, err := Export(class, dir)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "only students with a graded file are exported")
	data, err := os.ReadFile(filepath.Join(dir, "alice", "pbservice", "client.go"))
	require.NoError(t, err, "a student's file goes to DIR/<student>/<its path in the tree>")
	assert.Equal(t, "package pbservice\n", string(data), "the file is exported as the grader found it")
	_, err = os.Stat(filepath.Join(dir, "alice", "README.md"))
	assert.True(t, os.IsNotExist(err), "only the graded files are exported")
}
