package handout

// These tests write handouts to temporary folders and run nothing: no
// server, network or clock, so they do not run in the test harness.

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/labenv"
	"pblab/internal/rubric"
)

// writeTree writes each file of files (slash-separated path: contents)
// under root.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, text := range files {
		path := filepath.Join(root, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	}
}

// TestWriteTheLab writes the handout of this very tree: the solution
// regions removed are exactly those of the student's files, and nothing
// that serves only instructors is in it.
func TestWriteTheLab(t *testing.T) {
	root, err := labenv.ModuleRoot(".")
	require.NoError(t, err)
	dst := t.TempDir()
	stats, err := Write(root, dst)
	require.NoError(t, err)
	assert.ElementsMatch(t, rubric.StudentFiles, stats.Stripped,
		"the handout strips the student's files (rubric.StudentFiles), and only them")
	assert.Positive(t, stats.Regions)
	for _, rel := range []string{"grading/main.go", "internal/grader/grader.go", "viewservice/server.go", "go.mod"} {
		assert.FileExists(t, filepath.Join(dst, rel), "the handout holds %s", rel)
	}
	for _, rel := range []string{"grading/mutants", "grading/testdata", "grading/gradescope", "internal/grader/testdata", ".ci", ".git"} {
		assert.NoDirExists(t, filepath.Join(dst, rel), "the handout leaves out %s", rel)
	}
	assert.NoFileExists(t, filepath.Join(dst, ".git"), "the handout leaves out .git, even where it is a file (in a git worktree)")
	tests, err := filepath.Glob(filepath.Join(dst, "internal", "grader", "*_test.go"))
	require.NoError(t, err)
	assert.Empty(t, tests, "the handout leaves out the grader's tests")
}

// A solution region outside the student's files would reach graded
// submissions in the official version of that file: Write refuses it.
func TestWriteRefusesRegionsOutsideTheStudentFiles(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"go.mod":        "module pblab\n",
		"labrpc/set.go": src("package labrpc", "", "func Set() {", "\t<B>", "\tprintln()", "\t<E>", "}"),
	})
	_, err := Write(root, t.TempDir())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "labrpc/set.go holds solution regions, but it is not one of the student's files (rubric.StudentFiles)")
}

func TestWriteRefusesAFullFolder(t *testing.T) {
	root, dst := t.TempDir(), t.TempDir()
	writeTree(t, root, map[string]string{"go.mod": "module pblab\n"})
	writeTree(t, dst, map[string]string{"mine.txt": "the instructor's file\n"})
	_, err := Write(root, dst)
	require.Error(t, err, "the handout is not written over a folder that holds files")
	assert.Contains(t, err.Error(), "exists and is not empty")
	data, err := os.ReadFile(filepath.Join(dst, "mine.txt"))
	require.NoError(t, err)
	assert.Equal(t, "the instructor's file\n", string(data), "the folder's files are untouched")
}

// TestWriteLeavesOut checks what the handout leaves out: version control
// and CI, grading results, build products, and what serves only instructors.
func TestWriteLeavesOut(t *testing.T) {
	root, dst := t.TempDir(), t.TempDir()
	in := []string{"go.mod", "grading/main.go", "internal/mutants/run.go", "internal/labtest/labtest_test.go",
		"pbservice/server.go", "docs/README.md"}
	out := []string{".git/HEAD", ".ci/run", "results/20250101-120000/A-TestX-run1.log", "grading/mutants/a1.mutant",
		"grading/hostile_test.go", "grading/gradescope/build.sh", "internal/grader/testdata/enginemod/go.mod",
		"internal/mutants/mutants_test.go", "viewservice/viewservice.test", "docs/.DS_Store"}
	files := map[string]string{}
	for _, rel := range append(slices.Clone(in), out...) {
		files[rel] = "x\n"
	}
	writeTree(t, root, files)
	stats, err := Write(root, dst)
	require.NoError(t, err)
	assert.Contains(t, stats.AllFiles, "git", "outside a git checkout, the handout holds every file, and says why")
	for _, rel := range in {
		assert.FileExists(t, filepath.Join(dst, rel), "the handout holds %s", rel)
	}
	for _, rel := range out {
		assert.NoFileExists(t, filepath.Join(dst, rel), "the handout leaves out %s", rel)
	}
}

// In a git checkout, the handout holds only the files git tracks: a
// scratch file or folder of the instructor's stays behind, and is listed.
func TestWriteTrackedFilesOnly(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	root, dst := t.TempDir(), t.TempDir()
	writeTree(t, root, map[string]string{
		"go.mod":                  "module pblab\n",
		"docs/README.md":          "the guide\n",
		"viewservice/server.go":   "package viewservice\n",
		"viewservice/gone.go":     "package viewservice\n",
		"viewservice/scratch.go":  "package viewservice // an experiment\n",
		"notes/answers.md":        "the answers\n",
		"notes/more/solutions.md": "more answers\n",
	})
	git := func(args ...string) { t.Helper(); runGit(t, root, args...) }
	git("init", "-q")
	git("add", "go.mod", "docs/README.md", "viewservice/server.go", "viewservice/gone.go")
	require.NoError(t, os.Remove(filepath.Join(root, "viewservice", "gone.go")))

	stats, err := Write(root, dst)
	require.NoError(t, err, "a tracked file deleted from the work tree is simply not in the handout")
	assert.Empty(t, stats.AllFiles, "the handout holds the tracked files only")
	assert.ElementsMatch(t, []string{"notes/", "viewservice/scratch.go"}, stats.Untracked, "the files left out are listed")
	for _, rel := range []string{"go.mod", "docs/README.md", "viewservice/server.go"} {
		assert.FileExists(t, filepath.Join(dst, rel), "the handout holds the tracked %s", rel)
	}
	for _, rel := range []string{"viewservice/scratch.go", "notes/answers.md", "viewservice/gone.go"} {
		assert.NoFileExists(t, filepath.Join(dst, rel), "the handout leaves out %s", rel)
	}
	assert.NoDirExists(t, filepath.Join(dst, "notes"), "an untracked folder is left out whole")
}

