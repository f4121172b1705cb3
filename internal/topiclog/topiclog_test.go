package topiclog

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"pblab/internal/labtest"
)

func TestParse(t *testing.T) {
	topics := []string{"ping", "view", "dead"}
	all := map[string]bool{"ping": true, "view": true, "dead": true}
	for _, tc := range []struct {
		env  string
		want map[string]bool
	}{
		{"", map[string]bool{}},
		{"vs", all},
		{"all", all},
		{"1", all},
		{"view,pb", map[string]bool{"view": true}},
		{" Ping  fwd", map[string]bool{"ping": true}},
		{"pb,fwd,xfer", map[string]bool{}},
	} {
		assert.Equal(t, tc.want, Parse(tc.env, "vs", topics), "PBLAB_DEBUG=%q: the topics it turns on", tc.env)
	}
}

// A line carries the time (virtual in tests), the node, the topic and the
// text; topics that are off print nothing.
func TestPrintf(t *testing.T) {
	var out strings.Builder
	labtest.Run(t, func(t *testing.T) {
		l := newLog(&out, Parse("view", "vs", []string{"ping", "view"}))
		l.Printf("view", "vs", "view %d: primary %s, backup %s", 3, "s2", "s3")
		l.Printf("ping", "vs", "not shown: topic off")
	})
	assert.Regexp(t, `^\d\d:\d\d:\d\d\.\d{6} vs     view  view 3: primary s2, backup s3\n$`, out.String(),
		"one line: the time, the node, the topic and the text; the topic that is off prints nothing")
}

// Always prints its topics whatever PBLAB_DEBUG says, and only them.
func TestAlways(t *testing.T) {
	t.Setenv(EnvVar, "")
	var out strings.Builder
	l := Always(&out, "view", "role")
	l.Printf("role", "127.0.0.1:7001", "idle -> backup")
	l.Printf("ping", "127.0.0.1:7001", "not shown: not one of its topics")
	assert.Regexp(t, `^\d\d:\d\d:\d\d\.\d{6} 127\.0\.0\.1:7001 role  idle -> backup\n$`, out.String(),
		"Always prints its own topics, with PBLAB_DEBUG unset, and no other")
}

// With no topic on, a log reports itself disabled, so that callers skip
// building a line's arguments.
func TestEnabled(t *testing.T) {
	t.Setenv(EnvVar, "")
	assert.False(t, New("vs", "ping").Enabled(), "no topic on: the log is off")
	t.Setenv(EnvVar, "vs")
	assert.True(t, New("vs", "ping").Enabled(), "PBLAB_DEBUG=vs turns on the view service's topics")
}

func BenchmarkPrintfOff(b *testing.B) {
	l := &Log{on: map[string]bool{}}
	for b.Loop() {
		if l.Enabled() {
			l.Printf("view", "vs", "view %d", 3)
		}
	}
}
