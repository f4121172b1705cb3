package grader

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// A Kind is the class of a run's outcome.
type Kind int

// The kinds of outcome.
const (
	Passed      Kind = iota
	Failed           // the test reported failure, or no pass came
	BuildFailed      // the package did not build
	Missing          // the test does not exist
	Panicked         // the binary panicked
	TimedOut         // the run hit its time limit
	Stalled          // the virtual clock froze (re-run on the wall clock)
	Exited           // the code called os.Exit
	Flooded          // the output went past its cap
	Leaked           // goroutines were left behind
	OverLimit        // the process used more memory or CPU time than it may
	Tampered         // the test binary changed after it was built
	OutOfTime        // the grading's deadline came first
)

var kindNames = map[Kind]string{
	Passed: "passed", Failed: "failed", BuildFailed: "build failed",
	Missing: "missing", Panicked: "panicked", TimedOut: "timed out",
	Stalled: "virtual clock froze", Exited: "called os.Exit",
	Flooded: "output flooded", Leaked: "goroutines left behind",
	OverLimit: "over its limits", Tampered: "test binary changed",
	OutOfTime: "out of time",
}

func (k Kind) String() string { return kindNames[k] }

// exitInfo is how a test process ended.
type exitInfo struct {
	code      int     // exit status; -1 if killed by a signal or never ran
	signaled  bool    // killed by a signal
	other     string  // an error other than an exit status
	timedOut  bool    // the grader killed it at its time limit
	outOfTime bool    // the grader killed it at the grading's deadline
	memory    int64   // if not 0: the grader killed it for using this many bytes of memory
	cpu       bool    // the kernel killed it at its limit of CPU time
	flooded   bool    // the grader stopped it for printing too much
	canceled  bool    // grading was interrupted
	reports   reports // what the harness reported on the result channel
}

// limits are the limits a run had, for its verdict.
type limits struct {
	timeout time.Duration
	output  int   // bytes
	memory  int64 // bytes
	cpu     int64 // seconds
}

// frozenVerdict starts the verdict of a test whose virtual clock froze.
const frozenVerdict = "virtual clock froze (lock held across a sleep or RPC, or a busy loop)"

// StallVerdict is the prefix of the verdict of a test whose virtual clock
// froze; the result of the re-run on the wall clock follows it.
const StallVerdict = frozenVerdict + " — re-ran on the wall clock: "

// NotRerunVerdict is the prefix of the verdict of a test whose virtual
// clock froze, and that was not run again on the wall clock; why follows.
const NotRerunVerdict = frozenVerdict + " — not re-run on the wall clock: "

