package main

import (
	"io"
	"testing"

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
