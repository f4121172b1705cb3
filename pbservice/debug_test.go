package pbservice

import (
	"io"
	"os"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDebugTopics(t *testing.T) {
	all := map[string]bool{topicOp: true, topicDup: true, topicFwd: true, topicXfer: true, topicView: true, topicClerk: true}
	for _, tc := range []struct {
		env  string
		want map[string]bool
	}{
		{"", map[string]bool{}},
		{"pb", all},
		{"all", all},
		{"vs,view", map[string]bool{topicView: true}},
		{"fwd xfer, ping", map[string]bool{topicFwd: true, topicXfer: true}},
		{"vs", map[string]bool{}},
	} {
		assert.Equal(t, tc.want, parseDebugTopics(tc.env, "pb", pbTopics), "PBLAB_DEBUG=%q", tc.env)
	}
}

// TestDebugfIsCheapWhenOff checks that a topic log call costs nothing
// worth measuring when PBLAB_DEBUG is unset.
func TestDebugfIsCheapWhenOff(t *testing.T) {
	if debugOn {
		t.Skip("PBLAB_DEBUG is set")
	}
	allocs := testing.AllocsPerRun(100, func() { debugf(topicFwd, "s1", "forward %d", 3) })
	assert.Zero(t, allocs, "debugf with constant arguments allocates nothing when off")
}

func BenchmarkDebugfOff(b *testing.B) {
	key, value, me := "k", "x", "s1"
	for b.Loop() {
		debugf(topicFwd, me, "Append(%q, %q) to backup %s", key, value, "s2")
	}
}

// TestDebugfLine checks the line's format: virtual time, node, topic, text.
func TestDebugfLine(t *testing.T) {
	got := captureDebug(t, map[string]bool{topicFwd: true}, func() {
		debugf(topicFwd, "s1", "Append(%q, %q) to backup %s: %s", "k", "x", "s2", "OK")
		debugf(topicOp, "s1", "not shown: topic off")
	})
	assert.Equal(t, "00:00:00.000000 s1     fwd   Append(\"k\", \"x\") to backup s2: OK\n", got)
}

// captureDebug runs f in virtual time with the given topics on, and returns
// what debugf printed.
func captureDebug(t *testing.T, topics map[string]bool, f func()) string {
	t.Helper()
	saved, savedOn, savedStderr := debugTopics, debugOn, os.Stderr
	defer func() { debugTopics, debugOn, os.Stderr = saved, savedOn, savedStderr }()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	debugTopics, debugOn, os.Stderr = topics, true, w
	synctest.Test(t, func(t *testing.T) { f() })
	require.NoError(t, w.Close())
	out, err := io.ReadAll(r)
	require.NoError(t, err)
	return string(out)
}