// classify turns the output of one run of test, framed by
// -test.v=test2json, the way its process ended and what the harness
// reported, into a verdict. Only the harness's report makes a pass, and
// only its report makes a frozen clock: what the test printed serves only
// to explain a failure.
func classify(test string, out []byte, exit exitInfo, lim limits) (Kind, string) {
	text := string(cleanOutput(out))
	ran := hasFrameLine(out, "=== RUN   "+test)
	failed := hasFrameLine(out, "--- FAIL: "+test+" (")
	skipped := hasFrameLine(out, "--- SKIP: "+test+" (")
	passed := exit.reports.passed && !exit.reports.failed

	switch {
	case exit.canceled:
		return Failed, "not finished: grading was interrupted"
	case exit.outOfTime:
		return OutOfTime, "not finished: out of time (the grading's deadline came)"
	case exit.memory > 0:
		return OverLimit, fmt.Sprintf("over its memory limit: the test process used %s, more than the %s it may (memory that is never let go?)",
			sizeString(exit.memory), sizeString(lim.memory))
	case exit.cpu:
		return OverLimit, fmt.Sprintf("over its CPU limit: the test process used %ds of CPU time (goroutines that never stop running?)", lim.cpu)
	case exit.timedOut || strings.Contains(text, "panic: test timed out after"):
		if !exit.reports.started {
			return TimedOut, fmt.Sprintf("timed out after %s before the test began: the package's initialisation never ended", durationString(lim.timeout))
		}
		return TimedOut, fmt.Sprintf("timed out after %s (no progress?)%s", durationString(lim.timeout), runningHint(text))
	case exit.reports.stalled:
		return Stalled, "virtual clock froze"
	case exit.reports.deadlock:
		return Panicked, "deadlocked: the virtual clock froze, and the wall clock would not help: every goroutine of the test waits for a lock, or for a goroutine that does (a lock taken twice, or two locks taken in opposite orders)" + deadlockSite(text)
	case exit.flooded && !crashBegan(text):
		return Flooded, fmt.Sprintf("output flooded (truncated at %s): the test printed more than that; look for a print in a loop", sizeString(int64(lim.output)))
	case passed && exit.code == 0 && exit.other == "":
		return Passed, "passed"
	case exit.code == launchFailed || exit.code == execFailed:
		if line := launcherLine(text); line != "" {
			return Failed, "the grader could not start the test: " + line
		}
	case strings.Contains(text, "unexpected call to os.Exit(0) during test"):
		return Exited, "called os.Exit(0) during the test (a server must never end the program)"
	case strings.Contains(text, "main bubble goroutine has exited but blocked goroutines remain"):
		return Leaked, "goroutines left behind: when the test ended, these were still blocked: " + leakedGoroutines(text) +
			" (Kill must stop every goroutine a server started)" + cutNote(exit)
	case strings.Contains(text, "all goroutines are asleep - deadlock!"):
		return Panicked, "deadlocked: all goroutines are asleep" + panicSite(text)
	}
	if p := panicLine(text); p != "" {
		return Panicked, "panicked: " + p + panicSite(text) + cutNote(exit)
	}
	if skipped && !failed {
		return Failed, "failed: the test was skipped" + firstMessage(text, test)
	}
	if strings.Contains(text, "race detected during execution of test") || strings.Contains(text, "WARNING: DATA RACE") {
		return Failed, "failed: data race detected" + raceSite(text) + " (see the log for both stacks)"
	}
	if failed {
		if msg := firstMessage(text, test); msg != "" {
			return Failed, "failed:" + msg
		}
		return Failed, fmt.Sprintf("failed (exit status %d)", exit.code)
	}
	if exit.signaled {
		return Failed, "killed by a signal"
	}
	if exit.other != "" {
		return Failed, "failed: " + exit.other
	}
	if exit.code == 0 {
		// The process ended well, but the harness reported no pass: the
		// test did not run through it, or something ended the process
		// before the harness could report.
		return Failed, "failed: no pass was reported by the test harness (whatever the test printed): " + missingPassHint(exit.reports)
	}
	if ran && exit.reports.started {
		return Exited, fmt.Sprintf("called os.Exit(%d): the test process ended in the middle of the test", exit.code)
	}
	return Failed, fmt.Sprintf("failed before the test started (exit status %d)%s", exit.code, excerpt(text, 3))
}

// missingPassHint says why a process that ended with status 0 reported no
// pass.
func missingPassHint(r reports) string {
	switch {
	case !r.started:
		return "the test binary never reached its tests (is its TestMain labtest.Main?)"
	case r.failed:
		return "the test did not run through labtest.Run"
	}
	return "the process ended before the test did"
}

// crashBegan reports whether the output kept before the cap holds the start
// of a crash's goroutine dump (a panic, a fatal error, a timeout): then the
// overflow was the dump, not the test's own printing.
func crashBegan(text string) bool {
	for _, start := range []string{"\npanic: ", "\nfatal error: "} {
		if _, after, ok := strings.Cut(text, start); ok && strings.Contains(after, "\ngoroutine ") {
			return true
		}
	}
	return false
}

// cutNote notes that a dump was cut at the output cap.
func cutNote(exit exitInfo) string {
	if exit.flooded {
		return " (the goroutine dump was cut at the output cap; the log keeps its head)"
	}
	return ""
}

