package viewservice

import (
	"io"
	"os"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDebugTopics(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want map[string]bool
	}{
		{"", map[string]bool{}},
		{"vs", map[string]bool{topicPing: true, topicView: true, topicDead: true}},
		{"all", map[string]bool{topicPing: true, topicView: true, topicDead: true}},
		{"1", map[string]bool{topicPing: true, topicView: true, topicDead: true}},
		{"view,pb", map[string]bool{topicView: true}},
		{" Ping  fwd", map[string]bool{topicPing: true}},
		{"pb,fwd,xfer", map[string]bool{}},
	} {
		assert.Equal(t, tc.want, parseDebugTopics(tc.env, "vs", vsTopics), "PBLAB_DEBUG=%q", tc.env)
	}
}

// TestDebugfIsCheapWhenOff checks that a topic log call costs nothing
// worth measuring when PBLAB_DEBUG is unset.
func TestDebugfIsCheapWhenOff(t *testing.T) {
	if debugOn {
		t.Skip("PBLAB_DEBUG is set")
	}
	allocs := testing.AllocsPerRun(100, func() { debugf(topicView, "vs", "view %d", 3) })
	assert.Zero(t, allocs, "debugf with constant arguments allocates nothing when off")
}

func BenchmarkDebugfOff(b *testing.B) {
	v := View{Viewnum: 3, Primary: "s1", Backup: "s2"}
	me := "vs"
	for b.Loop() {
		debugf(topicView, me, "view %d: primary %s, backup %s", v.Viewnum, v.Primary, v.Backup)
	}
}

// TestDebugfLine checks the line's format: virtual time, node, topic, text.
func TestDebugfLine(t *testing.T) {
	got := captureDebug(t, map[string]bool{topicView: true}, func() {
		debugf(topicView, "vs", "view %d: primary %s, backup %s", 3, "s2", "s3")
		debugf(topicPing, "vs", "not shown: topic off")
	})
	assert.Equal(t, "00:00:00.000000 vs     view  view 3: primary s2, backup s3\n", got)
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
