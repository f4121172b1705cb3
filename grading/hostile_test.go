package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/rubric"
)

// hostileCase is one hostile submission and what grading it must give.
type hostileCase struct {
	fixture string   // folder under testdata/hostile
	tests   []string // "package.TestName": the graded tests to run
	kind    verdictKind
	verdict string // every selected test's verdict contains it
	full    bool   // the submission must still earn full marks
	stall   bool   // some test's virtual clock must freeze (and be re-run)
	notes   []string
	prepare func(t *testing.T, tree string) // more changes to the student's tree
	limit   time.Duration                   // grading must end within it
}

// Two graded tests that drive the view service over RPC, and one Part B
// test with concurrent clients (a request waits for the lock while the
// primary forwards).
var (
	vsTests = []string{"viewservice.TestViewFirstPrimary", "viewservice.TestViewBackupTakesOver"}
	pbTests = []string{"pbservice.TestConcurrentSameUnreliable"}
)

// hostileTimeout is the time limit of one run in these tests: small, so
// that the cases that hang end soon.
const hostileTimeout = 20 * time.Second

var hostileCases = []hostileCase{
	{fixture: "does-not-compile", tests: append(append([]string{}, vsTests...), pbTests...), kind: kindBuild,
		verdict: "undefined: recordPing", limit: 2 * time.Minute},
	{fixture: "panics-in-handler", tests: vsTests, kind: kindPanic,
		verdict: "assignment to entry in nil map (at viewservice/server.go:", limit: time.Minute},
	{fixture: "deadlocks", tests: vsTests[:1], kind: kindFailed,
		verdict: stallVerdict + "failed", limit: 2 * time.Minute},
	{fixture: "busy-loop", tests: vsTests[1:], verdict: stallVerdict, limit: 2 * time.Minute},
	{fixture: "calls-os-exit", tests: vsTests, kind: kindExit, verdict: "called os.Exit(1)", limit: time.Minute},
	{fixture: "floods-output", tests: vsTests[:1], kind: kindFlood, verdict: "output flooded (truncated at 1 MB)", limit: time.Minute},
	{fixture: "leaks-goroutines", tests: vsTests, kind: kindLeak, verdict: "goroutines left behind", limit: time.Minute},
	{fixture: "edits-a-test-file", tests: vsTests, kind: kindPassed, verdict: "passed", full: true, limit: time.Minute,
		notes: []string{"viewservice/zz_student_test.go: added by the submission in a protected place; removed",
			"_test.go: changed by the submission; replaced by the official version",
			"labrpc/doc.go: missing from the submission; the official version is used"},
		prepare: func(t *testing.T, tree string) {
			tests, err := filepath.Glob(filepath.Join(tree, "viewservice", "*_test.go"))
			require.NoError(t, err)
			for _, f := range tests {
				if filepath.Base(f) != "zz_student_test.go" {
					appendFile(t, f, "\n// The student was here.\n")
					break
				}
			}
			require.NoError(t, os.Remove(filepath.Join(tree, "labrpc", "doc.go")))
		}},
	{fixture: "lock-across-sleep", tests: vsTests, kind: kindPassed, verdict: "passed", full: true, stall: true, limit: 2 * time.Minute},
	{fixture: "lock-across-rpc", tests: pbTests, kind: kindPassed, verdict: "passed", full: true, stall: true, limit: 3 * time.Minute},
}

// TestHostileSubmissions grades each hostile submission end to end, through
// -submission's overlay, and checks its verdicts and time bounds. It builds
// a tree per case, so it runs only with PBLAB_HOSTILE=1 (CI does).
func TestHostileSubmissions(t *testing.T) {
	if os.Getenv("PBLAB_HOSTILE") != "1" {
		t.Skip("set PBLAB_HOSTILE=1 to grade the hostile submissions (slow)")
	}
	root, err := moduleRoot(".")
	require.NoError(t, err)
	for _, c := range hostileCases {
		t.Run(c.fixture, func(t *testing.T) {
			student := t.TempDir()
			require.NoError(t, copyTree(root, student, func(rel string, d fs.DirEntry) bool {
				return skipJunk(rel, d) || rel == "grading/testdata" || rel == "grading/mutants" ||
					strings.HasPrefix(rel, "grading/") && strings.HasSuffix(rel, "_test.go")
			}, nil))
			applyFixture(t, filepath.Join("testdata", "hostile", c.fixture), student)
			if c.prepare != nil {
				c.prepare(t, student)
			}
			tree := t.TempDir()
			notes, err := prepareSubmission(student, root, tree)
			require.NoError(t, err)
			for _, n := range c.notes {
				assert.True(t, containsSubstring(notes, n), "a note mentions %q; notes:\n%s", n, strings.Join(notes, "\n"))
			}
			if len(c.notes) == 0 {
				assert.Empty(t, notes, "the submission changed no protected file")
			}

			var tests []rubric.Test
			for _, name := range c.tests {
				tests = append(tests, gradedTest(name))
			}
			start := time.Now()
			report, err := grade(context.Background(), gradeOptions{
				root: tree, tests: tests, n: 1, p: 2, race: false,
				timeout: hostileTimeout, wallTimeout: hostileTimeout,
				maxOutput: 1 << 20, resultsDir: t.TempDir(),
				env: []string{"PBLAB_STALL_TIMEOUT=2s"},
			})
			require.NoError(t, err)
			elapsed := time.Since(start)
			assert.Less(t, elapsed, c.limit, "grading %s must end within its bounds", c.fixture)
			stalls := 0
			for _, r := range report.results {
				if strings.HasPrefix(r.verdict, stallVerdict) {
					stalls++
				}
				if c.kind != kindPassed || c.full {
					assert.Equal(t, c.kind, r.kind, "%s: verdict kind; verdict:\n%s", r.test.Name, r.verdict)
				}
				assert.Contains(t, r.verdict, c.verdict, "%s: verdict", r.test.Name)
				if c.full {
					assert.Equal(t, r.test.Points, r.score, "%s: full marks; verdict:\n%s", r.test.Name, r.verdict)
				} else {
					assert.Zero(t, r.score, "%s: no points; verdict:\n%s", r.test.Name, r.verdict)
				}
				t.Logf("%s: %s", r.test.Name, r.verdict)
			}
			// results.json is valid whatever went wrong, and shows the verdicts.
			path := filepath.Join(t.TempDir(), "results.json")
			require.NoError(t, writeJSON(path, gradescopeResults(report, tests, nil)))
			res := checkGradescopeJSON(t, path, len(tests), report.score)
			for _, x := range res["tests"].([]any) {
				assert.Contains(t, x.(map[string]any)["output"], c.verdict, "results.json shows the verdict")
			}
			if c.stall {
				assert.NotZero(t, stalls, "the virtual clock of some test must freeze, and the test be re-run on the wall clock")
			}
			t.Logf("graded in %s", elapsed.Round(100*time.Millisecond))
		})
	}
}

