package labrpc_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/labtest"
	"pblab/labrpc"
)

// outcome is what became of one call: whether its handler ran, whether
// Call returned true, and how long Call took.
type outcome struct {
	ran, ok bool
	took    time.Duration
}

// callAll makes n calls to "server" at once, each on its own goroutine with
// its own args.N, from first on, and returns their outcomes in that order.
// Running them at once keeps the test as fast on the wall clock as in
// virtual time.
func callAll(t *testing.T, net *labrpc.Network, svc *Svc, first, n int) []outcome {
	t.Helper()
	end := net.MakeEnd("client")
	out := make([]outcome, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			start := time.Now()
			var reply Reply
			ok := end.Call("server", "Svc.Echo", &Args{N: first + i}, &reply)
			out[i] = outcome{ok: ok, took: time.Since(start)}
			if ok {
				assert.Equal(t, first+i, reply.N, "a successful call must carry its own reply (%s)", docContract)
			}
		})
	}
	wg.Wait()
	for i := range out {
		runs := svc.Runs(first + i)
		out[i].ran = runs > 0
		assert.LessOrEqual(t, runs, 1, "the network must never deliver a request twice (%s)", docFaults)
	}
	return out
}

// On an unreliable network about 10% of requests are lost before the
// handler runs, and 10% of replies after it ran: about 81% of calls succeed.
func TestUnreliableDropRates(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		const calls = 3000
		net := labtest.NewNetwork(t)
		svc := addSvc(t, net, "server")
		net.Reliable(false)

		var requestDrops, replyDrops, successes int
		for i, o := range callAll(t, net, svc, 0, calls) {
			switch {
			case !o.ran && !o.ok:
				requestDrops++
			case o.ran && !o.ok:
				replyDrops++
			case o.ran && o.ok:
				successes++
			default:
				t.Errorf("call %d returned true but its handler never ran (%s)", i, docContract)
			}
		}
		delivered := calls - requestDrops
		assert.Equal(t, delivered, svc.Total(), "the handler must run once per delivered request (%s)", docFaults)
		assert.Equal(t, delivered, net.GetCount("server"), "GetCount counts delivered requests (%s)", docCounts)
		// Five standard deviations either way: a seed that fails this is
		// one in millions.
		assert.InDelta(t, 0.10, float64(requestDrops)/calls, 0.028,
			"unreliable: about %d%% of requests must be lost (%d of %d were) (%s)", labrpc.DropPercent, requestDrops, calls, docFaults)
		assert.InDelta(t, 0.10, float64(replyDrops)/float64(delivered), 0.03,
			"unreliable: about %d%% of replies must be lost after the handler ran (%d of %d were) (%s)", labrpc.DropPercent, replyDrops, delivered, docFaults)
		assert.InDelta(t, 0.81, float64(successes)/calls, 0.036,
			"unreliable: about 81%% of calls must succeed (%d of %d did) (%s)", successes, calls, docFaults)
	})
}

// A lost reply is the dangerous fault: the handler ran, its effects are
// real, yet Call returns false.
func TestLostReplyHandlerRan(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		svc := addSvc(t, net, "server")
		end := net.MakeEnd("client")
		net.Reliable(false)

		lost := -1
		for i := 0; i < 1000 && lost < 0; i++ {
			if !end.Call("server", "Svc.Echo", &Args{N: i}, &Reply{}) && svc.Runs(i) == 1 {
				lost = i
			}
		}
		require.GreaterOrEqual(t, lost, 0, "unreliable: in 1000 calls, no reply was lost after its handler ran (%s)", docFaults)

		var kinds []labrpc.EventKind
		for _, e := range net.Journal().Events {
			if e.Kind != labrpc.EventSend && e.Call == uint64(lost+1) {
				kinds = append(kinds, e.Kind)
			}
		}
		assert.Equal(t, []labrpc.EventKind{labrpc.EventDeliver, labrpc.EventDropReply}, kinds,
			"the journal must show the request delivered and the reply dropped (%s)", docJournal)
	})
}

