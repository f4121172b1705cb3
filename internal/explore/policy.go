package explore

import (
	"hash/fnv"
	"math/rand/v2"
	"pblab/internal/explore/plan"
	"sync"
	"time"

	"pblab/internal/faults"
	"pblab/labrpc"
)

// A policy decides the fate of every call of a scenario's network, through
// labrpc's fault seam (internal/faults), from the network-wide faults
// active when the call is sent and from the scenario's seed. Crashes, cut
// links and link delays are the network's own (Host.Crash, Cut,
// LinkDelay): a call over a cut link, or to a crashed server, is
// unreachable, and fails after a delay drawn here.
type policy struct {
	mu      sync.Mutex
	seed    int64
	links   map[[2]string]*rand.Rand // each link's stream of fates
	lossy   int                      // lossy faults active
	reorder int                      // reordering faults active
	late    int                      // late-request faults active
}

func newPolicy(seed int64) *policy {
	return &policy{seed: seed, links: map[[2]string]*rand.Rand{}}
}

// stream returns the random stream of the link from a to b. Each link has
// its own, as labrpc's own faults do, so that the fates of one link's
// calls do not depend on the calls of others: a scenario without one
// client's operations keeps the fates of everything else, which is what
// lets the shrinker cut it down.
func (p *policy) stream(a, b string) *rand.Rand {
	l := [2]string{a, b}
	r, ok := p.links[l]
	if !ok {
		h := fnv.New64a()
		h.Write([]byte(a))
		h.Write([]byte{0})
		h.Write([]byte(b))
		r = rand.New(rand.NewPCG(uint64(p.seed), h.Sum64()))
		p.links[l] = r
	}
	return r
}

// Decide is faults.Policy's: the network calls it as each call is sent,
// with its own lock held.
func (p *policy) Decide(c faults.Call) faults.Fate {
	p.mu.Lock()
	defer p.mu.Unlock()
	// Draw the same values for every call, so that a call's fate depends
	// on how many calls came before it on its link, not on their fates.
	r := p.stream(c.From, c.To)
	failAfter := time.Duration(r.Int64N(int64(labrpc.FailDelay)))
	shortDelay := time.Duration(r.Int64N(int64(labrpc.ShortDelay)))
	dropRequest := r.IntN(100) < labrpc.DropPercent
	dropReply := r.IntN(100) < labrpc.DropPercent
	hold := r.IntN(3) < 2
	holdFor := 200*time.Millisecond + time.Duration(r.Int64N(int64(plan.MaxHold-200*time.Millisecond)))
	lost := r.IntN(100) < labrpc.DropPercent
	again := r.IntN(100) < labrpc.RepeatPercent
	lateAt := time.Duration(1 + r.Int64N(int64(labrpc.LateBound)))

	var f faults.Fate
	switch {
	case c.From == "":
		return f // the explorer's own window on the view service
	case !c.Reachable:
		f.FailAfter = failAfter
		return f
	}
	if p.lossy > 0 {
		f.RequestDelay, f.DropRequest, f.DropReply = shortDelay, dropRequest, dropReply
	}
	if p.reorder > 0 && hold {
		f.HoldReply = holdFor
	}
	if p.late > 0 {
		switch {
		case f.DropRequest || lost:
			f.DropRequest, f.DeliverLate = true, lateAt
		case again:
			f.Repeat = lateAt
		}
	}
	return f
}

// network turns a network-wide fault (lossy, reorder, late) on or off.
func (p *policy) network(kind string, undo bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 1
	if undo {
		n = -1
	}
	switch kind {
	case plan.FaultLossy:
		p.lossy += n
	case plan.FaultReorder:
		p.reorder += n
	case plan.FaultLate:
		p.late += n
	}
}