// gradedTest returns the rubric's entry for "package.TestName", or an entry
// worth one point if the rubric does not grade that test.
func gradedTest(name string) rubric.Test {
	pkg, test, _ := strings.Cut(name, ".")
	if t, ok := rubric.Find(test); ok {
		return t
	}
	part := "A"
	if pkg == "pbservice" {
		part = "B"
	}
	return rubric.Test{Part: part, Package: pkg, Name: test, Points: 1}
}

// applyFixture lays the files of the fixture folder over the student's tree,
// and applies its edits.txt to the files already there.
func applyFixture(t *testing.T, fixture, tree string) {
	t.Helper()
	err := filepath.WalkDir(fixture, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(fixture, path)
		if rel == "edits.txt" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		target := filepath.Join(tree, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join(fixture, "edits.txt"))
	if os.IsNotExist(err) {
		return
	}
	require.NoError(t, err)
	m, err := parseMutant(filepath.Base(fixture), data)
	require.NoError(t, err)
	files, err := m.apply(tree)
	require.NoError(t, err, "the fixture's edits must apply to the reference solution")
	for file, data := range files {
		require.NoError(t, os.WriteFile(filepath.Join(tree, file), data, 0o644))
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(text)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func containsSubstring(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

// TestSubmissionOverlay checks -submission's overlay on a small tree: the
// student's files stay, protected ones are restored, the student's own
// tests are removed, and every change is reported.
func TestSubmissionOverlay(t *testing.T) {
	official := t.TempDir()
	student := t.TempDir()
	write := func(root, rel, text string) {
		require.NoError(t, os.MkdirAll(filepath.Join(root, filepath.Dir(rel)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, rel), []byte(text), 0o644))
	}
	for rel, text := range map[string]string{
		"go.mod":                    "module pblab\n",
		"labrpc/network.go":         "package labrpc // official\n",
		"viewservice/server.go":     "package viewservice\n" + beginMarker + "\n" + endMarker + "\n",
		"viewservice/client.go":     "package viewservice // given\n",
		"viewservice/vs_test.go":    "package viewservice // official test\n",
		"grading/main.go":           "package main\n",
		"grading/testdata/x/a.go":   "package x\n",
		"internal/rubric/rubric.go": "package rubric\n",
	} {
		write(official, rel, text)
	}
	for rel, text := range map[string]string{
		"go.mod":                 "module pblab\n",
		"labrpc/network.go":      "package labrpc // hacked\n",
		"labrpc/extra.go":        "package labrpc\n",
		"viewservice/server.go":  "package viewservice // student's\n",
		"viewservice/helper.go":  "package viewservice // student's helper\n",
		"viewservice/vs_test.go": "package viewservice // official test\n",
		"viewservice/my_test.go": "package viewservice // student's test\n",
		".git/HEAD":              "ref: refs/heads/main\n",
	} {
		write(student, rel, text)
	}
	dst := t.TempDir()
	notes, err := prepareSubmission(student, official, dst)
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
	assert.ElementsMatch(t, []string{
		"labrpc/extra.go: added by the submission in a protected place; removed",
		"viewservice/my_test.go: added by the submission in a protected place; removed",
		"internal/rubric/rubric.go: missing from the submission; the official version is used",
		"labrpc/network.go: changed by the submission; replaced by the official version",
		"viewservice/client.go: missing from the submission; the official version is used",
	}, notes)
}
