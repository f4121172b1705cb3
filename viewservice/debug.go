package viewservice

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Topic logs: debugf prints a line only when its topic is turned on with the
// PBLAB_DEBUG environment variable, for example
//
//	PBLAB_DEBUG=vs go test -run '^TestRestart$' ./viewservice      every topic of the view service
//	PBLAB_DEBUG=view,pb go test -run '^TestBasicFail$' ./pbservice  view changes, and all of Part B
//	PBLAB_DEBUG=all ...                                            everything
//
// Each line starts with the time (virtual time in tests, so 00:00:01.200000
// is 1.2 s into the test, as in the message diagram), the node and the
// topic:
//
//	00:00:01.200000 vs     view  view 3: primary s2, backup s3
//
// PBLAB_DEBUG is read once, when the program starts. With it unset, a call
// of debugf costs a test of one bool (plus building its arguments), so calls
// may stay in the code. To add a topic of your own, add a constant below and
// list it in vsTopics. See docs/debugging.md, "Topic logs".

// The view service's topics; "vs" turns on all of them.
const (
	topicPing = "ping" // each ping received and the view sent back
	topicView = "view" // each change of view, and why
	topicDead = "dead" // servers found dead, or restarted, by the view service
)

// vsTopics lists the view service's topics, for PBLAB_DEBUG=vs.
var vsTopics = []string{topicPing, topicView, topicDead}

// debugTopics is the set of this package's topics turned on; debugOn is
// false when it is empty, so that debugf returns at once.
var (
	debugTopics = parseDebugTopics(os.Getenv("PBLAB_DEBUG"), "vs", vsTopics)
	debugOn     = len(debugTopics) > 0
)

// debugf prints one line about node (the server's own name) under topic,
// if PBLAB_DEBUG turns that topic on. format and args are as for
// fmt.Printf.
func debugf(topic, node, format string, args ...any) {
	if !debugOn {
		return
	}
	debugPrint(topic, node, format, args)
}

func debugPrint(topic, node, format string, args []any) {
	if !debugTopics[topic] {
		return
	}
	line := fmt.Sprintf("%s %-6s %-5s %s\n", time.Now().Format("15:04:05.000000"), node, topic, fmt.Sprintf(format, args...))
	os.Stderr.WriteString(line) // one write per line, so that lines of concurrent goroutines do not mix
}

// parseDebugTopics reads a PBLAB_DEBUG value such as "vs,pb" or
// "ping, fwd", a list separated by commas or spaces, and returns which of
// topics it turns on: those it names, all of them if it names group, and
// every topic of every package for "all" (or "1"). Names of other packages'
// topics are left to those packages.
func parseDebugTopics(env, group string, topics []string) map[string]bool {
	on := map[string]bool{}
	for _, name := range strings.FieldsFunc(strings.ToLower(env), func(r rune) bool { return r == ',' || r == ' ' }) {
		for _, t := range topics {
			if name == t || name == group || name == "all" || name == "1" {
				on[t] = true
			}
		}
	}
	return on
}
