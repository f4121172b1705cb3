// Package topiclog prints the lab's topic logs: short, time-stamped lines
// tagged with a node and a topic, each topic turned on by naming it in the
// PBLAB_DEBUG environment variable. viewservice and pbservice each wrap one
// Log in a debugf function of their own (their debug.go); see
// docs/debugging.md, "Topic logs".
package topiclog

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// EnvVar names the environment variable that turns topics on.
const EnvVar = "PBLAB_DEBUG"

// A Log is the topic log of one package. It keeps no other state than the
// topics turned on, fixed when it is made, so one Log serves every test of
// a package, from any goroutine.
type Log struct {
	on map[string]bool
	w  io.Writer
}

// New returns the log of a package whose topics are topics and whose group
// name (which turns all of them on) is group, with the topics that
// PBLAB_DEBUG turns on, writing to standard error.
func New(group string, topics ...string) *Log {
	return newLog(os.Stderr, Parse(os.Getenv(EnvVar), group, topics))
}

// Always returns a log that writes the lines of the given topics to w,
// whatever PBLAB_DEBUG says: the lab's commands (cmd/viewd, cmd/pbd) log
// what a person watches them for this way, in the format of the topic
// logs.
func Always(w io.Writer, topics ...string) *Log {
	on := map[string]bool{}
	for _, t := range topics {
		on[t] = true
	}
	return newLog(w, on)
}

// newLog returns a log that writes the lines of the topics on to w.
func newLog(w io.Writer, on map[string]bool) *Log {
	return &Log{on: on, w: w}
}

// Enabled reports whether any topic of the log is on. A caller on a hot
// path tests it before building a line's arguments.
func (l *Log) Enabled() bool { return len(l.on) > 0 }

// Printf prints one line about node under topic, if the topic is on:
// the time (virtual time in tests, as on the message diagram's axis), the
// node, the topic, and the message formatted as by fmt.Printf.
func (l *Log) Printf(topic, node, format string, args ...any) {
	if !l.on[topic] {
		return
	}
	l.PrintfAt(time.Now(), topic, node, format, args...)
}

// PrintfAt is Printf for something that happened at the given time, which
// the line shows instead of the time of printing.
func (l *Log) PrintfAt(at time.Time, topic, node, format string, args ...any) {
	if !l.on[topic] {
		return
	}
	line := fmt.Sprintf("%s %-6s %-5s %s\n", at.Format("15:04:05.000000"), node, topic, fmt.Sprintf(format, args...))
	io.WriteString(l.w, line) // one write per line, so that lines of concurrent goroutines do not mix
}

// Parse reads a PBLAB_DEBUG value such as "vs,pb" or "ping, fwd", a list
// separated by commas or spaces, and returns which of topics it turns on:
// those it names, all of them if it names group, and all of them for "all"
// (or "1"). Names of other packages' topics are left to those packages.
func Parse(env, group string, topics []string) map[string]bool {
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
