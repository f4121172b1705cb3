package driver

// The explorer's tests, end to end: each builds a part's tests with a
// known bug laid over the solution (a mutant of grading/mutants, or the
// first Part B as a fixture) and checks that the explorer finds a rule
// broken, within a small budget, and that its replay file breaks it
// again. Budgets bound how long a search may take; none of the checks is
// about time.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/explore/plan"
	"pblab/internal/labenv"
)

func root(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	require.NoError(t, err)
	r, err := labenv.ModuleRoot(wd)
	require.NoError(t, err)
	return r
}

// run runs the explorer as o says, on the tree, and returns its
// outcome and what it printed.
func run(t *testing.T, o Options) (*Outcome, string) {
	t.Helper()
	var out bytes.Buffer
	o.Root, o.Stdout, o.Quiet = root(t), &out, true
	if o.Out == "" {
		o.Out = t.TempDir()
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	res, err := Run(context.Background(), o)
	require.NoError(t, err, "the explorer could not run:\n%s", out.String())
	return res, out.String()
}

// lastLine returns the last line of out.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	return lines[len(lines)-1]
}

var (
	noViolationLine = regexp.MustCompile(`^explore: \d+ scenarios in \d+\.\ds, no violation$`)
	violationLine   = regexp.MustCompile(`^explore: VIOLATION [^:]+: .+; shrunk from \d+ to \d+ events; replay: go run \./grading explore -replay \S+`)
)

// requireViolation checks that the explorer found a violation of kind, and
// said so on its last line.
func requireViolation(t *testing.T, res *Outcome, out, kind string) {
	t.Helper()
	require.NotNil(t, res.Violation, "the explorer should have found a violation of %q:\n%s", kind, out)
	assert.Equal(t, kind, res.Violation.Kind, "the rule broken:\n%s", out)
	assert.Regexp(t, violationLine, lastLine(out), "the last line reports the violation")
	assert.LessOrEqual(t, res.Violation.Events, res.Violation.Original, "shrinking never makes a counterexample bigger")
	assert.Positive(t, res.Violation.Failures, "the counterexample fails in some of its runs")
	for _, kind := range []string{"replay file", "Go test"} {
		if assert.Contains(t, res.Violation.Artifacts, kind) {
			assert.FileExists(t, res.Violation.Artifacts[kind])
		}
	}
}

// replay runs the counterexample res found again, from its replay file.
func replay(t *testing.T, res *Outcome, o Options) *Outcome {
	t.Helper()
	o.Replay, o.Out = res.Violation.Artifacts["replay file"], t.TempDir()
	again, out := run(t, o)
	require.NotNil(t, again.Violation, "replaying the counterexample should break the rule again:\n%s", out)
	assert.Equal(t, res.Violation.Kind, again.Violation.Kind, "the replay breaks the same rule")
	return again
}

func TestPartAFindsEachBug(t *testing.T) {
	for mutant, kind := range map[string]string{
		"a1-no-ack-rule":         "ack rule",
		"a5-get-changes-state":   "Get changes nothing",
		"a7-dead-one-tick-early": "failure detection",
	} {
		t.Run(mutant, func(t *testing.T) {
			o := Options{Part: "A", Budget: 30 * time.Second, Mutant: mutant}
			res, out := run(t, o)
			requireViolation(t, res, out, kind)
			assert.Equal(t, res.Violation.Tries, res.Violation.Failures, "the view service is deterministic: every run of the sequence breaks the rule")
			data, err := os.ReadFile(res.Violation.Artifacts["Go test"])
			require.NoError(t, err)
			assert.Contains(t, string(data), "checkViewEvents(t, \""+res.Violation.Replay.Events+"\")", "the Go test replays the sequence")
			replay(t, res, o)
		})
	}
}

func TestPartAReference(t *testing.T) {
	res, out := run(t, Options{Part: "A", Budget: 3 * time.Second})
	assert.Nil(t, res.Violation, "the reference breaks no rule:\n%s", out)
	assert.Positive(t, res.Scenarios, "the search saw some states")
	assert.Regexp(t, noViolationLine, lastLine(out))
}

func TestPartBFindsMissingDuplicateDetection(t *testing.T) {
	o := Options{Part: "B", Budget: 80 * time.Second, Shrink: 30 * time.Second, Mutant: "b01-no-duplicate-detection"}
	res, out := run(t, o)
	requireViolation(t, res, out, "linearizability (core)")
	replay(t, res, o)

	o.NoCore = true
	res, out = run(t, o)
	require.NotNil(t, res.Violation, "the random scenarios find the bug too:\n%s", out)
	assert.Contains(t, []string{"exactly-once", "linearizability"}, res.Violation.Kind, out)
	for _, kind := range []string{"diagram", "linearizability", "replay file", "Go test"} {
		assert.Contains(t, res.Violation.Artifacts, kind, "a Part B counterexample comes with its %s", kind)
	}
	replay(t, res, o)
}

