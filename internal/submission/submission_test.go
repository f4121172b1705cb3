package submission

// These tests prepare small trees in temporary folders: no server, network
// or clock, so they do not run in the test harness.

import (
	"archive/zip"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/labenv"
	"pblab/internal/rubric"
)

// officialTree writes a small official tree: the reference's student
// files, given files, tests, and the grader's code, tests and fixtures.
func officialTree(t *testing.T) string {
	t.Helper()
	official := t.TempDir()
	writeFiles(t, official, map[string]string{
		"go.mod":                               "module pblab\n",
		"labrpc/network.go":                    "package labrpc // official\n",
		"viewservice/server.go":                "package viewservice // the reference\n",
		"viewservice/client.go":                "package viewservice // given\n",
		"viewservice/vs_test.go":               "package viewservice // official test\n",
		"pbservice/server.go":                  "package pbservice // the reference\n",
		"pbservice/client.go":                  "package pbservice // the reference\n",
		"pbservice/common.go":                  "package pbservice // the reference\n",
		"pbservice/start.go":                   "package pbservice // given\n",
		"grading/main.go":                      "package main\n",
		"grading/testdata/x/a.go":              "package x\n",
		"internal/grader/grader.go":            "package grader\n",
		"internal/grader/grader_test.go":       "package grader // the grader's test\n",
		"internal/grader/testdata/m/m_test.go": "package m\n",
		"results/20250101/A-TestX.log":         "the instructor's log\n",
	})
	return official
}

// studentFiles are the student's four files, each passing the checks.
var studentFiles = map[string]string{
	"viewservice/server.go": "package viewservice // alice's\n",
	"pbservice/server.go":   "package pbservice // alice's\n",
	"pbservice/client.go":   "package pbservice // alice's\n",
	"pbservice/common.go":   "package pbservice // alice's\n",
}

// TestPrepareTakesOnlyTheStudentFiles checks that a prepared tree is the
// official one with the student's files, and that every other file of the
// submission is ignored, in one note.
func TestPrepareTakesOnlyTheStudentFiles(t *testing.T) {
	official, student, dst := officialTree(t), t.TempDir(), t.TempDir()
	writeFiles(t, student, studentFiles)
	writeFiles(t, student, map[string]string{
		"go.mod":                   "module pblab\n",
		"labrpc/network.go":        "package labrpc // hacked\n",
		"labrpc/extra.go":          "package labrpc\n",
		"viewservice/client.go":    "package viewservice // given\n",
		"viewservice/helper.go":    "package viewservice // alice's helper\n",
		"viewservice/vs_test.go":   "package viewservice // edited\n",
		"viewservice/my_test.go":   "package viewservice // alice's test\n",
		"pbservice/start.go":       "package pbservice // given\r\n", // a Windows checkout: not a change
		"grading/extra.go":         "package main\n",
		".git/HEAD":                "ref: refs/heads/main\n",
		".git/objects/ab/cdef0123": "an object\n",
	})
	intake, err := Prepare(student, official, dst, nil)
	require.NoError(t, err)
	read := func(rel string) string {
		data, err := os.ReadFile(filepath.Join(dst, rel))
		if err != nil {
			return "<missing>"
		}
		return string(data)
	}
	for rel, text := range studentFiles {
		assert.Equal(t, text, read(rel), "the student's %s is graded", rel)
	}
	assert.Equal(t, "package labrpc // official\n", read("labrpc/network.go"), "labrpc is the official one")
	assert.Equal(t, "package viewservice // official test\n", read("viewservice/vs_test.go"), "the tests are the official ones")
	assert.Equal(t, "package pbservice // given\n", read("pbservice/start.go"), "a given file is the official one")
	for _, rel := range []string{"labrpc/extra.go", "viewservice/helper.go", "viewservice/my_test.go", "grading/extra.go", ".git/HEAD"} {
		assert.Equal(t, "<missing>", read(rel), "%s of the submission is not used", rel)
	}
	for _, rel := range []string{"grading/testdata/x/a.go", "internal/grader/grader_test.go", "results/20250101/A-TestX.log"} {
		assert.Equal(t, "<missing>", read(rel), "%s serves only the instructors: not in the tree graded", rel)
	}
	assert.Equal(t, "package grader\n", read("internal/grader/grader.go"), "the grader's code is the official one")
	assert.Empty(t, intake.Rejected, "the student's files break no rule")
	assert.Equal(t, []string{"ignored, as only viewservice/server.go, pbservice/server.go, " +
		"pbservice/client.go and pbservice/common.go are graded: " +
		"viewservice/helper.go (added), viewservice/my_test.go (added), viewservice/vs_test.go (changed)"},
		intake.Notes, "one note names the Go files of the graded folders that are not the official ones, and nothing else")
}

