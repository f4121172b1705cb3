package labtest

import (
	"flag"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"pblab/internal/labenv"
)

// Main runs the tests of a package, as its TestMain does:
//
//	func TestMain(m *testing.M) { labtest.Main(m) }
//
// Under go test it is m.Run and nothing more. Under the grader, which hands
// the test binary a result channel (labenv.ReportFDEnv, labenv.ReportTokenEnv)
// and selects one test with -test.run=^TestX$, Main also reports that test
// on the channel: "start" before the tests, then "pass" once m.Run has
// returned 0 and the test has run through Run to its end, "fail" otherwise.
// The watchdog reports a frozen clock ("stall") and the cap a test with no
// progress ("stuck") as they happen. Nothing the test's code prints, and no
// way it ends the process, can send a report: see docs/instructors.md,
// "What the grader trusts".
func Main(m *testing.M) {
	flag.Parse()
	c := openChannel()
	results.channel = c
	c.send(labenv.ReportStart)
	code := m.Run()
	if code == 0 && results.completed(c.test()) {
		c.send(labenv.ReportPass)
	} else {
		c.send(labenv.ReportFail)
	}
	os.Exit(code)
}

// results is what the harness knows of the tests of this binary: the
// channel Main opened (nil under go test, or without Main), and the tests
// whose Run completed.
var results = &record{done: map[string]bool{}}

// A record keeps which top-level tests ran through Run to its end.
type record struct {
	channel *channel // set by Main before any test runs

	mu   sync.Mutex
	done map[string]bool
}

// complete notes that Run returned normally under the test t, unless t
// was skipped: a skipped test did not pass.
func (r *record) complete(t *testing.T) {
	if t.Skipped() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done[topLevel(t.Name())] = true
}

// completed reports whether Run returned normally under test.
func (r *record) completed(test string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.done[test]
}

// report sends verb on the channel, if there is one and test (a test's or
// subtest's name) is under the test it reports on.
func (r *record) report(test string, verb labenv.ReportVerb) {
	if r.channel != nil && r.channel.test() == topLevel(test) {
		r.channel.send(verb)
	}
}

// topLevel returns the top-level test of a (sub)test's name.
func topLevel(name string) string {
	top, _, _ := strings.Cut(name, "/")
	return top
}

// A channel is the write end of the grader's result channel.
type channel struct {
	mu       sync.Mutex // one report at a time
	f        *os.File
	token    string
	selected string // the one test -test.run selects
}

// openChannel opens the result channel the environment names, and takes
// its names out of the environment. It returns nil under go test, when
// there is none, or when -test.run does not select exactly one test.
func openChannel() *channel {
	fdText, token := os.Getenv(labenv.ReportFDEnv), os.Getenv(labenv.ReportTokenEnv)
	os.Unsetenv(labenv.ReportFDEnv)
	os.Unsetenv(labenv.ReportTokenEnv)
	fd, err := strconv.Atoi(fdText)
	if err != nil || fd <= 2 || token == "" {
		return nil
	}
	test := selectedTest()
	if test == "" {
		return nil
	}
	return &channel{f: os.NewFile(uintptr(fd), "pblab-report"), token: token, selected: test}
}

var exactRun = regexp.MustCompile(`^\^(Test\w*)\$$`)

// selectedTest returns the test -test.run=^TestX$ selects, or "" if the
// flag is not of that form.
func selectedTest() string {
	f := flag.Lookup("test.run")
	if f == nil {
		return ""
	}
	m := exactRun.FindStringSubmatch(f.Value.String())
	if m == nil {
		return ""
	}
	return m[1]
}

// test returns the test the channel reports on; "" for a nil channel.
func (c *channel) test() string {
	if c == nil {
		return ""
	}
	return c.selected
}

// send writes one report. A nil channel sends nothing. A report is one
// short write, which a pipe delivers whole.
func (c *channel) send(verb labenv.ReportVerb) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	line := labenv.Report{Verb: verb, Token: c.token, Test: c.selected}.String()
	_, _ = c.f.WriteString(line)
}
