package main

import (
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"pblab/cmd/internal/cmdline"
	"pblab/internal/topiclog"
	"pblab/viewservice"
)

// The command line: -addr and -vs are required, and differ. A mistake is
// exit status 2, with a line saying what is wrong.
func TestParseFlags(t *testing.T) {
	_, err := parseFlags([]string{"-addr", "h:1", "-vs", "h:0", "-unreliable"}, io.Discard)
	assert.NoError(t, err, "pbd -addr h:1 -vs h:0 -unreliable is a valid command line")
	for args, problem := range map[string]string{
		"-vs h:0":                "-addr is required",
		"-addr h:1":              "-vs is required",
		"-addr h:1 -vs h:1":      "-addr and -vs must differ",
		"-addr h:1 -vs h:0 more": `unexpected argument "more"`,
	} {
		var stderr strings.Builder
		assert.Equal(t, cmdline.Mistake, run(strings.Fields(args), &stderr), "pbd %s is refused", args)
		assert.Contains(t, stderr.String(), "pbd: "+problem, "pbd %s says what is wrong", args)
	}
}

// The watcher logs each new view and each change of its server's role,
// and the view service falling silent only after DeadPings Gets in a row
// had no answer.
func TestWatcher(t *testing.T) {
	var out strings.Builder
	w := watcher{me: "b", log: topiclog.Always(&out, topicView, topicRole), role: "idle"}
	w.note(viewservice.View{Viewnum: 1, Primary: "a"}, true)
	w.note(viewservice.View{Viewnum: 1, Primary: "a"}, true)
	w.note(viewservice.View{Viewnum: 2, Primary: "a", Backup: "b"}, true)
	for range viewservice.DeadPings - 1 {
		w.note(viewservice.View{}, false)
	}
	w.note(viewservice.View{Viewnum: 2, Primary: "a", Backup: "b"}, true)
	for range viewservice.DeadPings {
		w.note(viewservice.View{}, false)
	}
	w.note(viewservice.View{Viewnum: 3, Primary: "b"}, true)

	lines := regexp.MustCompile(`(?m)^\S+ (.*)$`).FindAllStringSubmatch(out.String(), -1)
	var got []string
	for _, l := range lines {
		got = append(got, l[1])
	}
	assert.Equal(t, []string{
		"b      view  view 1: primary a, backup none",
		"b      view  view 2: primary a, backup b",
		"b      role  idle -> backup",
		"b      view  the view service has not answered for 500ms",
		"b      view  the view service answers again",
		"b      view  view 3: primary b, backup none",
		"b      role  backup -> primary",
	}, got, "one line per new view and per role change; silence only after DeadPings lost Gets")
}
