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

	"pblab/internal/grader"
	"pblab/internal/handout"
	"pblab/internal/labenv"
	"pblab/internal/labtree"
	"pblab/internal/rubric"
	"pblab/internal/submission"
)

// An intakeCase is a hostile submission that the intake stops before
// anything is built: a student's file that breaks a rule (its part is
// rejected, the other part still graded), or a file that is not the
// student's (ignored, and named in the note on ignored files).
type intakeCase struct {
	fixture string // folder under testdata/hostile; "" for none
	// stubs starts the student's files from the handout's skeleton rather
	// than the reference solution: what the submission cheats is then
	// worth nothing on its own.
	stubs   bool
	prepare func(t *testing.T, root, student string) // more changes to the student's tree
	tests   []string                                 // "package.TestName": the graded tests to run
	// want holds, by package, "passed" for full marks, or what the
	// verdict of each of its tests holds (with no points).
	want     map[string]string
	rejected bool     // the packages not "passed" were rejected before building
	named    []string // what the note on ignored files names
	notes    []string // the other notes, exactly
}

// onOfficialA is the note on a submission whose Part A is rejected.
const onOfficialA = "pbservice/ is built on the official viewservice/server.go, as the submission's viewservice/ was not accepted"

// intakeCases are the attacks that the intake stops: forged output and
// tampering from code that runs before the tests, reaching outside the
// package, sharing memory between servers, and files that are not the
// student's.
var intakeCases = []intakeCase{
	{fixture: "forges-output-from-init", tests: append(vsTests[:1:1], pbTests...), rejected: true,
		want:  map[string]string{"viewservice": "viewservice/server.go:12: func init is not allowed", "pbservice": "passed"},
		notes: []string{onOfficialA}},
	{fixture: "forges-output-from-a-variable", tests: vsTests, rejected: true,
		want:  map[string]string{"viewservice": "viewservice/server.go:12: package-level variable _ is not allowed"},
		notes: []string{onOfficialA}},
	{fixture: "linkname", tests: append(vsTests[:1:1], pbTests...), rejected: true,
		want: map[string]string{"viewservice": "passed", "pbservice": "pbservice/client.go:38: //go:linkname: compiler directives are not allowed"}},
	{fixture: "imports-os", tests: vsTests, rejected: true,
		want:  map[string]string{"viewservice": `viewservice/server.go:4: import "os": not among the packages a student's file may import`},
		notes: []string{onOfficialA}},
	{fixture: "imports-unsafe", tests: pbTests, rejected: true,
		want: map[string]string{"pbservice": `pbservice/client.go:5: import "unsafe": not among the packages`}},
	{fixture: "imports-reflect", tests: pbTests, rejected: true,
		want: map[string]string{"pbservice": `pbservice/server.go:5: import "reflect": not among the packages`}},
	{fixture: "imports-labtest", tests: vsTests, rejected: true,
		want:  map[string]string{"viewservice": `viewservice/server.go:6: import "pblab/internal/labtest": the lab's internal packages belong to the tests and the grader`},
		notes: []string{onOfficialA}},
	{fixture: "imports-faults", tests: pbTests, rejected: true,
		want: map[string]string{"pbservice": `pbservice/server.go:6: import "pblab/internal/faults": the lab's internal packages`}},
	{fixture: "shares-a-store", tests: append(vsTests[:1:1], "pbservice.TestBasicFail", "pbservice.TestStateTransferLarge"), rejected: true,
		want: map[string]string{"viewservice": "passed", "pbservice": "pbservice/server.go:15: package-level variable store is not allowed"}},
	{fixture: "forges-output-from-an-extra-file", stubs: true, tests: vsTests,
		want:  map[string]string{"viewservice": "failed"},
		named: []string{"viewservice/zz_init.go (added)"}},
	{fixture: "tampers-from-an-extra-file", stubs: true, tests: append(vsTests[:1:1], pbTests...),
		want:  map[string]string{"viewservice": "failed", "pbservice": "failed"},
		named: []string{"pbservice/zz_tamper.go (added)", "viewservice/zz_tamper.go (added)"}},
	{fixture: "adds-a-test-file", stubs: true, tests: append(vsTests[:1:1], pbTests...),
		want:  map[string]string{"viewservice": "failed", "pbservice": "failed"},
		named: []string{"pbservice/zz_student_test.go (added)", "viewservice/zz_student_test.go (added)"}},
	// A whole clone, version control, grader's tests and fixtures (these
	// very hostile submissions) and all: graded as its four files, with
	// full marks on tests of both parts.
	{prepare: copyWholeClone, tests: append(append(vsTests[:2:2], pbTests...), "pbservice.TestBasicFail"),
		want: map[string]string{"viewservice": "passed", "pbservice": "passed"}},
}