// A missing student file is not replaced by the official one: its part is
// not built, with a verdict that says which file is missing.
func TestPrepareMissingFile(t *testing.T) {
	official, student, dst := officialTree(t), t.TempDir(), t.TempDir()
	writeFiles(t, student, studentFiles)
	require.NoError(t, os.Remove(filepath.Join(student, "pbservice", "client.go")))
	intake, err := Prepare(student, official, dst, nil)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"pbservice": "not built: pbservice/client.go is missing from the submission"}, intake.Rejected)
	assert.NoFileExists(t, filepath.Join(dst, "pbservice", "client.go"), "the reference's file never stands in for a missing one")
	assert.Empty(t, intake.Notes, "the submission holds nothing else")
}

// A submission with none of the student's files (the wrong folder, an
// empty upload) gets one note that says so, besides each part's verdict.
func TestPrepareNoStudentFile(t *testing.T) {
	official, student, dst := officialTree(t), t.TempDir(), t.TempDir()
	writeFiles(t, student, map[string]string{"README.md": "my lab\n"})
	intake, err := Prepare(student, official, dst, nil)
	require.NoError(t, err)
	assert.Len(t, intake.Rejected, 2, "both parts are missing their files")
	require.Len(t, intake.Notes, 1, "one note, not one per file")
	assert.Contains(t, intake.Notes[0], "the submission holds none of viewservice/server.go", "the note names the files it looked for")
	assert.Contains(t, intake.Notes[0], "docs/submitting.md", "the note points the student to the page on submitting")
}

// A part whose file breaks a rule is rejected with each violation; the
// part built on it (Part B on Part A) gets the official version instead,
// and a note says so.
func TestPrepareRejectsAPart(t *testing.T) {
	official, student, dst := officialTree(t), t.TempDir(), t.TempDir()
	writeFiles(t, student, studentFiles)
	writeFiles(t, student, map[string]string{
		"viewservice/server.go": "package viewservice\n\nimport \"os\"\n\nfunc init() { os.Exit(0) }\n",
	})
	intake, err := Prepare(student, official, dst, nil)
	require.NoError(t, err)
	require.Contains(t, intake.Rejected, "viewservice")
	verdict := intake.Rejected["viewservice"]
	assert.True(t, strings.HasPrefix(verdict, "rejected: 2 problems with the student's files of viewservice/:\n"), "the verdict: %s", verdict)
	assert.Contains(t, verdict, "\n  viewservice/server.go:3: import \"os\": not among the packages a student's file may import")
	assert.Contains(t, verdict, "\n  viewservice/server.go:5: func init is not allowed")
	assert.NotContains(t, intake.Rejected, "pbservice", "the other part is still graded")
	data, err := os.ReadFile(filepath.Join(dst, "viewservice", "server.go"))
	require.NoError(t, err)
	assert.Equal(t, "package viewservice // the reference\n", string(data), "Part B builds on the official view service")
	assert.Equal(t, []string{"pbservice/ is built on the official viewservice/server.go, as the submission's viewservice/ was not accepted"}, intake.Notes)

	// Part B rejected: Part A, which builds on nothing of Part B's, keeps
	// the student's files and gets no note.
	dst = t.TempDir()
	writeFiles(t, student, studentFiles)
	writeFiles(t, student, map[string]string{"pbservice/common.go": "package pbservice\n\nvar store = map[string]string{}\n"})
	intake, err = Prepare(student, official, dst, nil)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"pbservice": "rejected: pbservice/common.go:3: package-level variable store is not allowed: " +
		"servers must not share memory; keep state in a server's or clerk's struct (constants are fine) (docs/submitting.md#the-rules-your-files-must-keep)"},
		intake.Rejected)
	assert.Empty(t, intake.Notes)
	data, err = os.ReadFile(filepath.Join(dst, "viewservice", "server.go"))
	require.NoError(t, err)
	assert.Equal(t, studentFiles["viewservice/server.go"], string(data), "Part A keeps the student's file")
}

// A student's file must be a regular file of reasonable size: a symbolic
// link could name the reference solution on the grading machine.
func TestPrepareReadsOnlyRegularFiles(t *testing.T) {
	official, student, dst := officialTree(t), t.TempDir(), t.TempDir()
	writeFiles(t, student, studentFiles)
	link := filepath.Join(student, "viewservice", "server.go")
	require.NoError(t, os.Remove(link))
	require.NoError(t, os.Symlink(filepath.Join(official, "viewservice", "server.go"), link))
	big := "package pbservice\n\n// " + strings.Repeat("x", MaxFileSize) + "\n"
	writeFiles(t, student, map[string]string{"pbservice/common.go": big})
	intake, err := Prepare(student, official, dst, nil)
	require.NoError(t, err)
	assert.Equal(t, "not built: viewservice/server.go is a symbolic link, not a file", intake.Rejected["viewservice"])
	assert.Equal(t, "not built: pbservice/common.go is larger than 1 MB", intake.Rejected["pbservice"])
}

