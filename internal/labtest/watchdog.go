package labtest

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"pblab/internal/labenv"
)

// certainStall is how long the clock must stand still, in real time,
// before the watchdog looks whether it can ever move again; lockupConfirm
// is how long a lock-up must last, from one look to the next, before the
// watchdog calls the clock frozen. A lock held by a goroutine outside the
// test (the testing package's, say) is let go well within that.
const (
	certainStall  = time.Second
	lockupConfirm = 500 * time.Millisecond
)

// watchdog runs outside the bubble, on the wall clock, until finished is
// closed. It ends the test binary when the bubble's clock has stood still
// for StallTimeout, or for certainStall if the test's goroutines are
// locked up for good (lockedUp): nothing else can end a test whose clock
// is frozen.
func watchdog(test string, clock *atomic.Int64, current *atomic.Pointer[run], finished <-chan struct{}) {
	limit := labenv.StallTimeout()
	soon := min(certainStall, limit)
	poll := min(limit/10, 250*time.Millisecond)
	last, since := clock.Load(), time.Now()
	var lockedSince time.Time // when a look found the test locked up; zero if the last did not
	for {
		select {
		case <-finished:
			return
		case <-time.After(poll):
		}
		if now := clock.Load(); now != last || now == 0 {
			last, since, lockedSince = now, time.Now(), time.Time{}
			continue
		}
		still := time.Since(since)
		switch {
		case still >= limit:
			freeze(test, current.Load(), fmt.Sprintf("the virtual clock has not moved for %v of real time.", limit))
		case still < soon:
		case !lockedUp(current.Load()):
			lockedSince = time.Time{}
		case lockedSince.IsZero():
			lockedSince = time.Now()
		case time.Since(lockedSince) >= lockupConfirm && deadlocked(current.Load()):
			deadlock(test, current.Load(), fmt.Sprintf("the virtual clock has not moved for %v of real time, and no clock could help:\n"+
				"every goroutine of the test waits for a lock, or for a goroutine that does. That is a deadlock:\n"+
				"a goroutine waits for a lock that it holds itself, or two wait for each other's.", still.Round(100*time.Millisecond)))
		case time.Since(lockedSince) >= lockupConfirm:
			freeze(test, current.Load(), fmt.Sprintf("the virtual clock has not moved for %v of real time, and it never will:\n"+
				"no goroutine of the test can run, and one waits for a lock that a blocked goroutine holds.", still.Round(100*time.Millisecond)))
		}
	}
}

// freeze ends the test binary whose clock froze: it reports the stall on
// the grader's result channel, prints what it sees (why, the seeds and
// diagrams of the test's networks, its goroutines), and panics.
func freeze(test string, r *run, why string) {
	results.report(test, labenv.ReportStall)
	fmt.Fprintf(os.Stderr, "\n%s %s: %s\n%s\n", labenv.StallMarker, test, why, stallExplanation(test))
	endFrozen(test, r)
}

// deadlock ends the test binary whose goroutines are deadlocked, as freeze
// does, but reports a deadlock: the grader need not run the test again on
// the wall clock, where it would hang until its time limit.
func deadlock(test string, r *run, why string) {
	results.report(test, labenv.ReportDeadlock)
	fmt.Fprintf(os.Stderr, "\n%s %s: %s\nSee docs/debugging.md, \"A frozen clock\": the goroutines below show who waits for what.\n", labenv.StallMarker, test, why)
	endFrozen(test, r)
}

// endFrozen prints the seeds and diagrams of r's networks and the test's
// goroutines, and panics: nothing else ends a test whose clock is frozen.
func endFrozen(test string, r *run) {
	if r != nil {
		r.mu.Lock()
		networks := slices.Clone(r.networks)
		r.mu.Unlock()
		for i, n := range networks {
			fmt.Fprintf(os.Stderr, "seed: %d\nreplay: %s\n", n.Seed(), replayCommand(test, n.Seed()))
			if path, err := writeDiagram(test, n, diagramKind(i), true, false); err != nil {
				fmt.Fprintf(os.Stderr, "labtest: could not write the message diagram: %v\n", err)
			} else {
				fmt.Fprintf(os.Stderr, "%s: %s\n", diagramKind(i), path)
			}
		}
	}
	fmt.Fprintf(os.Stderr, "Goroutines of the test:\n%s\n", testGoroutines(true))
	fmt.Fprintf(os.Stderr, "Nothing can end a test whose clock is frozen but ending the test binary: this run stops here,\n"+
		"and the tests after %s did not run. Run them with -run, one at a time or all but this one.\n", test)
	panic(fmt.Sprintf("%s %s: virtual clock frozen (see above)", labenv.StallMarker, test))
}

