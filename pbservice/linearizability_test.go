package pbservice

// A linearizability check of concurrent clients' histories with porcupine,
// under crashes, restarts, partitions and an unreliable network.
//
// The history's timestamps are not clock readings: in virtual time many
// operations start and end at the same instant, which would make them all
// look concurrent. Each call and each return takes the next number of one
// atomic counter instead, so a return numbered below a call really happened
// before it. The check partitions the history by key (porcupine checks each
// key alone), and runs inside the test's bubble, where virtual time stands
// still while it computes: it gets no timeout, and the history stays small
// (a bounded number of operations per client).

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/explore"
	"pblab/internal/explore/plan"
	"pblab/internal/labtest"
)

// shorten keeps the end of a long value, where the latest appends are.
func shorten(s string) string {
	if len(s) <= 40 {
		return s
	}
	return "…" + s[len(s)-39:]
}

// A recorder collects a history. Its methods are safe for concurrent use.
type recorder struct {
	clock       atomic.Int64 // the logical clock of calls, returns and events
	mu          sync.Mutex
	ops         []porcupine.Operation
	annotations []porcupine.Annotation
}

// do runs op for client, records it, and reports whether it returned within
// opDeadline. An operation that did not return is left out of the history:
// the test fails anyway.
func (r *recorder) do(client int, in explore.KVInput, op func() string) bool {
	call := r.clock.Add(1)
	var out string
	if !do(func() { out = op() }) {
		return false
	}
	ret := r.clock.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: explore.KVOutput{Value: out}, Return: ret})
	return true
}

// note records a fault or a repair, shown above the clients in the
// visualisation.
func (r *recorder) note(start int64, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.annotations = append(r.annotations, porcupine.Annotation{
		Tag: "faults", Start: start, End: r.clock.Add(1), Description: text, BackgroundColor: "#f3d9d9",
	})
}

func TestLinearizability(t *testing.T) {
	scenario(t, unreliable, func(t *testing.T, c *cluster) {
		const (
			nclients      = 4
			maxOps        = 150 // per client, to bound the history
			faultsFor     = 15 * time.Second
			linearizePace = 20 * time.Millisecond // a client's pause between operations
		)
		servers := []string{"s1", "s2", "s3"}
		for _, s := range servers {
			c.start(s)
			time.Sleep(deadtime)
		}
		c.requirePair(10)
		time.Sleep(time.Second)

		var rec recorder
		stop := make(chan struct{})
		var clients sync.WaitGroup
		for i := range nclients {
			clients.Add(1)
			go func() {
				defer clients.Done()
				ck := c.clerk()
				rng := c.testRand(i + 1)
				for n := 0; n < maxOps && !labtest.Failed(t); n++ {
					select {
					case <-stop:
						return
					default:
					}
					key := fmt.Sprintf("k%d", rng.IntN(3))
					in := explore.KVInput{Key: key, Value: fmt.Sprintf("%d.%d ", i, n)}
					var op func() string
					switch r := rng.IntN(10); {
					case r < 4:
						in.Op, in.Value = plan.OpGet, ""
						op = func() string { return ck.Get(key) }
					case r < 6:
						in.Op = plan.OpPut
						op = func() string { ck.Put(key, in.Value); return "" }
					default:
						in.Op = plan.OpAppend
						op = func() string { ck.Append(key, in.Value); return "" }
					}
					if !assert.True(t, rec.do(i, in, op), ruleRetry.explain(
						"client %d: %s(%q) did not return within %v", i, in.Op, key, opDeadline)) {
						return
					}
					time.Sleep(linearizePace)
				}
			}()
		}

		// The faults: one at a time, each undone after a second, with a
		// second of calm before the next, as in MIT's crash tests.
		rng := c.testRand(0)
		for start := time.Now(); time.Since(start) < faultsFor && !labtest.Failed(t); {
			victim := servers[rng.IntN(len(servers))]
			if p := c.view().Primary; p != "" && rng.IntN(2) == 0 {
				victim = p // the primary half the time: the interesting case
			}
			from := rec.clock.Add(1)
			var what string
			switch rng.IntN(3) {
			case 0:
				what = "crash and restart " + victim
				c.kill(victim)
				time.Sleep(time.Second)
				c.start(victim)
			case 1:
				what = victim + " cut off from the view service"
				c.net.Partition([]string{victim}, []string{c.vshost})
				time.Sleep(time.Second)
				c.net.Heal()
			default:
				what = victim + " cut off from everyone"
				var others []string
				for _, s := range append([]string{c.vshost}, servers...) {
					if s != victim {
						others = append(others, s)
					}
				}
				others = append(others, c.clerkNames()...)
				c.net.Partition([]string{victim}, others)
				time.Sleep(time.Second)
				c.net.Heal()
			}
			c.note("fault: %s", what)
			rec.note(from, what)
			time.Sleep(time.Second)
		}
		close(stop)
		require.True(t, waitGroup(&clients, opDeadline), ruleRetry.explain("the clients did not finish once the faults ended"))

		checkStart := wallNow()
		res, info := porcupine.CheckOperationsVerbose(explore.KVModel, rec.ops, 0)
		elapsed := wallNow().Sub(checkStart)
		t.Logf("history: %d operations of %d clients, checked for linearizability in %v (wall clock)", len(rec.ops), nclients, elapsed.Round(time.Millisecond))
		if res != porcupine.Ok {
			info.AddAnnotations(rec.annotations)
			labtest.WriteArtifact(t, "linearizability", "html", func(w io.Writer) error {
				return porcupine.Visualize(explore.KVModel, info, w)
			})
			assert.Fail(t, ruleLinearizable.explain("the history of %d operations is not linearizable (porcupine: %v); open the visualisation (the \"linearizability:\" line of this output) in a browser",
				len(rec.ops), res))
		}
	})
}