// launcherLine returns the launcher's message, if the output has one.
func launcherLine(text string) string {
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, launcherName+": ") {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

// hasFrameLine reports whether out has a test-framework line (marked by
// the test2json framing byte) that starts with prefix.
func hasFrameLine(out []byte, prefix string) bool {
	for line := range bytes.Lines(out) {
		if len(line) > 0 && line[0] == 0x16 && bytes.HasPrefix(line[1:], []byte(prefix)) {
			return true
		}
	}
	return false
}

// panicLine returns the message of the first "panic: ..." line.
func panicLine(text string) string {
	for line := range strings.Lines(text) {
		if rest, ok := strings.CutPrefix(line, "panic: "); ok {
			rest = strings.TrimSpace(rest)
			rest = strings.TrimSuffix(rest, " [recovered, repanicked]")
			rest = strings.TrimSuffix(rest, " [recovered]")
			return truncate(rest, 200)
		}
	}
	return ""
}

var frameFile = regexp.MustCompile(`^\t(\S+\.go):(\d+)`)

// panicSite returns " at file:line" for the first frame of the panicking
// goroutine that is in the lab's code rather than in the runtime or the
// testing package.
func panicSite(text string) string {
	_, after, ok := strings.Cut(text, "\npanic: ")
	if !ok {
		after = text
	}
	return userSite(after)
}

// deadlockSite returns where the first goroutine of a deadlock's report
// (the one the harness lists first: a goroutine waiting for a lock) waits,
// in the student's code.
func deadlockSite(text string) string {
	_, after, ok := strings.Cut(text, "\nGoroutines of the test:\n")
	if !ok {
		return ""
	}
	return userSite(after)
}

// userSite returns " (at file:line)" for the first frame of text that is
// not in the runtime, the standard library's testing, sync or reflect, or
// the lab's network and harness; "" if there is none.
func userSite(text string) string {
	for line := range strings.Lines(text) {
		m := frameFile.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if strings.Contains(m[1], "/src/runtime/") || strings.Contains(m[1], "/src/testing/") ||
			strings.Contains(m[1], "/src/sync/") || strings.Contains(m[1], "/src/internal/sync/") ||
			strings.Contains(m[1], "/src/reflect/") || strings.Contains(m[1], "/labrpc/") ||
			strings.Contains(m[1], "/internal/labtest/") {
			continue
		}
		return " (at " + shortPath(m[1]) + ":" + m[2] + ")"
	}
	return ""
}

// raceSite returns where the first reported race happened.
func raceSite(text string) string {
	_, after, ok := strings.Cut(text, "WARNING: DATA RACE")
	if !ok {
		return ""
	}
	var first, where string
	for line := range strings.Lines(after) {
		line = strings.TrimRight(line, "\n")
		if first == "" && (strings.HasPrefix(line, "Read at") || strings.HasPrefix(line, "Write at")) {
			first = line
			continue
		}
		if first != "" && strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "      ") {
			where = strings.TrimSpace(line)
			break
		}
	}
	if first == "" {
		return ""
	}
	kind, _, _ := strings.Cut(first, " at ")
	return ": " + strings.ToLower(kind) + " in " + where + "()"
}

// leakedGoroutines names the functions of the goroutines a synctest bubble
// still held when its test ended.
func leakedGoroutines(text string) string {
	var names []string
	for g := range strings.SplitSeq(text, "\n\n") {
		header, rest, _ := strings.Cut(g, "\n")
		if !strings.Contains(header, "synctest bubble") {
			continue
		}
		fn := userFrame(rest)
		state := header
		if _, s, ok := strings.Cut(header, "["); ok {
			state, _, _ = strings.Cut(s, ",")
		}
		names = append(names, fmt.Sprintf("%s [%s]", fn, strings.TrimSuffix(state, "]:")))
		if len(names) == 3 {
			names = append(names, "...")
			break
		}
	}
	if len(names) == 0 {
		return "(see the log)"
	}
	return strings.Join(names, ", ")
}