// lockedUp reports whether the goroutines of r's bubble are locked up for
// good: none is running or can run, at least one waits for a sync.Mutex or
// sync.RWMutex, and every other one is durably blocked. The clock moves
// only once every goroutine of the bubble is durably blocked, which a
// goroutine waiting for a lock is not; and the lock's holder, blocked
// itself, can never let it go: a durably blocked goroutine wakes only when
// another goroutine of the bubble acts or the clock moves.
func lockedUp(r *run) bool {
	if r == nil || r.bubble == "" {
		return false
	}
	waiting := false
	for _, g := range strings.Split(allStacks(), "\n\n") {
		header, _, _ := strings.Cut(g, "\n")
		if bubbleOf(header) != r.bubble {
			continue
		}
		switch state := goroutineState(header); {
		case isLockWait(state):
			waiting = true
		case !strings.HasSuffix(state, "(durable)"):
			return false
		}
	}
	return waiting
}

// deadlocked reports whether the goroutines of r's bubble are locked up
// (lockedUp) so that no clock could free them either: each waits for a
// lock, for a sync.WaitGroup or sync.Cond, or on a nil channel, and none
// sleeps or waits in a select or on a channel a timer might fill. On the
// wall clock such a test hangs until its time limit.
func deadlocked(r *run) bool {
	if r == nil || r.bubble == "" {
		return false
	}
	waiting := false
	for _, g := range strings.Split(allStacks(), "\n\n") {
		header, _, _ := strings.Cut(g, "\n")
		if bubbleOf(header) != r.bubble || harnessGoroutine(g) {
			continue // the harness's own goroutines wait for the test's cap, which ends a hung test in either mode
		}
		switch state := goroutineState(header); {
		case isLockWait(state):
			waiting = true
		case strings.HasPrefix(state, "sync.WaitGroup.Wait"), strings.HasPrefix(state, "sync.Cond.Wait"),
			strings.HasPrefix(state, "chan receive (nil chan)"), strings.HasPrefix(state, "chan send (nil chan)"),
			strings.HasPrefix(state, "select (no cases)"):
		default:
			return false
		}
	}
	return waiting
}

func stallExplanation(test string) string {
	return `In virtual time the clock moves only while every goroutine of the test is
blocked on a channel, a sleep or a timer. It stands still for good when
  - a goroutine waits in sync.Mutex.Lock (or RWMutex) for a lock that another
    goroutine holds across time.Sleep or an RPC call. Release locks before
    sleeping or calling, or use labsync.Mutex, whose waiters the clock sees; or
  - a goroutine runs without ever blocking: a busy loop, or a loop of calls
    that never sleeps (a clerk must sleep between tries).
See docs/debugging.md, "A frozen clock". The same test on the wall clock:
PBLAB_REALTIME=1 go test -race -run '` + "^" + strings.ReplaceAll(test, "/", "$/^") + "$" + `' ` + packageDir()
}

// allStacks returns the stacks of all goroutines, as runtime.Stack prints
// them: one block per goroutine, blocks separated by a blank line.
func allStacks() string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

