package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/rubric"
)

// TestEngineVerdicts grades testdata/enginemod, a module with one test per
// way a run can end, and checks each verdict.
func TestEngineVerdicts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a test binary under -race")
	}
	root, err := filepath.Abs("testdata/enginemod")
	require.NoError(t, err)
	cases := []struct {
		name   string
		kind   verdictKind
		prefix string // the verdict starts with it
		has    string // the verdict contains it
	}{
		{"TestPass", kindPassed, "passed", ""},
		{"TestFailPlain", kindFailed, "failed:", "the ack rule: view 2 came before"},
		{"TestFailTestify", kindFailed, "failed:", "the first primary: view 1 names"},
		{"TestPanicGoroutine", kindPanic, "panicked: assignment to entry in nil map", "cases_test.go"},
		{"TestExit", kindExit, "called os.Exit(3)", ""},
		{"TestExit0", kindExit, "called os.Exit(0)", ""},
		{"TestHang", kindTimeout, "timed out after 3s (no progress?)", ""},
		{"TestFlood", kindFlood, "output flooded (truncated at 1 MB)", ""},
		{"TestStall", kindPassed, stallVerdict + "passed", ""},
		{"TestStallFails", kindFailed, stallVerdict + "failed:", "the output rule"},
		{"TestRace", kindFailed, "failed: data race detected", "TestRace"},
		{"TestLeak", kindLeak, "goroutines left behind", "TestLeak.func1"},
		{"TestNoSuchTest", kindMissing, "missing:", ""},
	}
	var tests []rubric.Test
	for _, c := range cases {
		tests = append(tests, rubric.Test{Part: "A", Package: "cases", Name: c.name, Points: 1})
	}
	results := t.TempDir()
	start := time.Now()
	report, err := grade(context.Background(), gradeOptions{
		root: root, tests: tests, n: 1, p: 2, race: true,
		timeout: 3 * time.Second, wallTimeout: 3 * time.Second,
		maxOutput: 1 << 20, resultsDir: results,
	})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 90*time.Second, "grading must stay within its bounds")
	require.Len(t, report.results, len(cases))
	for i, c := range cases {
		r := report.results[i]
		assert.Equal(t, c.kind, r.kind, "%s: kind (verdict %q)", c.name, r.verdict)
		assert.True(t, strings.HasPrefix(r.verdict, c.prefix), "%s: verdict %q should start with %q", c.name, r.verdict, c.prefix)
		assert.Contains(t, r.verdict, c.has, "%s: verdict", c.name)
		if c.kind == kindPassed {
			assert.Equal(t, 1, r.score, "%s earns its point", c.name)
			continue
		}
		assert.Zero(t, r.score, "%s earns nothing", c.name)
		if c.kind != kindMissing {
			require.NotEmpty(t, r.logPath, "%s: a failing run keeps its log", c.name)
			log, err := os.ReadFile(r.logPath)
			require.NoError(t, err)
			assert.Contains(t, string(log), "verdict:  "+firstLine(r.verdict), "%s: the log starts with the verdict", c.name)
			assert.LessOrEqual(t, len(log), 1<<20+4096, "%s: the log is capped", c.name)
		}
	}
	assert.Equal(t, 2, report.score)

	// The table names every test and the total.
	var table bytes.Buffer
	printTable(&table, report)
	for _, c := range cases {
		assert.Contains(t, table.String(), c.name)
	}
	assert.Contains(t, table.String(), "Total: 2/13")
	assert.Contains(t, table.String(), "Logs of the failing runs: "+results)

	// results.json is valid and follows Gradescope's format.
	path := filepath.Join(t.TempDir(), "results.json")
	require.NoError(t, writeJSON(path, gradescopeResults(report, tests, nil)))
	checkGradescopeJSON(t, path, len(cases), 2)
}

// checkGradescopeJSON checks that path holds a valid results.json with n
// tests and the given score.
func checkGradescopeJSON(t *testing.T, path string, n, score int) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var res map[string]any
	require.NoError(t, json.Unmarshal(data, &res), "results.json must be valid JSON")
	assert.EqualValues(t, score, res["score"])
	assert.Contains(t, res, "execution_time")
	tests, ok := res["tests"].([]any)
	require.True(t, ok, "tests is a list")
	require.Len(t, tests, n)
	sum := 0.0
	for _, x := range tests {
		tt := x.(map[string]any)
		for _, k := range []string{"name", "score", "max_score", "status", "output", "visibility"} {
			assert.Contains(t, tt, k)
		}
		assert.Contains(t, []any{"passed", "failed"}, tt["status"])
		sum += tt["score"].(float64)
		if tt["status"] == "passed" {
			assert.Equal(t, tt["max_score"], tt["score"])
		}
	}
	assert.EqualValues(t, score, sum, "score is the sum of the tests' scores")
	return res
}

func TestGradescopeWhenGradingFails(t *testing.T) {
	tests := []rubric.Test{{Part: "A", Package: "viewservice", Name: "TestX", Points: 5}, {Part: "B", Package: "pbservice", Name: "TestY", Points: 7}}
	path := filepath.Join(t.TempDir(), "results.json")
	require.NoError(t, writeJSON(path, gradescopeResults(nil, tests, assert.AnError)))
	res := checkGradescopeJSON(t, path, 2, 0)
	assert.Contains(t, res["output"], "Grading could not finish")
}

func TestDurationString(t *testing.T) {
	for d, want := range map[time.Duration]string{
		2 * time.Minute: "2m", 90 * time.Second: "1m30s", 3 * time.Second: "3s", time.Hour: "1h", 500 * time.Millisecond: "500ms",
	} {
		assert.Equal(t, want, durationString(d))
	}
}

func TestFirstMessageTestify(t *testing.T) {
	out := strings.Join([]string{
		"=== RUN   TestAtMostOnce",
		"    helpers_test.go:249: 00:00:01.000 at-most-once Append; unreliable",
		"    pbservice_test.go:198: ",
		"        \tError Trace:\t/work/main/pbservice/pbservice_test.go:198",
		"        \t            \t\t\t\t/work/main/internal/labtest/labtest.go:173",
		"        \tError:      \tNot equal: ",
		"        \t            \texpected: \"s1\"",
		"        \t            \tactual  : \"\"",
		"        \t            \t",
		"        \t            \tDiff:",
		"        \tTest:       \tTestAtMostOnce",
		"        \tMessages:   \tthe only server is not primary: {Viewnum:0 Primary: Backup:}",
		"        \t            \t  rule: servers ping the view service from a ticker",
		"        \t            \t  see: the guide, step 1",
		"    seed: 4295503476575950399",
		"--- FAIL: TestAtMostOnce (0.12s)",
	}, "\n")
	got := firstMessage(out, "TestAtMostOnce")
	assert.Equal(t, "\n  the only server is not primary: {Viewnum:0 Primary: Backup:}\n  rule: servers ping the view service from a ticker\n"+
		"  see: the guide, step 1\n  Not equal:\n  expected: \"s1\"\n  actual  : \"\"", got)
}
