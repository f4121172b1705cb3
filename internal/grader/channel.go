package grader

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"

	"pblab/internal/labenv"
)

// A resultChannel is the grader's end of one run's result channel: a pipe
// whose write end the test process inherits, and a token drawn for the
// run. The harness (labtest.Main) writes its reports there. Student code
// cannot: it can open no file and read no environment variable (the static
// checks allow neither os nor syscall), so it learns neither the pipe's
// number nor the token, and its output, on stdout and stderr, goes
// elsewhere.
type resultChannel struct {
	r, w  *os.File
	token string
	test  string // the one test the run selects

	done    chan struct{} // closed once reading has ended
	mu      sync.Mutex
	reports reports
}

// reports is what the harness reported of a run's test.
type reports struct {
	started  bool // the test binary reached its tests
	passed   bool // the test passed through the harness
	failed   bool // the test ended without passing
	stalled  bool // the virtual clock froze
	deadlock bool // the virtual clock froze in a deadlock, which no clock ends
	stuck    bool // the test ran into its cap: no progress
}

// channelLimit bounds what the grader reads from a channel; the harness
// writes a few short lines.
const channelLimit = 64 << 10

// newResultChannel makes the channel of a run of test.
func newResultChannel(test string) (*resultChannel, error) {
	var token [16]byte
	if _, err := rand.Read(token[:]); err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	return &resultChannel{r: r, w: w, token: hex.EncodeToString(token[:]), test: test, done: make(chan struct{})}, nil
}

// attach hands the channel to the process cmd will start: the pipe's write
// end as an inherited file, and its number and the token in the
// environment.
func (c *resultChannel) attach(cmd *exec.Cmd) {
	fd := passFile(cmd, c.w)
	cmd.Env = append(cmd.Env, labenv.ReportFDEnv+"="+fd, labenv.ReportTokenEnv+"="+c.token)
}

// listen closes the grader's copy of the write end, once the process has
// started with its own, and reads the reports as they come.
func (c *resultChannel) listen() {
	c.w.Close()
	go func() {
		defer close(c.done)
		lines := bufio.NewScanner(io.LimitReader(c.r, channelLimit))
		for lines.Scan() {
			c.note(lines.Text())
		}
		_, _ = io.Copy(io.Discard, c.r) // past the limit: drain, so no writer blocks
	}()
}

// note takes one line of the channel into the reports, if it is a report
// of the run's test with the run's token.
func (c *resultChannel) note(line string) {
	rep, ok := labenv.ParseReport(line)
	if !ok || rep.Token != c.token || rep.Test != c.test {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch rep.Verb {
	case labenv.ReportStart:
		c.reports.started = true
	case labenv.ReportPass:
		c.reports.passed = true
	case labenv.ReportFail:
		c.reports.failed = true
	case labenv.ReportStall:
		c.reports.stalled = true
	case labenv.ReportDeadlock:
		c.reports.deadlock = true
	case labenv.ReportStuck:
		c.reports.stuck = true
	}
}

// close returns what was reported once the process has ended: it waits for
// the writers' end of the pipe to close, at most grace (a process the test
// started might keep it open), then closes the channel.
func (c *resultChannel) close(grace time.Duration) reports {
	select {
	case <-c.done:
	case <-time.After(grace):
		c.r.Close()
		<-c.done
	}
	c.r.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reports
}

// discard closes both ends of a channel whose process never started.
func (c *resultChannel) discard() {
	c.w.Close()
	c.r.Close()
}