// userFrame returns the first function of a goroutine's stack that is not
// in the runtime or the standard library's time, sync or testing packages.
func userFrame(stack string) string {
	first := ""
	for line := range strings.Lines(stack) {
		if strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "created by ") {
			continue
		}
		fn := strings.TrimSpace(line)
		if i := strings.LastIndex(fn, "("); i > 0 {
			fn = fn[:i]
		}
		if first == "" {
			first = fn
		}
		std := false
		for _, p := range []string{"runtime.", "time.", "sync.", "internal/", "testing.", "pblab/labsync.", "pblab/labrpc."} {
			std = std || strings.HasPrefix(fn, p)
		}
		if !std {
			return fn
		}
	}
	return first
}

// runningHint names the test functions the timeout panic found running.
func runningHint(text string) string {
	if _, after, ok := strings.Cut(text, "running tests:\n"); ok {
		line, _, _ := strings.Cut(after, "\n")
		return " — still running: " + strings.TrimSpace(line)
	}
	return ""
}

var logLine = regexp.MustCompile(`^    (\S+\.go):(\d+): ?(.*)$`)

// firstMessage extracts the first failure message of test from its output:
// a testify assertion's Messages and Error lines, or else the first
// t.Error/t.Fatal line and its continuation lines. It returns "" if there is
// none; otherwise the result starts with a space or a newline.
func firstMessage(text, test string) string {
	lines := strings.Split(text, "\n")
	// A testify block: "    file.go:12: \n        \tError Trace:\t...".
	for i, line := range lines {
		if !strings.HasPrefix(strings.TrimSpace(line), "Error Trace:") {
			continue
		}
		var errLines, msgLines []string
		var cur *[]string
		for _, l := range lines[i+1:] {
			if !strings.HasPrefix(l, "        \t") {
				break // the end of the assertion's block
			}
			t := strings.TrimSpace(l)
			switch {
			case strings.HasPrefix(t, "Error:"):
				errLines = append(errLines, strings.TrimSpace(strings.TrimPrefix(t, "Error:")))
				cur = &errLines
			case strings.HasPrefix(t, "Messages:"):
				msgLines = append(msgLines, strings.TrimSpace(strings.TrimPrefix(t, "Messages:")))
				cur = &msgLines
			case strings.HasPrefix(t, "Test:"), strings.HasPrefix(t, "Error Trace:"):
				cur = nil
			case cur != nil && t != "":
				*cur = append(*cur, t)
			}
		}
		var parts []string
		parts = append(parts, firstN(msgLines, 4)...)
		parts = append(parts, firstN(errLines, 3)...)
		if len(parts) > 0 {
			return "\n  " + truncate(strings.Join(parts, "\n  "), 600)
		}
	}
	// A plain t.Errorf line and its continuation.
	for i, line := range lines {
		m := logLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		msg := strings.TrimSpace(m[3])
		if strings.HasPrefix(msg, "seed: ") || strings.HasPrefix(msg, "replay: ") {
			continue
		}
		parts := []string{msg}
		for _, l := range lines[i+1:] {
			if !strings.HasPrefix(l, "        ") || len(parts) >= 3 {
				break
			}
			parts = append(parts, strings.TrimSpace(l))
		}
		return "\n  " + truncate(strings.Join(parts, "\n  "), 600)
	}
	return ""
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// excerpt returns the first n non-empty lines of text, indented, or "".
func excerpt(text string, n int) string {
	var keep []string
	for line := range strings.Lines(text) {
		if line = strings.TrimSpace(line); line != "" {
			keep = append(keep, line)
			if len(keep) == n {
				break
			}
		}
	}
	if len(keep) == 0 {
		return ""
	}
	return ":\n  " + strings.Join(keep, "\n  ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// shortPath trims an absolute source path to its last two elements
// (pbservice/server.go).
func shortPath(p string) string {
	parts := strings.Split(p, "/")
	if len(parts) > 2 {
		parts = parts[len(parts)-2:]
	}
	return strings.Join(parts, "/")
}

func sizeString(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// durationString prints 2m0s as 2m and 1h0m0s as 1h.
func durationString(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
