package main

import (
	"testing"
	"time"

	"pblab/internal/grader"
)

// hostileRunCases are the submissions that attack the grader while their
// tests run: they forge what the grader reads, or try to starve it. Each
// earns nothing for what it cheats, and grading it ends within its bounds.
var hostileRunCases = []hostileCase{
	// Framed pass lines on stdout mean nothing: the pass must come on the
	// result channel. Frozen in virtual time, then hung on the wall clock:
	// one test's re-run times out, and the other is not run again.
	{fixture: "forges-output", tests: vsTests, kind: grader.Stalled, kinds: []grader.Kind{grader.Failed, grader.TimedOut},
		verdict: "virtual clock froze", stall: true, limit: 2 * time.Minute},
	// A frozen-clock marker in the output is no frozen clock: the test is
	// judged in virtual time, where the submission answers wrongly.
	{fixture: "forges-stall-marker", tests: vsTests, kind: grader.Failed, verdict: "failed:", noStall: true, limit: time.Minute},
	// Closing fd 2 takes log.Writer, which the static checks refuse: the
	// part is rejected before anything is built. (Were standard error
	// closed, the harness's report would still reach the grader on the
	// result channel: internal/grader's own tests show it.)
	{fixture: "closes-stderr", tests: vsTests[:1], kind: grader.BuildFailed,
		verdict: "log.Writer is not allowed", limit: time.Minute,
		notes: []string{"pbservice/ is built on the official viewservice/server.go"}},
	// Each process of the memory bomb is stopped at its limit, two at a
	// time, and the grader goes on.
	{fixture: "memory-bomb", tests: vsTests, kind: grader.OverLimit,
		verdict: "over its memory limit", limit: time.Minute},
	// Ten thousand goroutines left behind: their dump is longer than the
	// output cap, but that is no flood.
	{fixture: "goroutine-bomb", tests: vsTests, kind: grader.Leaked, kinds: []grader.Kind{grader.TimedOut},
		verdict: "", limit: 2 * time.Minute},
	// A deadlock in every test of both parts, graded as grading does (race
	// detector, default limits): one wall-clock re-run per package, and the
	// rest are not run again.
	{fixture: "deadlocks-everywhere", kind: grader.Stalled, kinds: []grader.Kind{grader.TimedOut, grader.Failed, grader.Panicked},
		verdict: "virtual clock froze", stall: true, realLimits: true, limit: 5 * time.Minute},
}

// TestHostileRunSubmissions grades each hostile submission of
// hostileRunCases end to end, as TestHostileSubmissions does.
func TestHostileRunSubmissions(t *testing.T) {
	gradeHostileCases(t, hostileRunCases)
}
