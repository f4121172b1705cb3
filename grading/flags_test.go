package main

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// -allow-import takes a comma-separated list, and may be repeated.
func TestAllowImportFlag(t *testing.T) {
	f, err := parseGradeFlags([]string{"-allow-import", "bytes,unicode/utf8", "-allow-import=hash/fnv"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []string{"bytes", "unicode/utf8", "hash/fnv"}, f.allow, "every package named is allowed")

	_, err = parseGradeFlags([]string{"-allow-import", "bytes,,os"}, io.Discard)
	assert.ErrorContains(t, err, `"" is not an import path`, "an empty name is refused")
	_, err = parseGradeFlags([]string{"-allow-import", `"os"`}, io.Discard)
	assert.ErrorContains(t, err, "is not an import path", "a quoted name is refused")
}

// go run ./grading explore: both parts and a minute by default; a bad part,
// budget or kind of fault is refused before anything runs.
func TestExploreFlags(t *testing.T) {
	o, err := parseExploreFlags(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "", o.Part, "both parts by default")
	assert.Equal(t, time.Minute, o.Budget, "a minute by default")
	assert.False(t, o.NoCore, "the core is checked by default")

	o, err = parseExploreFlags([]string{"-part", "B", "-budget", "5m", "-faults", "crash,partition", "-core=false", "-seed", "7"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "B", o.Part)
	assert.Equal(t, 5*time.Minute, o.Budget)
	assert.Equal(t, []string{"crash", "partition"}, o.Faults)
	assert.True(t, o.NoCore)
	assert.Equal(t, int64(7), o.Seed)

	for _, bad := range [][]string{{"-part", "C"}, {"-budget", "0s"}, {"-faults", "meteor"}, {"extra"}} {
		_, err := parseExploreFlags(bad, io.Discard)
		assert.Error(t, err, "%v must be refused", bad)
	}
	_, err = parseGradeFlags([]string{"-explore", "2m"}, io.Discard)
	assert.NoError(t, err, "the grader takes -explore DURATION")
}