// TestHostileIntake grades each submission of intakeCases end to end,
// through -submission's intake, and checks the verdict and points of each
// part and the notes. It builds a tree per case, so it runs only with
// PBLAB_HOSTILE=1 (CI does).
func TestHostileIntake(t *testing.T) {
	if os.Getenv("PBLAB_HOSTILE") != "1" {
		t.Skip("set PBLAB_HOSTILE=1 to grade the hostile submissions (slow)")
	}
	root, err := labenv.ModuleRoot(".")
	require.NoError(t, err)
	stubs := handoutStubs(t, root)
	for _, c := range intakeCases {
		name := c.fixture
		if name == "" {
			name = "whole-clone"
		}
		t.Run(name, func(t *testing.T) {
			student := referenceTree(t, root)
			if c.stubs {
				for rel, data := range stubs {
					require.NoError(t, os.WriteFile(filepath.Join(student, filepath.FromSlash(rel)), data, 0o644))
				}
			}
			if c.fixture != "" {
				applyFixture(t, filepath.Join("testdata", "hostile", c.fixture), student)
			}
			if c.prepare != nil {
				c.prepare(t, root, student)
			}
			tree := t.TempDir()
			intake, err := submission.Prepare(student, root, tree, nil)
			require.NoError(t, err)
			checkIntakeNotes(t, c, intake.Notes)
			for pkg, want := range c.want {
				if want != "passed" && c.rejected {
					assert.Contains(t, intake.Rejected[pkg], want, "%s is rejected before building", pkg)
				}
			}

			var tests []rubric.Test
			for _, name := range c.tests {
				tests = append(tests, gradedTest(name))
			}
			start := time.Now()
			report, err := grader.Grade(context.Background(), grader.Options{
				Root: tree, Tests: tests, N: 1, P: 2, Race: false,
				Timeout: hostileTimeout, WallTimeout: hostileTimeout,
				MaxOutput: 1 << 20, ResultsDir: t.TempDir(),
				Rejected: intake.Rejected,
			})
			require.NoError(t, err)
			for _, r := range report.Results {
				want := c.want[r.Test.Package]
				require.NotEmpty(t, want, "the case says what %s must get", r.Test.Package)
				if want == "passed" {
					assert.Equal(t, grader.Passed, r.Kind, "%s: passes; verdict:\n%s", r.Test.Name, r.Verdict)
					assert.Equal(t, r.Test.Points, r.Score, "%s: full marks; verdict:\n%s", r.Test.Name, r.Verdict)
					continue
				}
				assert.Contains(t, r.Verdict, want, "%s: verdict", r.Test.Name)
				assert.Zero(t, r.Score, "%s: no points for what the submission cheats; verdict:\n%s", r.Test.Name, r.Verdict)
				if c.rejected {
					assert.Equal(t, grader.BuildFailed, r.Kind, "%s: a rejected part is not built", r.Test.Name)
				}
				t.Logf("%s: %s", r.Test.Name, r.VerdictLine())
			}
			t.Logf("%d/%d, graded in %s", report.Score, report.Max, time.Since(start).Round(100*time.Millisecond))
		})
	}
}

// checkIntakeNotes checks the notes of a case: one on the ignored files if
// c.named names any, which names exactly those Go files that are not the
// official ones, and then exactly c.notes.
func checkIntakeNotes(t *testing.T, c intakeCase, notes []string) {
	t.Helper()
	others := notes
	if len(c.named) > 0 {
		require.NotEmpty(t, notes, "a note on the ignored files")
		ignored := notes[0]
		others = notes[1:]
		require.True(t, strings.HasPrefix(ignored, "ignored, as only "), "the first note is on the files ignored: %s", ignored)
		_, named, _ := strings.Cut(ignored, " are graded: ")
		assert.ElementsMatch(t, c.named, strings.Split(named, ", "),
			"the note on ignored files names the Go files of the graded folders that are not the official ones: %s", ignored)
	}
	assert.Equal(t, len(c.notes), len(others), "the other notes: %v", others)
	for i := range min(len(c.notes), len(others)) {
		assert.Equal(t, c.notes[i], others[i])
	}
}

// referenceTree returns a copy of the lab's tree at root as a student
// would have it: no version control, no results, nothing that serves only
// the instructors.
func referenceTree(t *testing.T, root string) string {
	t.Helper()
	student := t.TempDir()
	copyTree(t, root, student)
	return student
}

// copyWholeClone makes the student's tree a whole copy of the lab's tree,
// with what serves only the instructors and version control.
func copyWholeClone(t *testing.T, root, student string) {
	t.Helper()
	require.NoError(t, labtree.Copy(root, student, func(rel string, d fs.DirEntry) bool { return rel == "results" }, nil))
}

// handoutStubs returns the student's files of the handout: the skeleton
// each student starts from.
func handoutStubs(t *testing.T, root string) map[string][]byte {
	t.Helper()
	dst := t.TempDir()
	_, err := handout.Write(root, dst)
	require.NoError(t, err)
	stubs := map[string][]byte{}
	for _, rel := range rubric.StudentFiles {
		data, err := os.ReadFile(filepath.Join(dst, filepath.FromSlash(rel)))
		require.NoError(t, err)
		stubs[rel] = data
	}
	return stubs
}