// An unreliable network delays every request by up to ShortDelay; a reliable
// one delivers at once. The calls are made one at a time, so that on the
// wall clock the test measures the network and not the scheduling of many
// goroutines.
func TestShortDelays(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		addSvc(t, net, "server")
		end := net.MakeEnd("client")

		// latencies returns the mean latency of n calls' successes, and
		// the latency that 90% of them stay under.
		latencies := func(n int) (time.Duration, time.Duration) {
			var took []time.Duration
			var sum time.Duration
			for i := range n {
				start := time.Now()
				if end.Call("server", "Svc.Echo", &Args{N: i}, &Reply{}) {
					took = append(took, time.Since(start))
					sum += took[len(took)-1]
				}
			}
			require.NotEmpty(t, took, "some calls must succeed (%s)", docFaults)
			slices.Sort(took)
			return sum / time.Duration(len(took)), took[len(took)*9/10]
		}

		reliable, _ := latencies(50)
		assert.Less(t, reliable, labrpc.ShortDelay/10,
			"reliable: calls must not be delayed (mean %v) (%s)", reliable, docFaults)

		net.Reliable(false)
		unreliable, p90 := latencies(60)
		assert.Greater(t, unreliable, labrpc.ShortDelay/4,
			"unreliable: requests must be delayed by up to %v, about half that on average (mean %v) (%s)", labrpc.ShortDelay, unreliable, docFaults)
		assert.Less(t, p90, labrpc.ShortDelay+10*time.Millisecond,
			"unreliable: a request must be delayed by at most %v (90%% of calls took under %v) (%s)", labrpc.ShortDelay, p90, docFaults)
	})
}

// A call that cannot be delivered fails after up to FailDelay, or up to
// LongFailDelay with LongDelays(true).
func TestLongDelays(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		const calls = 20
		net := labtest.NewNetwork(t)
		addSvc(t, net, "server")
		net.DeleteServer("server")
		end := net.MakeEnd("client")

		// failing makes the calls at once and returns a channel that
		// receives how long each took to fail.
		failing := func() <-chan time.Duration {
			took := make(chan time.Duration, calls)
			for i := range calls {
				go func() {
					start := time.Now()
					ok := end.Call("server", "Svc.Echo", &Args{N: i}, &Reply{})
					assert.False(t, ok, "a call to a crashed server must fail (%s)", docFailStop)
					took <- time.Since(start)
				}()
			}
			return took
		}

		took := failing()
		time.Sleep(labrpc.FailDelay + 200*time.Millisecond)
		require.Len(t, took, calls, "without LongDelays, an undeliverable call must fail within %v (%s)", labrpc.FailDelay, docFaults)

		net.LongDelays(true)
		took = failing()
		time.Sleep(time.Second)
		assert.Less(t, len(took), calls,
			"LongDelays: undeliverable calls must take up to %v to fail, yet all %d failed within 1s (%s)", labrpc.LongFailDelay, calls, docFaults)
		// Rather than wait up to 7s, end the network: calls still waiting
		// return false at once.
		net.Cleanup()
		for range calls {
			d := <-took
			assert.Less(t, d, 1500*time.Millisecond, "Cleanup: a call in flight must return at once (%s)", docCleanup)
		}
	})
}

// With LongReordering, some replies are held back, so replies of calls sent
// in order arrive out of order.
func TestLongReordering(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		const calls = 30
		net := labtest.NewNetwork(t)
		addSvc(t, net, "server")
		end := net.MakeEnd("client")
		net.LongReordering(true)

		var mu sync.Mutex
		var arrivals []int
		var wg sync.WaitGroup
		var held int
		for i := range calls {
			wg.Go(func() {
				start := time.Now()
				var reply Reply
				ok := end.Call("server", "Svc.Echo", &Args{N: i}, &reply)
				assert.True(t, ok, "LongReordering delays replies but loses none (%s)", docFaults)
				mu.Lock()
				defer mu.Unlock()
				arrivals = append(arrivals, reply.N)
				if time.Since(start) >= 200*time.Millisecond {
					held++
				}
			})
			time.Sleep(time.Millisecond) // send in order
		}
		wg.Wait()
		assert.False(t, slices.IsSorted(arrivals),
			"LongReordering: replies of calls sent in order must arrive out of order; got %v (%s)", arrivals, docFaults)
		assert.InDelta(t, calls*2/3, held, calls/3,
			"LongReordering: about two replies in three must be held back 200ms or more (%d of %d were) (%s)", held, calls, docFaults)
	})
}

