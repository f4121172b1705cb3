package grader

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/rubric"
)

// A rejected package is not built: each of its tests gets the rejection as
// its verdict, and no points. (The tree graded here holds no package at
// all: building one would fail with another verdict.)
func TestRejectedPackageIsNotBuilt(t *testing.T) {
	tests := []rubric.Test{
		{Part: "A", Package: "cheats", Name: "TestOne", Points: 2},
		{Part: "A", Package: "cheats", Name: "TestTwo", Points: 3},
	}
	const why = "rejected: cheats/server.go:3: func init is not allowed"
	report, err := Grade(context.Background(), Options{
		Root: t.TempDir(), Tests: tests, N: 3, P: 2,
		Timeout: time.Second, WallTimeout: time.Second, MaxOutput: 1 << 20,
		Rejected: map[string]string{"cheats": why},
	})
	require.NoError(t, err)
	require.Len(t, report.Results, len(tests))
	for _, r := range report.Results {
		assert.Equal(t, BuildFailed, r.Kind, "%s: a rejected package's tests count as not built", r.Test.Name)
		assert.Equal(t, why, r.Verdict, "%s: the verdict is the rejection", r.Test.Name)
		assert.Zero(t, r.Score, "%s: a rejected test earns nothing", r.Test.Name)
		assert.Len(t, r.Runs, 1, "%s: the rejection is the test's one run, whatever -n", r.Test.Name)
	}
	assert.Equal(t, 0, report.Score)
	assert.Equal(t, 5, report.Max, "rejected tests still count in the maximum")
}