func TestPartBReference(t *testing.T) {
	res, out := run(t, Options{Part: "B", Budget: 10 * time.Second})
	assert.Nil(t, res.Violation, "the reference breaks no rule:\n%s", out)
	assert.Regexp(t, noViolationLine, lastLine(out))
}

// firstLanded returns an overlay that replaces Part B's server with the
// first reference of Part B (internal/explore/testdata/firstlanded), with
// resendState set as asked.
func firstLanded(t *testing.T, resendState bool) string {
	t.Helper()
	r := root(t)
	src, err := os.ReadFile(filepath.Join(r, "internal", "explore", "testdata", "firstlanded", "server.go"))
	require.NoError(t, err)
	if resendState {
		src = bytes.Replace(src, []byte("const resendState = false"), []byte("const resendState = true"), 1)
	}
	dir := t.TempDir()
	server := filepath.Join(dir, "server.go")
	require.NoError(t, os.WriteFile(server, src, 0o644))
	overlay, err := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(r, "pbservice", "server.go"): server}})
	require.NoError(t, err)
	path := filepath.Join(dir, "overlay.json")
	require.NoError(t, os.WriteFile(path, overlay, 0o644))
	return path
}

// The first reference of Part B never sent the state again to a backup
// that restarted before its first ping in its role.
func TestPartBFindsTheRestartedBackup(t *testing.T) {
	o := Options{Part: "B", Budget: 2 * time.Minute, Shrink: 30 * time.Second, NoCore: true,
		Overlay: firstLanded(t, false), Faults: []string{plan.FaultCrash}}
	res, out := run(t, o)
	requireViolation(t, res, out, "liveness")
}

// With that hole closed, its lock held across calls still makes an old
// primary and its old backup wait on each other.
func TestPartBFindsTheMutualWait(t *testing.T) {
	o := Options{Part: "B", Budget: 5 * time.Minute, Shrink: 30 * time.Second, NoCore: true,
		Overlay: firstLanded(t, true), Faults: []string{plan.FaultPartition}}
	res, out := run(t, o)
	requireViolation(t, res, out, "liveness")
	assert.Contains(t, strings.Join(res.Violation.Details, "\n"), "waited on each other", "the report names the mutual wait")
}

func TestBadOptions(t *testing.T) {
	_, err := Run(context.Background(), Options{Root: root(t), Part: "B", Budget: time.Second, Faults: []string{"meteor"}})
	assert.ErrorContains(t, err, `"meteor" is not a kind of fault`)
	_, err = Run(context.Background(), Options{Root: root(t), Budget: time.Second, Replay: filepath.Join(t.TempDir(), "none.json")})
	assert.Error(t, err, "a replay file that does not exist")
	_, err = Run(context.Background(), Options{Root: root(t), Part: "A", Budget: time.Second, Mutant: "no-such-mutant", Out: t.TempDir()})
	assert.ErrorContains(t, err, "no mutant")
}

// overlay returns an overlay that replaces, in the file rel of the tree,
// the text old by new.
func overlay(t *testing.T, rel, old, new string) string {
	t.Helper()
	r := root(t)
	src, err := os.ReadFile(filepath.Join(r, filepath.FromSlash(rel)))
	require.NoError(t, err)
	require.Equal(t, 1, bytes.Count(src, []byte(old)), "%s must hold the text to replace once", rel)
	dir := t.TempDir()
	changed := filepath.Join(dir, filepath.Base(rel))
	require.NoError(t, os.WriteFile(changed, bytes.Replace(src, []byte(old), []byte(new), 1), 0o644))
	data, err := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(r, filepath.FromSlash(rel)): changed}})
	require.NoError(t, err)
	path := filepath.Join(dir, "overlay.json")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

// A panic in the student's code is a violation too: Part A's search
// catches it and shrinks it as any other; in Part B it ends the test
// binary, and the explorer finds the scenario that did it.
func TestPanicsAreViolations(t *testing.T) {
	o := Options{Part: "A", Budget: 30 * time.Second, Overlay: overlay(t, "viewservice/server.go",
		"s.lastPing[me] = s.now\n", "s.lastPing[me] = s.now\n\tif viewnum == 2 {\n\t\tpanic(\"two\")\n\t}\n")}
	res, out := run(t, o)
	requireViolation(t, res, out, "panic")
	assert.Contains(t, res.Violation.What, "two")

	o = Options{Part: "B", Budget: 60 * time.Second, NoCore: true, Faults: []string{plan.FaultCrash}, Overlay: overlay(t, "pbservice/server.go",
		"\ts.apply(args.Op)\n\treturn OK\n", "\tif args.Op.Kind == OpAppend && s.data[args.Op.Key] != \"\" {\n\t\tpanic(\"a second append\")\n\t}\n\ts.apply(args.Op)\n\treturn OK\n")}
	res, out = run(t, o)
	requireViolation(t, res, out, "panic")
	assert.Contains(t, res.Violation.What, "a second append")
	replay(t, res, o)
}