// -allow-import widens the rubric's imports for every student file.
func TestPrepareAllow(t *testing.T) {
	official, student := officialTree(t), t.TempDir()
	writeFiles(t, student, studentFiles)
	writeFiles(t, student, map[string]string{"pbservice/common.go": "package pbservice\n\nimport _ \"bytes\"\n"})
	intake, err := Prepare(student, official, t.TempDir(), nil)
	require.NoError(t, err)
	assert.Contains(t, intake.Rejected["pbservice"], `import "bytes": not among the packages`)
	intake, err = Prepare(student, official, t.TempDir(), []string{"bytes"})
	require.NoError(t, err)
	assert.Empty(t, intake.Rejected, "an allowed import is accepted")
}

// A submission zipped with a folder around its tree is found a level or
// two down, without a note.
func TestSubmissionInAFolder(t *testing.T) {
	official, student, dst := officialTree(t), t.TempDir(), t.TempDir()
	for rel, text := range studentFiles {
		writeFiles(t, student, map[string]string{"alice/pblab/" + rel: text})
	}
	writeFiles(t, student, map[string]string{"__MACOSX/._server.go": "junk\n", "alice/pblab/README.md": "# pblab\n"})
	intake, err := Prepare(student, official, dst, nil)
	require.NoError(t, err)
	assert.Empty(t, intake.Rejected, "the tree two levels down is the submission")
	assert.Empty(t, intake.Notes, "a recognised layout needs no note")
	data, err := os.ReadFile(filepath.Join(dst, "viewservice", "server.go"))
	require.NoError(t, err, "the student's file is at the root of the prepared tree")
	assert.Equal(t, studentFiles["viewservice/server.go"], string(data))
}

// "Just my files", flat: a loose server.go goes where its package clause
// says, and the others by their names; no note. A helper file beside them
// is named as not graded.
func TestPrepareFlatFiles(t *testing.T) {
	official, student, dst := officialTree(t), t.TempDir(), t.TempDir()
	writeFiles(t, student, map[string]string{
		"server.go":             studentFiles["pbservice/server.go"],
		"client.go":             studentFiles["pbservice/client.go"],
		"common.go":             studentFiles["pbservice/common.go"],
		"part-a/server.go":      studentFiles["viewservice/server.go"],
		"part-a/notes.txt":      "my notes\n",
		"viewservice_server.go": "package viewservice\n",
	})
	intake, err := Prepare(student, official, dst, nil)
	require.NoError(t, err)
	assert.Empty(t, intake.Rejected, "every student file is placed by its name and package clause")
	for rel, text := range studentFiles {
		data, err := os.ReadFile(filepath.Join(dst, filepath.FromSlash(rel)))
		require.NoError(t, err)
		assert.Equal(t, text, string(data), "%s is the student's, placed by its package clause", rel)
	}
	assert.Equal(t, []string{"ignored, as only viewservice/server.go, pbservice/server.go, pbservice/client.go and pbservice/common.go are graded: " +
		"viewservice_server.go (not graded)"}, intake.Notes, "only the Go file that is not graded is named")
}

// A loose file named like a student file that cannot be placed says where
// it belongs; one that duplicates a placed file says which is graded.
func TestPrepareMisplacedFile(t *testing.T) {
	official, student, dst := officialTree(t), t.TempDir(), t.TempDir()
	writeFiles(t, student, map[string]string{
		"server.go":           "// no package clause\n",
		"pbservice/client.go": studentFiles["pbservice/client.go"],
		"pbservice/common.go": studentFiles["pbservice/common.go"],
		"pbservice/server.go": studentFiles["pbservice/server.go"],
		"client.go":           studentFiles["pbservice/client.go"],
		"old/common.go":       "package pbservice // a copy inside the tree: not a word\n",
	})
	intake, err := Prepare(student, official, dst, nil)
	require.NoError(t, err)
	assert.Equal(t, "not built: viewservice/server.go is missing from the submission", intake.Rejected["viewservice"])
	assert.Equal(t, []string{
		"found client.go at the top as well as pbservice/client.go: the one in pbservice/ is graded",
		"found server.go at the top: it belongs in viewservice/ or pbservice/ — put it there",
		"pbservice/ is built on the official viewservice/server.go, as the submission's viewservice/ was not accepted",
	}, intake.Notes)
}

