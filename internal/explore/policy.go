package explore

import (
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"pblab/internal/faults"
	"pblab/labrpc"
)

// A policy decides the fate of every call of a scenario's network, through
// labrpc's fault seam (internal/faults), from the faults active when the
// call is sent and from the scenario's seed. Crashes are the network's own
// (a crashed server is unreachable); everything else is decided here.
type policy struct {
	mu      sync.Mutex
	r       *rand.Rand
	cuts    map[[2]string]int           // link (from, to) -> faults that cut it
	delays  map[[2]string]time.Duration // link (from, to) -> its delay
	lossy   int                         // lossy faults active
	reorder int                         // reordering faults active
}

func newPolicy(seed int64) *policy {
	return &policy{
		r:      rand.New(rand.NewPCG(uint64(seed), 0x6661756c74)),
		cuts:   map[[2]string]int{},
		delays: map[[2]string]time.Duration{},
	}
}

// Decide is faults.Policy's: the network calls it as each call is sent,
// with its own lock held.
func (p *policy) Decide(c faults.Call) faults.Fate {
	p.mu.Lock()
	defer p.mu.Unlock()
	// Draw the same values for every call, so that a call's fate depends
	// on how many calls came before it, not on their fates.
	failAfter := time.Duration(p.r.Int64N(int64(labrpc.FailDelay)))
	cutDelay := time.Duration(p.r.Int64N(int64(labrpc.FailDelay)))
	shortDelay := time.Duration(p.r.Int64N(int64(labrpc.ShortDelay)))
	dropRequest := p.r.IntN(100) < labrpc.DropPercent
	dropReply := p.r.IntN(100) < labrpc.DropPercent
	hold := p.r.IntN(3) < 2
	holdFor := 200*time.Millisecond + time.Duration(p.r.Int64N(int64(MaxHold-200*time.Millisecond)))

	var f faults.Fate
	if c.From == "" {
		return f // the explorer's own window on the view service
	}
	if !c.Reachable {
		f.FailAfter = failAfter
		return f
	}
	if p.cuts[[2]string{c.From, c.To}] > 0 {
		f.RequestDelay, f.DropRequest = cutDelay, true
		return f
	}
	f.DropReply = p.cuts[[2]string{c.To, c.From}] > 0
	if p.lossy > 0 {
		f.RequestDelay = shortDelay
		f.DropRequest = dropRequest
		f.DropReply = f.DropReply || dropReply
	}
	if p.reorder > 0 && hold {
		f.HoldReply = holdFor
	}
	f.RequestDelay += p.delays[[2]string{c.From, c.To}]
	f.HoldReply += p.delays[[2]string{c.To, c.From}]
	return f
}

// cut cuts (or, with undo, restores) the links from every name of a to
// every name of b.
func (p *policy) cut(a, b []string, undo bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, x := range a {
		for _, y := range b {
			if x == y {
				continue
			}
			link := [2]string{x, y}
			if undo {
				p.cuts[link]--
			} else {
				p.cuts[link]++
			}
		}
	}
}

// delay sets (or, with undo, removes) a delay on the link from a to b.
func (p *policy) delay(a, b string, d time.Duration, undo bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	link := [2]string{a, b}
	if undo {
		p.delays[link] -= d
	} else {
		p.delays[link] += d
	}
}

// network turns a network-wide fault (lossy, reorder) on or off.
func (p *policy) network(kind string, undo bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 1
	if undo {
		n = -1
	}
	switch kind {
	case FaultLossy:
		p.lossy += n
	case FaultReorder:
		p.reorder += n
	}
}

// others returns the names of all not in group.
func others(all, group []string) []string {
	var out []string
	for _, n := range all {
		if !slices.Contains(group, n) {
			out = append(out, n)
		}
	}
	return out
}