// A reply held back by LongReordering is still in flight: a crash of its
// server in the meantime loses it.
func TestHeldReplyLostOnCrash(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		const calls = 20
		net := labtest.NewNetwork(t)
		svc := addSvc(t, net, "server")
		end := net.MakeEnd("client")
		net.LongReordering(true)

		late := make(chan bool, calls)
		var wg sync.WaitGroup
		for i := range calls {
			wg.Go(func() {
				start := time.Now()
				ok := end.Call("server", "Svc.Echo", &Args{N: i}, &Reply{})
				if time.Since(start) >= 200*time.Millisecond {
					late <- ok
				}
			})
		}
		time.Sleep(100 * time.Millisecond)
		net.DeleteServer("server")
		wg.Wait()
		close(late)
		require.Equal(t, calls, svc.Total(), "every handler ran before the crash")
		require.NotEmpty(t, late, "LongReordering: some replies must be held back 200ms or more (%s)", docFaults)
		for ok := range late {
			assert.False(t, ok, "fail-stop: a reply held back when its server crashed must be lost (%s)", docFailStop)
		}
	})
}

// Partition: only names in the same group can talk; a name in no group,
// and the anonymous end, reach everyone. Heal undoes it.
func TestPartition(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		for _, name := range []string{"a", "b", "c"} {
			addSvc(t, net, name)
		}
		call := func(from, to string) bool {
			return net.MakeEnd(from).Call(to, "Svc.Echo", newArgs(1), &Reply{})
		}

		net.Partition([]string{"a", "x"}, []string{"b", "y"})
		for _, c := range []struct {
			from, to string
			want     bool
			why      string
		}{
			{"x", "a", true, "same group"},
			{"y", "b", true, "same group"},
			{"x", "b", false, "different groups"},
			{"y", "a", false, "different groups"},
			{"a", "b", false, "different groups"},
			{"z", "a", true, "the caller is in no group"},
			{"z", "b", true, "the caller is in no group"},
			{"x", "c", true, "the server is in no group"},
			{"y", "c", true, "the server is in no group"},
			{"", "a", true, "the anonymous caller is in no group"},
			{"", "b", true, "the anonymous caller is in no group"},
		} {
			assert.Equal(t, c.want, call(c.from, c.to), "partition: %q -> %q (%s) (%s)", c.from, c.to, c.why, docPartit)
		}

		net.Heal()
		for _, c := range [][2]string{{"x", "b"}, {"y", "a"}, {"a", "b"}} {
			assert.True(t, call(c[0], c[1]), "heal: %q -> %q must work again (%s)", c[0], c[1], docPartit)
		}

		net.Partition([]string{"x"}, []string{"a"})
		net.Partition([]string{"x", "a"})
		assert.True(t, call("x", "a"), "a new partition replaces the old one (%s)", docPartit)
	})
}

// A partition that cuts caller and server apart while the handler runs
// loses the reply: the handler ran, Call returns false.
func TestPartitionDuringCall(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		svc := addSvc(t, net, "server")
		end := net.MakeEnd("client")

		result := make(chan bool)
		go func() { result <- end.Call("server", "Svc.Hang", newArgs(1), &Reply{}) }()
		<-svc.hanging
		net.Partition([]string{"client"}, []string{"server"})
		close(svc.release)
		assert.False(t, <-result, "partition: a reply must not cross a partition made while the handler ran (%s)", docPartit)
		assert.Equal(t, 1, svc.Runs(1), "the handler ran (%s)", docPartit)
	})
}

// ReliableTo keeps every call to one server reliable on an unreliable
// network, and false gives that server's calls back to Reliable.
func TestReliableTo(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		const calls = 300
		net := labtest.NewNetwork(t)
		svc := addSvc(t, net, "server")
		net.Reliable(false)
		net.ReliableTo("server", true)
		for i, o := range callAll(t, net, svc, 0, calls) {
			assert.True(t, o.ok, "call %d to a server made reliable by ReliableTo must succeed (%s)", i, docFaults)
		}
		net.ReliableTo("server", false)
		lost := 0
		for _, o := range callAll(t, net, svc, calls, calls) {
			if !o.ok {
				lost++
			}
		}
		assert.Positive(t, lost, "after ReliableTo(false), calls to the server follow Reliable(false) again and some are lost (%s)", docFaults)
	})
}
