package explore

import (
	"pblab/internal/explore/plan"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Benchmarks of the explorer's throughput, for the parts' test files to
// call: how many Part B scenarios it runs a second, and how many states a
// second Part A's search and the core's see.

// BenchmarkScenarios runs b.N random Part B scenarios of sys (seeds 1, 2,
// ...), on every CPU as the explorer does, and reports scenarios/s and
// the mean virtual duration of a scenario. A scenario that breaks a rule
// fails the benchmark: the throughput is that of a correct service.
func BenchmarkScenarios(b *testing.B, sys System) {
	var (
		next    atomic.Int64
		virtual atomic.Int64
		mu      sync.Mutex
		broken  []string
	)
	withT(b, func(t *testing.T) {
		b.ResetTimer()
		start := time.Now()
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for {
					seed := next.Add(1)
					if seed > int64(b.N) {
						return
					}
					rec, leftover := runBubble(t, sys, plan.Generate(seed, 0, nil), nil)
					virtual.Add(int64(rec.ended.Sub(rec.start)))
					if c := check(rec); c.verdict.Broken() || leftover != "" {
						mu.Lock()
						broken = append(broken, c.verdict.Kind+": "+c.verdict.What+leftover)
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "scenarios/s")
		b.ReportMetric(time.Duration(virtual.Load()/int64(b.N)).Seconds(), "virtual-s/scenario")
	})
	for _, v := range broken {
		b.Errorf("a scenario broke a rule: %s", v)
	}
}

// BenchmarkViewStates runs Part A's search over view services newMachine
// makes until it has seen b.N states, and reports states/s.
func BenchmarkViewStates(b *testing.B, newMachine func() ViewMachine) {
	b.ResetTimer()
	out := ViewSearch{New: newMachine, MaxStates: b.N}.Search()
	if out.Violation != nil {
		b.Fatalf("the search broke a rule: %s", out.Violation)
	}
	b.ReportMetric(float64(out.States)/out.Elapsed.Seconds(), "states/s")
}

// BenchmarkCoreStates runs the core's search over cores newCore makes
// until it has seen b.N states, and reports states/s.
func BenchmarkCoreStates(b *testing.B, newCore func(string) Core) {
	b.ResetTimer()
	out := CoreSearch{New: newCore, MaxStates: b.N}.Search()
	if c := out.Violation; c != nil {
		b.Fatalf("the search broke a rule: %s: %s", c.Kind, c.What)
	}
	b.ReportMetric(float64(out.States)/out.Elapsed.Seconds(), "states/s")
}

// withT runs f with a *testing.T, which synctest's bubbles need and a
// benchmark does not have, through the testing package's own runner.
func withT(b *testing.B, f func(t *testing.T)) {
	match := func(string, string) (bool, error) { return true, nil }
	if !testing.RunTests(match, []testing.InternalTest{{Name: b.Name(), F: f}}) {
		b.Fatal("explore: the benchmark's scenarios failed")
	}
}