// bubbleOf returns the synctest bubble named in a goroutine header
// ("goroutine 7 [chan receive, synctest bubble 3]:"), or "" if none.
func bubbleOf(header string) string {
	const tag = "synctest bubble "
	_, rest, ok := strings.Cut(header, tag)
	if !ok {
		return ""
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	return rest[:end]
}

// waitingForLock reports whether a goroutine of the test, outside the
// harness, waits for a sync.Mutex or sync.RWMutex.
func waitingForLock() bool {
	for _, g := range strings.Split(allStacks(), "\n\n") {
		header, _, _ := strings.Cut(g, "\n")
		if isLockWait(goroutineState(header)) && !harnessGoroutine(g) {
			return true
		}
	}
	return false
}

// isLockWait reports whether a goroutine's state is a wait for a
// sync.Mutex or sync.RWMutex.
func isLockWait(state string) bool {
	return strings.HasPrefix(state, "sync.Mutex.Lock") || strings.HasPrefix(state, "sync.RWMutex.")
}

// currentBubble returns the synctest bubble of the calling goroutine, or
// "" if it is in none.
func currentBubble() string {
	var buf [256]byte
	self := string(buf[:runtime.Stack(buf[:], false)])
	header, _, _ := strings.Cut(self, "\n")
	return bubbleOf(header)
}

// bubbleGoroutines counts the goroutines of the caller's synctest bubble.
// Unlike runtime.NumGoroutine, it counts nothing outside the bubble, and it
// is exact.
func bubbleGoroutines() int {
	bubble := currentBubble()
	count := 0
	for _, g := range strings.Split(allStacks(), "\n\n") {
		header, _, _ := strings.Cut(g, "\n")
		if bubble != "" && bubbleOf(header) == bubble {
			count++
		}
	}
	return count
}

// maxStacks bounds how many goroutine stacks testStacks shows.
const maxStacks = 20

// testStacks returns the stacks of the test's goroutines (in a bubble,
// those of the bubble), leaving out those of the harness and of the
// testing package.
func testStacks(bubbleOnly bool) string {
	var b strings.Builder
	more := 0
	shown := 0
	for _, g := range strings.Split(allStacks(), "\n\n") {
		header, _, _ := strings.Cut(g, "\n")
		if bubbleOnly && bubbleOf(header) == "" || harnessGoroutine(g) {
			continue
		}
		if shown == maxStacks {
			more++
			continue
		}
		shown++
		b.WriteString(g)
		b.WriteString("\n\n")
	}
	if more > 0 {
		fmt.Fprintf(&b, "(and %d more)\n", more)
	}
	return b.String()
}

// harnessGoroutine reports whether a goroutine's stack is one of the
// harness's (the heartbeat, the watchdog, the cap's timer) or of the
// testing package's, as opposed to the test's own.
func harnessGoroutine(stack string) bool {
	_, frames, _ := strings.Cut(stack, "\n")
	for _, prefix := range []string{"internal/synctest.Run(", "testing/synctest.testingSynctestTest(", "testing.(*T).Run(", "os/signal."} {
		if strings.HasPrefix(frames, prefix) {
			return true
		}
	}
	for _, frame := range []string{"created by pblab/internal/labtest.runVirtual", "created by pblab/internal/labtest.runRealtime", "pblab/internal/labtest.(*run).abort(", "pblab/internal/labtest.(*run).giveUp(", "testing.(*M).Run("} {
		if strings.Contains(stack, frame) {
			return true
		}
	}
	return false
}

// testGoroutines describes the goroutines that belong to the test: in a
// bubble, those of the bubble. Goroutines waiting for a mutex and goroutines
// that are running come first: they are what stops the clock. The others
// follow, up to maxStacks in all, since the goroutine holding the lock is
// among them, asleep or in a call.
func testGoroutines(bubbleOnly bool) string {
	var suspects, others []string
	for _, g := range strings.Split(allStacks(), "\n\n") {
		header, _, _ := strings.Cut(g, "\n")
		if bubbleOnly && bubbleOf(header) == "" || harnessGoroutine(g) {
			continue
		}
		state := goroutineState(header)
		if strings.Contains(state, "Mutex") || strings.HasPrefix(state, "running") || strings.HasPrefix(state, "runnable") {
			suspects = append(suspects, g)
		} else {
			others = append(others, g)
		}
	}
	lockers := lockingTypes(suspects)
	all := append(suspects, others...)
	var b strings.Builder
	for i, g := range all {
		if i == maxStacks {
			fmt.Fprintf(&b, "(and %d more)\n", len(all)-maxStacks)
			break
		}
		if i >= len(suspects) {
			if fn := holdingFrame(g, lockers); fn != "" {
				fmt.Fprintf(&b, ">>> likely holder of the lock: blocked inside %s, while other goroutines wait for a lock of the same type\n", fn)
			}
		}
		b.WriteString(g)
		b.WriteString("\n\n")
	}
	return b.String()
}

// lockingTypes returns the receiver types ("pblab/pbservice.(*PBServer)")
// of the methods that the goroutines waiting for a sync.Mutex or
// sync.RWMutex called Lock from.
func lockingTypes(stacks []string) []string {
	var types []string
	for _, g := range stacks {
		header, frames, _ := strings.Cut(g, "\n")
		if !isLockWait(goroutineState(header)) {
			continue
		}
		afterLock := false
		for line := range strings.Lines(frames) {
			if strings.HasPrefix(line, "\t") {
				continue
			}
			if strings.HasPrefix(line, "sync.") || strings.HasPrefix(line, "internal/sync.") {
				afterLock = true
				continue
			}
			if afterLock {
				if t, _, ok := strings.Cut(line, ")."); ok && strings.Contains(t, ".(") {
					types = append(types, t+")")
				}
				break
			}
		}
	}
	return types
}

// holdingFrame returns the function of a blocked goroutine's stack that is
// a method of one of types, if there is one other than the function the
// goroutine started in (a ticker's loop, which holds nothing while it
// waits): a goroutine blocked, asleep or in a call, inside such a method
// most likely holds the lock that the others wait for.
func holdingFrame(stack string, types []string) string {
	var funcs []string
	for line := range strings.Lines(stack) {
		if strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "created by ") || strings.HasPrefix(line, "goroutine ") {
			continue
		}
		funcs = append(funcs, strings.TrimSpace(line))
	}
	if len(funcs) < 2 {
		return ""
	}
	for _, fn := range funcs[:len(funcs)-1] {
		for _, t := range types {
			if strings.HasPrefix(fn, t+".") {
				if i := strings.LastIndex(fn, "("); i > 0 {
					fn = fn[:i]
				}
				return strings.TrimPrefix(fn, "pblab/")
			}
		}
	}
	return ""
}

// goroutineState extracts the state from "goroutine 7 [state, ...]:".
func goroutineState(header string) string {
	_, rest, ok := strings.Cut(header, "[")
	if !ok {
		return "unknown"
	}
	state, _, _ := strings.Cut(rest, "]")
	state, _, _ = strings.Cut(state, ",")
	return strings.TrimSpace(state)
}
