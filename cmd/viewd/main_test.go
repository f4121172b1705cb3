package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"pblab/cmd/internal/cmdline"
	"pblab/internal/topiclog"
	"pblab/viewservice"
)

// The command line: -addr is required. A mistake is exit status 2, with a
// line saying what is wrong.
func TestParseFlags(t *testing.T) {
	_, err := parseFlags([]string{"-addr", "h:0", "-http", "h:8080"}, io.Discard)
	assert.NoError(t, err, "viewd -addr h:0 -http h:8080 is a valid command line")
	for args, problem := range map[string]string{
		"-http h:8080":    "-addr is required",
		"-addr h:0 more":  `unexpected argument "more"`,
		"-addr h:0 -nope": "flag provided but not defined: -nope",
	} {
		var stderr strings.Builder
		assert.Equal(t, cmdline.Mistake, run(strings.Fields(args), &stderr), "viewd %s is refused", args)
		assert.Contains(t, stderr.String(), problem, "viewd %s says what is wrong", args)
	}
}

// A change of view is one line with the time it happened, and each server
// that lost its role one more.
func TestLogChange(t *testing.T) {
	t.Setenv(topiclog.EnvVar, "")
	var out strings.Builder
	log := newViewLog(&out)
	at := time.Date(2025, 3, 1, 20, 41, 7, 523410000, time.UTC)
	logChange(log, "vs", viewservice.View{Viewnum: 2, Primary: "a", Backup: "b"},
		viewservice.ViewRecord{View: viewservice.View{Viewnum: 3, Primary: "b"}, Start: at, Why: "at a tick"})
	assert.Equal(t, "20:41:07.523410 vs     view  view 3: primary b, backup none (at a tick)\n"+
		"20:41:07.523410 vs     dead  a is out of view 3: dead, or restarted\n", out.String(),
		"a view line with the time the view began, and a line for the server that lost its role")
}

// With PBLAB_DEBUG=vs the view service logs the same lines itself: viewd
// does not log them twice.
func TestLogNotTwice(t *testing.T) {
	t.Setenv(topiclog.EnvVar, "vs")
	var out strings.Builder
	logChange(newViewLog(&out), "vs", viewservice.View{},
		viewservice.ViewRecord{View: viewservice.View{Viewnum: 1, Primary: "a"}, Start: time.Now(), Why: "after a ping from a"})
	assert.Empty(t, out.String(), "with PBLAB_DEBUG=vs, the view service's own lines are enough")
	t.Setenv(topiclog.EnvVar, "ping")
	out.Reset()
	logChange(newViewLog(&out), "vs", viewservice.View{},
		viewservice.ViewRecord{View: viewservice.View{Viewnum: 1, Primary: "a"}, Start: time.Now(), Why: "after a ping from a"})
	assert.Contains(t, out.String(), "view 1: primary a, backup none", "PBLAB_DEBUG=ping leaves the view lines to viewd")
}
