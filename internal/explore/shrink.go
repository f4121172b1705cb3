package explore

import (
	"math"
	"pblab/internal/explore/plan"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The shrinker cuts a failing scenario down by delta debugging: it tries
// the scenario without chunks of its faults, its clients and their
// operations, halving the chunks until single events, then with fewer
// servers, and then simpler (no pauses, shorter faults, an earlier calm).
// Goroutines interleave differently from run to run, so a scenario may
// fail only sometimes: each candidate runs up to tries times, and counts as
// failing if any run breaks the same rule as the original.
type shrinker struct {
	e        *pbExplorer
	kind     string // the rule the scenario must keep breaking
	tries    int
	deadline time.Time
	// breaks, if set, replaces running a candidate: it reports whether
	// one run of sc breaks the rule (the shrinker's own tests use it).
	breaks func(sc *plan.Scenario) bool
}

func (s *shrinker) expired() bool { return time.Now().After(s.deadline) }

// workers is how many runs the shrinker makes at once.
func (s *shrinker) workers() int {
	if s.e.req.Workers > 0 {
		return s.e.req.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// fails reports whether sc breaks the rule in one of up to tries runs.
func (s *shrinker) fails(sc *plan.Scenario) bool {
	if s.expired() {
		return false
	}
	if s.breaks != nil {
		for range s.tries {
			if s.breaks(sc) {
				return true
			}
		}
		return false
	}
	var failed atomic.Bool
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range s.workers() {
		wg.Go(func() {
			for !failed.Load() && next.Add(1) <= int64(s.tries) && !s.expired() {
				if c := s.e.runChecked(w, sc); c.verdict.Kind == s.kind {
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	return failed.Load()
}

// failureRate runs sc n times and returns how many runs broke the rule,
// out of how many, and the first failing run.
func (s *shrinker) failureRate(sc *plan.Scenario, n int) (int, int, *checked) {
	var (
		mu       sync.Mutex
		failures int
		first    *checked
		next     atomic.Int64
		wg       sync.WaitGroup
	)
	for w := range s.workers() {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				c := s.e.runChecked(w, sc)
				if c.verdict.Kind != s.kind {
					continue
				}
				mu.Lock()
				failures++
				if first == nil {
					first = c
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return failures, n, first
}

// maxTries bounds the runs of one candidate.
const maxTries = 20

// adaptTries measures how often sc fails, and sets tries so that a
// candidate failing as often is caught with a chance of 95%: a scenario
// that fails one run in ten needs about thirty runs, one that always fails
// needs one. It never goes below the default, nor above maxTries.
func (s *shrinker) adaptTries(sc *plan.Scenario) {
	failures, runs, _ := s.failureRate(sc, 2*s.tries)
	rate := float64(max(failures, 1)) / float64(runs)
	need := s.tries
	if rate < 1 {
		need = int(math.Ceil(math.Log(0.05) / math.Log(1-rate)))
	}
	s.tries = min(max(need, s.tries), maxTries)
}

// shrink returns the smallest scenario it finds that still fails.
func (s *shrinker) shrink(sc *plan.Scenario) *plan.Scenario {
	cur := sc.Clone()
	passes := []func(*plan.Scenario) *plan.Scenario{s.dropFaults, s.dropClients, s.dropOps, s.fewerServers, s.simplify}
	for changed := true; changed && !s.expired(); {
		changed = false
		for _, pass := range passes {
			if next := pass(cur); next != nil {
				cur, changed = next, true
			}
		}
	}
	return cur
}

// ddmin removes as many of n units as it can while the scenario still
// fails; build makes the scenario that keeps only the units in keep. It
// returns the smallest failing scenario, or nil if no unit could go.
func (s *shrinker) ddmin(n int, build func(keep []int) *plan.Scenario) *plan.Scenario {
	keep := make([]int, n)
	for i := range keep {
		keep[i] = i
	}
	var best *plan.Scenario
	for chunk := max(n/2, 1); len(keep) > 0 && !s.expired(); chunk /= 2 {
		for start := 0; start < len(keep) && !s.expired(); {
			end := min(start+chunk, len(keep))
			candidate := append(keep[:start:start], keep[end:]...)
			if sc := build(candidate); s.fails(sc) {
				keep, best = candidate, sc
				continue // the next chunk has moved to start
			}
			start = end
		}
		if chunk == 1 {
			break
		}
	}
	return best
}

func (s *shrinker) dropFaults(sc *plan.Scenario) *plan.Scenario {
	return s.ddmin(len(sc.Faults), func(keep []int) *plan.Scenario {
		c := sc.Clone()
		all := c.Faults
		c.Faults = nil
		for _, i := range keep {
			c.Faults = append(c.Faults, all[i])
		}
		return c
	})
}

func (s *shrinker) dropClients(sc *plan.Scenario) *plan.Scenario {
	return s.ddmin(len(sc.Clients), func(keep []int) *plan.Scenario {
		return withClients(sc, keep)
	})
}

// withClients returns sc with only the clients in keep, renamed in order
// (c1, c2, ...) in the faults that name them.
func withClients(sc *plan.Scenario, keep []int) *plan.Scenario {
	c := sc.Clone()
	rename := map[string]string{}
	all := c.Clients
	c.Clients = nil
	for _, i := range keep {
		rename[plan.ClientName(i)] = plan.ClientName(len(c.Clients))
		c.Clients = append(c.Clients, all[i])
	}
	for i := range c.Faults {
		var with []string
		for _, name := range c.Faults[i].With {
			if n, ok := rename[name]; ok {
				with = append(with, n)
			}
		}
		c.Faults[i].With = with
	}
	return c
}

func (s *shrinker) dropOps(sc *plan.Scenario) *plan.Scenario {
	type ref struct{ client, op int }
	var refs []ref
	for i, cl := range sc.Clients {
		for j := range cl.Ops {
			refs = append(refs, ref{i, j})
		}
	}
	return s.ddmin(len(refs), func(keep []int) *plan.Scenario {
		c := sc.Clone()
		for i := range c.Clients {
			c.Clients[i].Ops = nil
		}
		for _, k := range keep {
			r := refs[k]
			c.Clients[r.client].Ops = append(c.Clients[r.client].Ops, sc.Clients[r.client].Ops[r.op])
		}
		return c
	})
}

// fewerServers tries the scenario with its last server left out, and the
// faults that name it.
func (s *shrinker) fewerServers(sc *plan.Scenario) *plan.Scenario {
	if sc.Servers <= 2 {
		return nil
	}
	gone := plan.ServerName(sc.Servers - 1)
	c := sc.Clone()
	c.Servers--
	if len(c.Starts) > c.Servers {
		c.Starts = c.Starts[:c.Servers]
	}
	c.Faults = slices.DeleteFunc(c.Faults, func(f plan.Fault) bool { return f.Target == gone || f.Peer == gone })
	if s.fails(c) {
		return c
	}
	return nil
}

// simplify makes the scenario simpler without making it smaller: no
// pauses, an earlier calm, shorter and earlier faults, fewer names on a
// partition's side. It returns nil if nothing could change.
func (s *shrinker) simplify(sc *plan.Scenario) *plan.Scenario {
	cur, changed := sc, false
	try := func(edit func(c *plan.Scenario) bool) {
		if s.expired() {
			return
		}
		c := cur.Clone()
		if edit(c) && s.fails(c) {
			cur, changed = c, true
		}
	}
	try(func(c *plan.Scenario) bool {
		edited := false
		for i := range c.Clients {
			for j := range c.Clients[i].Ops {
				if c.Clients[i].Ops[j].Pause != 0 {
					c.Clients[i].Ops[j].Pause, edited = 0, true
				}
			}
		}
		return edited
	})
	try(func(c *plan.Scenario) bool {
		calm := plan.Duration(plan.Warmup + 500*time.Millisecond)
		for _, f := range c.Faults {
			calm = max(calm, f.At+f.For+plan.Duration(200*time.Millisecond))
		}
		if calm >= c.Calm {
			return false
		}
		c.Calm = calm
		return true
	})
	for i := range cur.Faults {
		try(func(c *plan.Scenario) bool {
			f := &c.Faults[i]
			if f.For <= plan.Duration(20*time.Millisecond) {
				return false
			}
			f.For = plan.Duration((time.Duration(f.For) / 2).Round(time.Millisecond))
			return true
		})
		try(func(c *plan.Scenario) bool {
			f := &c.Faults[i]
			if f.At <= plan.Duration(plan.Warmup) {
				return false
			}
			earlier := time.Duration(f.At-(f.At-plan.Duration(plan.Warmup))/2) - 10*time.Millisecond
			f.At = max(plan.Duration(plan.Warmup), plan.Duration(earlier.Round(time.Millisecond)))
			return true
		})
		try(func(c *plan.Scenario) bool {
			f := &c.Faults[i]
			if len(f.With) == 0 {
				return false
			}
			f.With = f.With[:len(f.With)-1]
			return true
		})
	}
	if !changed {
		return nil
	}
	return cur
}