// The handout is the students': the student's README takes the place of
// the instructors' one, and the instructors' pages and the hidden tests
// stay behind.
func TestWriteIsTheStudents(t *testing.T) {
	root, dst := t.TempDir(), t.TempDir()
	writeTree(t, root, map[string]string{
		"go.mod":                         "module pblab\n",
		"README.md":                      "# for the instructors\n",
		StudentReadme:                    "# for the students\n",
		"docs/instructors.md":            "# Instructor guide\n",
		"docs/submitting.md":             "# Submitting\n",
		"pbservice/crash_hidden_test.go": "package pbservice\n",
		"pbservice/crash_test.go":        "package pbservice\n",
	})
	_, err := Write(root, dst)
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join(dst, "README.md"))
	require.NoError(t, err)
	assert.Equal(t, "# for the students\n", string(data), "the handout's README is README.student.md")
	assert.NoFileExists(t, filepath.Join(dst, StudentReadme), "README.student.md is in the handout only as its README.md")
	assert.NoFileExists(t, filepath.Join(dst, "docs", "instructors.md"), "the instructors' guide stays behind")
	assert.FileExists(t, filepath.Join(dst, "docs", "submitting.md"))
	assert.NoFileExists(t, filepath.Join(dst, "pbservice", "crash_hidden_test.go"), "hidden tests stay behind")
	assert.FileExists(t, filepath.Join(dst, "pbservice", "crash_test.go"))
}

// Update replaces what git tracks in a clean clone with the new handout,
// and refuses a clone with anything uncommitted, changing nothing.
func TestUpdate(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	root, clone := t.TempDir(), t.TempDir()
	writeTree(t, root, map[string]string{"go.mod": "module pblab\n", "notes/new.txt": "new\n"})
	git := func(args ...string) { t.Helper(); runGit(t, clone, args...) }
	git("init", "-q")
	writeTree(t, clone, map[string]string{"go.mod": "module pblab\n", "notes/old.txt": "old\n"})
	git("add", ".")
	git("commit", "-q", "-m", "last year's handout")

	writeTree(t, clone, map[string]string{"scratch.txt": "a TA's note\n"})
	_, err := Update(root, clone)
	require.Error(t, err, "an untracked file would be lost: Update refuses")
	assert.Contains(t, err.Error(), "scratch.txt")
	assert.FileExists(t, filepath.Join(clone, "notes", "old.txt"), "nothing is changed")
	require.NoError(t, os.Remove(filepath.Join(clone, "scratch.txt")))

	_, err = Update(root, clone)
	require.NoError(t, err)
	assert.NoFileExists(t, filepath.Join(clone, "notes", "old.txt"), "a file the new handout does not hold is gone")
	assert.FileExists(t, filepath.Join(clone, "notes", "new.txt"))
	assert.DirExists(t, filepath.Join(clone, ".git"), "the clone's history stays")
}

// runGit runs git in dir, as a user with a name and an e-mail address.
func runGit(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "git %v: %s", args, out)
}

// A clone whose remote's HEAD names a branch the remote lacks (a bare
// repository made on master, published on main) checks out nothing;
// Update refuses it rather than start a second branch, and takes the clone
// of an empty repository.
func TestUpdateRequiresTheBranch(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	root, dir := t.TempDir(), t.TempDir()
	writeTree(t, root, map[string]string{"go.mod": "module pblab\n"})
	bare, first, second := filepath.Join(dir, "course.git"), filepath.Join(dir, "first"), filepath.Join(dir, "second")
	runGit(t, dir, "init", "-q", "--bare", "-b", "master", bare)
	runGit(t, dir, "clone", "-q", bare, first)
	_, err := Update(root, first)
	require.NoError(t, err, "the clone of an empty repository takes the handout")

	runGit(t, first, "checkout", "-q", "-b", "main")
	runGit(t, first, "add", ".")
	runGit(t, first, "commit", "-q", "-m", "handout")
	runGit(t, first, "push", "-q", "origin", "main")
	runGit(t, dir, "clone", "-q", bare, second)
	_, err = Update(root, second)
	require.Error(t, err, "a clone with no branch checked out is refused")
	assert.Contains(t, err.Error(), "has no branch checked out, but its remote has main", "the error names the remote's branch")
	assert.NoFileExists(t, filepath.Join(second, "go.mod"), "nothing was written")
}

// The handout's pages name no helper of the solution: the handout of this
// tree passes, and a page with a reference helper's name, or a trace of a
// function the handout lacks, does not.
func TestDocsNameNoSolution(t *testing.T) {
	root, err := labenv.ModuleRoot(".")
	require.NoError(t, err)
	dst := t.TempDir()
	_, err = Write(root, dst)
	require.NoError(t, err)
	require.NoError(t, checkDocsNameNoSolution(root, dst), "the handout's docs name no helper of the solution")

	writeTree(t, dst, map[string]string{"notes/leak.md": "a trace:\n  pblab/pbservice.(*PBServer).viewChanger(0xc0)\n"})
	err = checkDocsNameNoSolution(root, dst)
	require.Error(t, err, "a frame of a function the handout lacks is found")
	assert.Contains(t, err.Error(), "notes/leak.md:2: pblab/pbservice.(*PBServer).viewChanger names viewChanger")
}
