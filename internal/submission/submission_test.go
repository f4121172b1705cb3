package submission

// These tests prepare small trees in temporary folders: no server, network
// or clock, so they do not run in the test harness.

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSubmissionOverlay checks the overlay on a small tree: the student's
// files stay, protected ones are restored, the student's own tests are
// removed, and every change is reported.
func TestSubmissionOverlay(t *testing.T) {
	official := t.TempDir()
	student := t.TempDir()
	writeFiles(t, official, map[string]string{
		"go.mod":                    "module pblab\n",
		"labrpc/network.go":         "package labrpc // official\n",
		"viewservice/server.go":     "package viewservice // the reference\n",
		"viewservice/client.go":     "package viewservice // given\n",
		"viewservice/vs_test.go":    "package viewservice // official test\n",
		"grading/main.go":           "package main\n",
		"grading/testdata/x/a.go":   "package x\n",
		"internal/rubric/rubric.go": "package rubric\n",
		// The grader's packages: their code is laid over, their tests and
		// fixtures are not, and no note asks for them.
		"internal/grader/grader.go":            "package grader\n",
		"internal/grader/grader_test.go":       "package grader // the grader's test\n",
		"internal/grader/testdata/m/m_test.go": "package m\n",
	})
	writeFiles(t, student, map[string]string{
		"go.mod":                 "module pblab\n",
		"labrpc/network.go":      "package labrpc // hacked\n",
		"labrpc/extra.go":        "package labrpc\n",
		"viewservice/server.go":  "package viewservice // student's\n",
		"viewservice/helper.go":  "package viewservice // student's helper\n",
		"viewservice/vs_test.go": "package viewservice // official test\n",
		"viewservice/my_test.go": "package viewservice // student's test\n",
		".git/HEAD":              "ref: refs/heads/main\n",
		"results/x/A-TestX.log":  "a log\n",
		// From a whole clone: the grader's tests are never built, and stay
		// without a note; code added to the grader does not.
		"internal/grader/grader_test.go": "package grader // the grader's test\n",
		"grading/extra.go":               "package main\n",
	})
	dst := t.TempDir()
	notes, err := Prepare(student, official, dst)
	require.NoError(t, err)
	read := func(rel string) string {
		data, err := os.ReadFile(filepath.Join(dst, rel))
		if err != nil {
			return "<missing>"
		}
		return string(data)
	}
	assert.Equal(t, "package viewservice // student's\n", read("viewservice/server.go"), "the student's file is kept")
	assert.Equal(t, "package viewservice // student's helper\n", read("viewservice/helper.go"), "the student's helper is kept")
	assert.Equal(t, "package labrpc // official\n", read("labrpc/network.go"), "labrpc is the official one")
	assert.Equal(t, "<missing>", read("labrpc/extra.go"), "files added to labrpc are removed")
	assert.Equal(t, "<missing>", read("viewservice/my_test.go"), "the student's tests are removed")
	assert.Equal(t, "package viewservice // given\n", read("viewservice/client.go"), "a given file is restored")
	assert.Equal(t, "package rubric\n", read("internal/rubric/rubric.go"))
	assert.Equal(t, "<missing>", read(".git/HEAD"), "version control is not copied")
	assert.Equal(t, "<missing>", read("grading/testdata/x/a.go"), "the grader's fixtures are not copied")
	assert.Equal(t, "package grader\n", read("internal/grader/grader.go"), "the grader's code is the official one")
	assert.Equal(t, "<missing>", read("grading/extra.go"), "code added to the grader is removed")
	assert.Equal(t, "<missing>", read("results/x/A-TestX.log"), "grading results are not copied")
	assert.ElementsMatch(t, []string{
		"labrpc/extra.go: added by the submission in a protected place; removed",
		"grading/extra.go: added by the submission in a protected place; removed",
		"viewservice/my_test.go: added by the submission in a protected place; removed",
		"internal/rubric/rubric.go: missing from the submission; the official version is used",
		"labrpc/network.go: changed by the submission; replaced by the official version",
		"viewservice/client.go: missing from the submission; the official version is used",
	}, notes)
}

// writeFiles writes each file of files (slash-separated path: contents)
// under root.
func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, text := range files {
		path := filepath.Join(root, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	}
}

// A submission zipped with a folder around its tree is found one level
// down.
func TestSubmissionInAFolder(t *testing.T) {
	official, student, dst := t.TempDir(), t.TempDir(), t.TempDir()
	writeFiles(t, official, map[string]string{
		"go.mod":                "module pblab\n",
		"viewservice/server.go": "package viewservice // the reference\n",
	})
	writeFiles(t, student, map[string]string{
		"alice-pblab/go.mod":                "module pblab\n",
		"alice-pblab/viewservice/server.go": "package viewservice // alice's\n",
	})
	notes, err := Prepare(student, official, dst)
	require.NoError(t, err)
	assert.Empty(t, notes, "the tree one level down is the submission, and it changed nothing protected")
	data, err := os.ReadFile(filepath.Join(dst, "viewservice", "server.go"))
	require.NoError(t, err, "the student's file is at the root of the prepared tree")
	assert.Equal(t, "package viewservice // alice's\n", string(data))
}

func TestSubmissionNotADirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "alice.zip")
	require.NoError(t, os.WriteFile(file, []byte("PK"), 0o644))
	_, err := Prepare(file, t.TempDir(), t.TempDir())
	require.Error(t, err, "a submission must be a folder")
	assert.Contains(t, err.Error(), "not a directory", "the error says what is wrong")
}
