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

// watchdog runs outside the bubble, on the wall clock, until finished is
// closed. If the bubble's clock stands still for StallTimeout it prints what
// it sees and ends the test binary: nothing else can end a test whose clock
// is frozen.
func watchdog(test string, clock *atomic.Int64, current *atomic.Pointer[run], finished <-chan struct{}) {
	limit := labenv.StallTimeout()
	poll := min(limit/10, time.Second)
	last, since := clock.Load(), time.Now()
	for {
		select {
		case <-finished:
			return
		case <-time.After(poll):
		}
		if now := clock.Load(); now != last || now == 0 {
			last, since = now, time.Now()
			continue
		}
		if time.Since(since) < limit {
			continue
		}
		fmt.Fprintf(os.Stderr, "\n%s %s: the virtual clock has not moved for %v of real time.\n%s\n",
			labenv.StallMarker, test, limit, stallExplanation())
		if r := current.Load(); r != nil {
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
		panic(fmt.Sprintf("%s %s: virtual clock frozen (see above)", labenv.StallMarker, test))
	}
}

func stallExplanation() string {
	return `In virtual time the clock moves only while every goroutine of the test is
blocked on a channel, a sleep or a timer. It stands still for good when
  - a goroutine waits in sync.Mutex.Lock (or RWMutex) for a lock that another
    goroutine holds across time.Sleep or an RPC call. Release locks before
    sleeping or calling, or use labsync.Mutex, whose waiters the clock sees; or
  - a goroutine runs without ever blocking: a busy loop, or a loop of calls
    that never sleeps (a clerk must sleep between tries).
See docs/debugging.md, "A frozen clock". The same test on the wall clock:
PBLAB_REALTIME=1 go test -race -run '^TestName$' ./pkg`
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

// bubbleGoroutines counts the goroutines of the caller's synctest bubble.
// Unlike runtime.NumGoroutine, it counts nothing outside the bubble, and it
// is exact.
func bubbleGoroutines() int {
	var buf [256]byte
	self := string(buf[:runtime.Stack(buf[:], false)])
	header, _, _ := strings.Cut(self, "\n")
	bubble := bubbleOf(header)
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
	for _, frame := range []string{"created by pblab/internal/labtest.", "pblab/internal/labtest.(*run).abort(", "pblab/internal/labtest.(*run).giveUp(", "testing.(*M).Run("} {
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
	all := append(suspects, others...)
	var b strings.Builder
	for i, g := range all {
		if i == maxStacks {
			fmt.Fprintf(&b, "(and %d more)\n", len(all)-maxStacks)
			break
		}
		b.WriteString(g)
		b.WriteString("\n\n")
	}
	return b.String()
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
