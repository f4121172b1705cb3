package labenv

import (
	"fmt"
	"regexp"
	"strings"
)

// The result channel. The grader hands each test binary it runs the write
// end of a pipe, as an inherited file descriptor (never 0, 1 or 2), and a
// token drawn afresh for the run; the harness writes its reports there, one
// line each. A grader counts a pass only when the report arrives with the
// run's token: what the binary prints on its standard output and error, and
// its exit status, cannot make a pass.
const (
	// ReportFDEnv is the number of the channel's file descriptor.
	ReportFDEnv = "PBLAB_REPORT_FD"
	// ReportTokenEnv is the run's token.
	ReportTokenEnv = "PBLAB_REPORT_TOKEN"
)

// A ReportVerb is what a report says of its test.
type ReportVerb string

// The verbs, in the order a run can send them.
const (
	// ReportStart: the test binary has reached its tests (package
	// initialisation is over).
	ReportStart ReportVerb = "start"
	// ReportPass: the test passed, and ran through the harness.
	ReportPass ReportVerb = "pass"
	// ReportFail: the test ended, and did not pass.
	ReportFail ReportVerb = "fail"
	// ReportStall: the virtual clock froze; the harness is ending the run.
	ReportStall ReportVerb = "stall"
	// ReportDeadlock: the virtual clock froze because every goroutine of
	// the test waits for a lock, or for another goroutine that does: no
	// clock could end the wait, so a wall-clock run would hang too. The
	// harness is ending the run.
	ReportDeadlock ReportVerb = "deadlock"
	// ReportStuck: the test made no progress until its cap (a livelock,
	// or a wait for what never comes).
	ReportStuck ReportVerb = "stuck"
)

// A Report is one line of the result channel.
type Report struct {
	Verb  ReportVerb
	Token string
	Test  string // the top-level test, as -test.run selected it
}

// String returns the report's line, with its newline.
func (r Report) String() string {
	return fmt.Sprintf("%s %s %s\n", r.Verb, r.Token, r.Test)
}

var reportLine = regexp.MustCompile(`^(start|pass|fail|stall|deadlock|stuck) ([0-9a-f]+) (Test\w*)$`)

// ParseReport reads one line of the result channel (with or without its
// newline). It reports false for anything that is not a report.
func ParseReport(line string) (Report, bool) {
	m := reportLine.FindStringSubmatch(strings.TrimSuffix(line, "\n"))
	if m == nil {
		return Report{}, false
	}
	return Report{Verb: ReportVerb(m[1]), Token: m[2], Test: m[3]}, true
}
