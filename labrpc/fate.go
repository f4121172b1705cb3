package labrpc

import (
	"fmt"
	"hash/fnv"
	mathrand "math/rand/v2"
	"time"

	"pblab/internal/faults"
)

func init() { faults.Install = install }

// decideLocked returns the fate of call c. It is the one place where a
// call's faults are decided; Call only carries the fate out. By default the
// fate is drawn from the stream of c's link (drawFate); a policy installed
// with faults.Install, such as a searcher scripting a fault schedule,
// decides instead. n.mu is held, so fates are decided one at a time, in the
// order of the calls' IDs.
//
// A new kind of fault is a new field of faults.Fate whose zero value means
// no fault. Its draws must not shift those of drawFate (give it a stream of
// its own, as drawLate has), so that a seed keeps giving the faults it gave
// before: TestSeededFates and TestSeededLateFates pin them.
func (n *Network) decideLocked(c faults.Call) faults.Fate {
	if n.policy != nil {
		return n.policy.Decide(c)
	}
	l := link{c.From, c.To}
	f := drawFate(n.streamLocked(n.links, l, ""), c)
	if c.LateRequests {
		drawLate(n.streamLocked(n.lateLinks, l, "late"), c, &f)
	}
	return f
}

// drawFate draws the fate of c from r, its link's stream. It draws every
// value, in the same order, whatever c's switches, so that the position in
// the stream depends only on the number of calls on the link.
func drawFate(r *mathrand.Rand, c faults.Call) faults.Fate {
	requestDelay := time.Duration(r.Int64N(int64(ShortDelay)))
	dropRequest := r.IntN(100) < DropPercent
	dropReply := r.IntN(100) < DropPercent
	holdReply := r.IntN(3) < 2
	// A hold of 200 ms plus U(0, U(0, 2 s)): mostly short, sometimes long.
	upper := r.Int64N(int64(2 * time.Second))
	holdFor := 200*time.Millisecond + time.Duration(r.Int64N(upper+1))
	failFraction := r.Float64()

	var f faults.Fate
	if !c.Reliable {
		f.RequestDelay, f.DropRequest, f.DropReply = requestDelay, dropRequest, dropReply
	}
	if c.LongReordering && holdReply {
		f.HoldReply = holdFor
	}
	if !c.Reachable {
		failDelay := FailDelay
		if c.LongDelays {
			failDelay = LongFailDelay
		}
		f.FailAfter = time.Duration(failFraction * float64(failDelay))
	}
	return f
}

// drawLate draws from r, its link's stream of late faults, whether c's
// request arrives late if it is lost, or twice if it is not, and when. It
// is drawn from only while LateRequests is on, and, like drawFate, draws
// every value in the same order whatever the outcome.
func drawLate(r *mathrand.Rand, c faults.Call, f *faults.Fate) {
	late := r.IntN(100) < LatePercent
	lateAt := time.Duration(1 + r.Int64N(int64(LateBound)))
	repeat := r.IntN(100) < RepeatPercent
	repeatAt := time.Duration(1 + r.Int64N(int64(LateBound)))

	switch {
	case !c.Reachable:
	case f.DropRequest && late:
		f.DeliverLate = lateAt
	case !f.DropRequest && repeat:
		f.Repeat = repeatAt
	}
}

// A link is a caller name and a server name. Each link draws its faults
// from random streams of its own, seeded from the network's seed and the
// two names, so the faults between two nodes depend on the calls between
// them alone, not on how those interleave with other nodes' calls.
type link struct{ from, to string }

// streamLocked returns the random stream of a link in streams, starting it
// on first use. kind tells the streams of one link apart: "" for the first
// stream, whose seeding must never change, a word for each later one.
func (n *Network) streamLocked(streams map[link]*mathrand.Rand, l link, kind string) *mathrand.Rand {
	r, ok := streams[l]
	if !ok {
		h := fnv.New64a()
		h.Write([]byte(l.from))
		h.Write([]byte{0})
		h.Write([]byte(l.to))
		if kind != "" {
			h.Write([]byte{0})
			h.Write([]byte(kind))
		}
		r = mathrand.New(mathrand.NewPCG(uint64(n.seed), h.Sum64()))
		streams[l] = r
	}
	return r
}

// install is faults.Install.
func install(net any, p faults.Policy) error {
	n, ok := net.(*Network)
	if !ok || n == nil {
		return fmt.Errorf("faults: Install: got a %T, want a *labrpc.Network", net)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.policy = p
	return nil
}