// A zip file is unpacked and graded as a folder would be.
func TestPrepareZip(t *testing.T) {
	official, dst := officialTree(t), t.TempDir()
	file := filepath.Join(t.TempDir(), "alice.zip")
	files := map[string]string{}
	for rel, text := range studentFiles {
		files["pblab-main/"+rel] = text
	}
	writeZip(t, file, files)
	intake, err := Prepare(file, official, dst, nil)
	require.NoError(t, err)
	assert.Empty(t, intake.Rejected, "the zip's tree is the submission")
	assert.Empty(t, intake.Notes)
	data, err := os.ReadFile(filepath.Join(dst, "pbservice", "common.go"))
	require.NoError(t, err)
	assert.Equal(t, studentFiles["pbservice/common.go"], string(data))
}

// A zip whose entry leaves its folder is refused, and nothing is written
// outside.
func TestUnzipRefusesEscapes(t *testing.T) {
	file := filepath.Join(t.TempDir(), "evil.zip")
	writeZip(t, file, map[string]string{"../escaped.go": "package x\n"})
	dir := t.TempDir()
	err := Unzip(file, filepath.Join(dir, "in"))
	require.Error(t, err, "an entry outside the zip's folder is refused")
	assert.Contains(t, err.Error(), "outside the zip's folder")
	assert.NoFileExists(t, filepath.Join(dir, "escaped.go"))
}

func TestSubmissionNotADirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "alice.tar")
	require.NoError(t, os.WriteFile(file, []byte("tar"), 0o644))
	_, err := Prepare(file, t.TempDir(), t.TempDir(), nil)
	require.Error(t, err, "a submission must be a folder or a zip file")
	assert.Contains(t, err.Error(), "not a directory or a zip file", "the error says what is wrong")
}

// A whole clone of the lab's own tree, graded as a submission, gives no
// note: the reference passes the checks, and no other Go file of the
// graded folders differs.
func TestPrepareWholeClone(t *testing.T) {
	root, err := labenv.ModuleRoot(".")
	require.NoError(t, err)
	intake, err := Prepare(root, root, t.TempDir(), nil)
	require.NoError(t, err)
	assert.Empty(t, intake.Rejected, "the reference's files break no rule")
	assert.Empty(t, intake.Notes, "a whole clone needs no note")

	intake, err = Inspect(root, nil)
	require.NoError(t, err)
	assert.Equal(t, &Intake{Rejected: map[string]string{}}, intake, "the tree graded in place: nothing rejected, no notes")
}

// Inspect checks a tree graded where it stands.
func TestInspect(t *testing.T) {
	tree := t.TempDir()
	writeFiles(t, tree, studentFiles)
	writeFiles(t, tree, map[string]string{"viewservice/server.go": "package viewservice\n\n//go:linkname x y\nfunc f() {}\n"})
	require.NoError(t, os.Remove(filepath.Join(tree, "pbservice", "common.go")))
	intake, err := Inspect(tree, nil)
	require.NoError(t, err)
	assert.Equal(t, "not built: pbservice/common.go is missing", intake.Rejected["pbservice"])
	assert.Equal(t, fmt.Sprintf("rejected: viewservice/server.go:3: //go:linkname: compiler directives are not allowed (%s)", "docs/submitting.md#the-rules-your-files-must-keep"),
		intake.Rejected["viewservice"])
	assert.Empty(t, intake.Notes)
	assert.Len(t, rubric.StudentFiles, 4, "these tests write the rubric's four student files")
}

// writeZip writes a zip file holding files (slash-separated path:
// contents).
func writeZip(t *testing.T, file string, files map[string]string) {
	t.Helper()
	f, err := os.Create(file)
	require.NoError(t, err)
	w := zip.NewWriter(f)
	for _, rel := range slices.Sorted(maps.Keys(files)) {
		fw, err := w.Create(rel)
		require.NoError(t, err)
		_, err = fw.Write([]byte(files[rel]))
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
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

// Collect returns the student's files as the submission holds them,
// wherever they are in it, and nothing else.
func TestCollect(t *testing.T) {
	student := t.TempDir()
	writeFiles(t, student, map[string]string{
		"server.go":             studentFiles["pbservice/server.go"],
		"viewservice/server.go": studentFiles["viewservice/server.go"],
		"notes.go":              "package pbservice\n",
	})
	files, err := Collect(student)
	require.NoError(t, err)
	got := map[string]string{}
	for rel, data := range files {
		got[rel] = string(data)
	}
	assert.Equal(t, map[string]string{
		"pbservice/server.go":   studentFiles["pbservice/server.go"],
		"viewservice/server.go": studentFiles["viewservice/server.go"],
	}, got, "the student's files, by their path in the tree")
}
