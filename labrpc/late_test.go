package labrpc_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/faults"
	"pblab/internal/labtest"
	"pblab/labrpc"
)

// lateOutcomes makes calls to "server" at once, each with its own args.N
// from 0, waits until every late or repeated request has had time to
// arrive, and returns whether each Call returned true, the ID of each
// call, and the journal.
func lateOutcomes(t *testing.T, net *labrpc.Network, calls int) ([]bool, []uint64, labrpc.Journal) {
	t.Helper()
	net.Describe(func(_ string, msg any) any {
		if args, ok := msg.(Args); ok {
			return args.N
		}
		return nil
	})
	end := net.MakeEnd("client")
	oks := make([]bool, calls)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() { oks[i] = end.Call("server", "Svc.Echo", &Args{N: i}, &Reply{}) })
	}
	wg.Wait()
	time.Sleep(labrpc.LateBound + 500*time.Millisecond)
	j := net.Journal()
	ids := make([]uint64, calls)
	for _, e := range j.Events {
		if n, ok := e.Info.(int); ok && e.Kind == labrpc.EventSend {
			ids[n] = e.Call
		}
	}
	return oks, ids, j
}

// With LateRequests(true) on an unreliable network, about LatePercent of
// lost requests reach the handler late after all, after their Call
// returned false, and about RepeatPercent of delivered requests reach it
// twice; each within LateBound of being sent, and none more than twice.
func TestLateRequests(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		const calls = 1500
		net := labtest.NewNetwork(t)
		svc := addSvc(t, net, "server")
		net.Reliable(false)
		net.LateRequests(true)
		oks, ids, j := lateOutcomes(t, net, calls)

		var lost, late, delivered, again, runs int
		for n, ok := range oks {
			events := callEvents(j, ids[n])
			require.NotEmpty(t, events, "the call with N=%d is in the journal", n)
			ks := kinds(j, ids[n])
			switch {
			case len(ks) >= 2 && ks[1] == labrpc.EventDropRequest:
				lost++
				assert.False(t, ok, "call %d: a lost request's Call returns false (%s)", n, docLate)
				if len(ks) == 3 {
					late++
					assert.Equal(t, labrpc.EventDeliverLate, ks[2], "call %d: a lost request can only arrive late (%s)", n, docLate)
				} else {
					assert.Len(t, ks, 2, "call %d: a lost request arrives late or never (%s)", n, docLate)
				}
			case len(ks) >= 2 && ks[1] == labrpc.EventDeliver:
				delivered++
				own := slices.DeleteFunc(slices.Clone(ks), func(k labrpc.EventKind) bool { return k == labrpc.EventDeliverAgain })
				assert.Len(t, own, 3, "call %d: send, deliver and the end, and maybe one more delivery: %v (%s)", n, ks, docLate)
				switch len(ks) - len(own) {
				case 0:
				case 1:
					again++
				default:
					assert.Fail(t, "a request arrived three times", "call %d: %v (%s)", n, ks, docLate)
				}
			default:
				assert.Fail(t, "unexpected events", "call %d: %v", n, ks)
			}
			last := events[len(events)-1]
			if last.Kind == labrpc.EventDeliverLate || last.Kind == labrpc.EventDeliverAgain {
				assert.LessOrEqual(t, last.Time.Sub(events[0].Time), labrpc.LateBound+250*time.Millisecond,
					"call %d: a request arrives late or again within LateBound of being sent (%s)", n, docLate)
			}
			deliveries := 0
			for _, k := range ks {
				if k == labrpc.EventDeliver || k == labrpc.EventDeliverLate || k == labrpc.EventDeliverAgain {
					deliveries++
				}
			}
			runs += svc.Runs(n)
			assert.Equal(t, deliveries, svc.Runs(n), "call %d: the handler runs once per delivery, late and repeated ones included (%s)", n, docLate)
		}
		assert.Equal(t, runs, net.GetCount("server"), "GetCount counts late and repeated deliveries (%s)", docCounts)
		// Five standard deviations either way.
		assert.InDelta(t, labrpc.LatePercent/100.0, float64(late)/float64(lost), 0.22,
			"LateRequests: about %d%% of lost requests must arrive late (%d of %d did) (%s)", labrpc.LatePercent, late, lost, docLate)
		assert.InDelta(t, labrpc.RepeatPercent/100.0, float64(again)/float64(delivered), 0.045,
			"LateRequests: about %d%% of delivered requests must arrive again (%d of %d did) (%s)", labrpc.RepeatPercent, again, delivered, docLate)
	})
}

// Without LateRequests, the network never delivers a request late or twice.
func TestLateRequestsOffByDefault(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		const calls = 500
		net := labtest.NewNetwork(t)
		svc := addSvc(t, net, "server")
		net.Reliable(false)
		oks, _, j := lateOutcomes(t, net, calls)
		for i, ok := range oks {
			assert.LessOrEqual(t, svc.Runs(i), 1, "call %d: without LateRequests, no request is delivered twice (%s)", i, docLate)
			if !ok {
				continue
			}
			assert.Equal(t, 1, svc.Runs(i), "call %d: a call that returned true ran its handler once (%s)", i, docContract)
		}
		assert.False(t, hasKind(j, labrpc.EventDeliverLate), "without LateRequests, no request is delivered late (%s)", docLate)
		assert.False(t, hasKind(j, labrpc.EventDeliverAgain), "without LateRequests, no request is delivered again (%s)", docLate)
	})
}

// A late request's handler runs when the fate says, after its Call
// returned false; a repeated request's handler runs a second time with the
// args as they were sent, even if the first run changed its copy. Neither
// reply reaches anyone.
func TestLateAndRepeatedRequestTimes(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		svc := addSvc(t, net, "server")
		end := net.MakeEnd("client")
		require.NoError(t, faults.Install(net, &script{fates: map[uint64]faults.Fate{
			1: {DropRequest: true, DeliverLate: 500 * time.Millisecond},
			2: {RequestDelay: 10 * time.Millisecond, Repeat: 300 * time.Millisecond},
		}}), "Install must accept a *labrpc.Network (%s)", docPolicy)

		start := time.Now()
		assert.False(t, end.Call("server", "Svc.Echo", &Args{N: 1}, &Reply{}), "a lost request's Call returns false (%s)", docLate)
		assert.Zero(t, svc.Runs(1), "a lost request's handler has not run when its Call returns (%s)", docLate)
		var reply Reply
		assert.True(t, end.Call("server", "Svc.Scribble", &Args{N: 2, S: "two"}, &reply), "a repeated request is delivered at once (%s)", docLate)
		assert.Equal(t, Reply{N: 2, S: "two"}, reply, "the first delivery's reply is the Call's (%s)", docLate)
		time.Sleep(labrpc.LateBound)

		assert.Equal(t, 1, svc.Runs(1), "a late request's handler runs once, late (%s)", docLate)
		assert.Equal(t, 2, svc.Runs(2), "a repeated request's handler runs twice (%s)", docLate)
		assert.Zero(t, svc.Runs(-1), "the repeat gets the args as sent, not the first handler's scribbled copy (%s)", docLate)
		j := net.Journal()
		assert.Equal(t, []labrpc.EventKind{labrpc.EventSend, labrpc.EventDropRequest, labrpc.EventDeliverLate}, kinds(j, 1),
			"the journal shows the loss, then the late delivery (%s)", docJournal)
		assert.Equal(t, []labrpc.EventKind{labrpc.EventSend, labrpc.EventDeliver, labrpc.EventReply, labrpc.EventDeliverAgain}, kinds(j, 2),
			"the journal shows the call, then the second delivery (%s)", docJournal)
		if e := callEvents(j, 1); assert.Len(t, e, 3) {
			assert.GreaterOrEqual(t, e[2].Time.Sub(start), 500*time.Millisecond, "the late request arrives DeliverLate after it was sent (%s)", docPolicy)
		}
		if e := callEvents(j, 2); assert.Len(t, e, 4) {
			assert.GreaterOrEqual(t, e[3].Time.Sub(e[0].Time), 300*time.Millisecond, "the repeat arrives Repeat after it was sent (%s)", docPolicy)
		}
	})
}

// A late or repeated request goes only to the server incarnation it was
// sent to: one that crashed since never gets it, nor does its restarted
// successor. It needs the link to be up when it arrives: a partition, a
// cut, or a crash of the caller in between loses it; a partition that has
// healed by then does not.
func TestLateRequestNeedsItsServerAndLink(t *testing.T) {
	for _, c := range []struct {
		name      string
		meanwhile func(net *labrpc.Network) // between 100 ms and 400 ms after the calls
		arrives   bool
		why       string
	}{
		{"server crashed", func(net *labrpc.Network) { net.DeleteServer("server") }, false, "its server crashed"},
		{"server restarted", func(net *labrpc.Network) {
			net.DeleteServer("server")
			require.NoError(t, net.AddServer("server", newSvc()))
		}, false, "a restarted server never receives its predecessor's messages"},
		{"caller crashed", func(net *labrpc.Network) { net.DeleteServer("client") }, false, "a crashed caller's messages are lost"},
		{"partitioned", func(net *labrpc.Network) { net.Partition([]string{"client"}, []string{"server"}) }, false, "the two are partitioned apart when it arrives"},
		{"cut", func(net *labrpc.Network) { net.Cut("client", "server") }, false, "the link is cut when it arrives"},
		{"partitioned and healed", func(net *labrpc.Network) {
			net.Partition([]string{"client"}, []string{"server"})
			time.Sleep(100 * time.Millisecond)
			net.Heal()
		}, true, "the link is up again when it arrives"},
		{"cut the other way", func(net *labrpc.Network) { net.Cut("server", "client") }, true, "only the link from the caller to the server counts"},
	} {
		t.Run(c.name, func(t *testing.T) {
			labtest.Run(t, func(t *testing.T) {
				net := labtest.NewNetwork(t)
				svc := addSvc(t, net, "server")
				end := net.MakeEnd("client")
				require.NoError(t, faults.Install(net, &script{fates: map[uint64]faults.Fate{
					1: {DropRequest: true, DeliverLate: 500 * time.Millisecond},
					2: {Repeat: 500 * time.Millisecond},
				}}), "Install must accept a *labrpc.Network (%s)", docPolicy)
				end.Call("server", "Svc.Echo", &Args{N: 1}, &Reply{})
				end.Call("server", "Svc.Echo", &Args{N: 2}, &Reply{})
				time.Sleep(100 * time.Millisecond)
				c.meanwhile(net)
				time.Sleep(time.Second)

				want := map[bool]int{true: 1, false: 0}[c.arrives]
				assert.Equal(t, want, svc.Runs(1), "a late request arrives: %v, because %s (%s)", c.arrives, c.why, docLate)
				assert.Equal(t, 1+want, svc.Runs(2), "a repeated request arrives again: %v, because %s (%s)", c.arrives, c.why, docLate)
				assert.Equal(t, 1+2*want, net.GetCount("server"), "GetCount counts what reached a handler (%s)", docCounts)
			})
		})
	}
}

// Late and repeated requests still waiting when the network is cleaned up
// are never delivered, and their goroutines end: labtest.Run checks that
// none is left.
func TestLateRequestsEndAtCleanup(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		svc := addSvc(t, net, "server")
		end := net.MakeEnd("client")
		require.NoError(t, faults.Install(net, &script{fates: map[uint64]faults.Fate{
			1: {DropRequest: true, DeliverLate: labrpc.LateBound},
			2: {Repeat: labrpc.LateBound},
		}}), "Install must accept a *labrpc.Network (%s)", docPolicy)
		end.Call("server", "Svc.Echo", &Args{N: 1}, &Reply{})
		end.Call("server", "Svc.Echo", &Args{N: 2}, &Reply{})
		net.Cleanup()
		time.Sleep(labrpc.LateBound + time.Second)
		assert.Zero(t, svc.Runs(1), "Cleanup: a late request still on its way is never delivered (%s)", docCleanup)
		assert.Equal(t, 1, svc.Runs(2), "Cleanup: a repeat still on its way is never delivered (%s)", docCleanup)
	})
}

// lateFates makes the same calls on a fresh unreliable network with late
// requests on, one at a time, and returns, per call, what the journal says
// became of it beyond its own fate: "late", "again" or "".
func lateFates(t *testing.T, calls int) []string {
	net := labtest.NewNetwork(t)
	addSvc(t, net, "server")
	end := net.MakeEnd("client")
	net.Reliable(false)
	net.LateRequests(true)
	for i := range calls {
		end.Call("server", "Svc.Echo", &Args{N: i}, &Reply{})
	}
	time.Sleep(labrpc.LateBound + 500*time.Millisecond)
	out := make([]string, calls)
	for _, e := range net.Journal().Events {
		switch e.Kind {
		case labrpc.EventDeliverLate:
			out[e.Call-1] = "late"
		case labrpc.EventDeliverAgain:
			out[e.Call-1] = "again"
		}
	}
	return out
}

// The same seed and the same calls on a link give the same late and
// repeated requests; another seed gives others.
func TestLateRequestsReplay(t *testing.T) {
	t.Setenv("LABRPC_SEED", "12345")
	labtest.Run(t, func(t *testing.T) {
		const calls = 200
		first, second := lateFates(t, calls), lateFates(t, calls)
		assert.Equal(t, first, second, "the same seed and the same calls must give the same late and repeated requests (%s)", docSeeds)
		assert.Contains(t, first, "late", "some lost requests arrive late (%s)", docLate)
		assert.Contains(t, first, "again", "some requests arrive twice (%s)", docLate)

		t.Setenv("LABRPC_SEED", "54321")
		assert.NotEqual(t, first, lateFates(t, calls), "another seed must give other late and repeated requests (%s)", docSeeds)
	})
}
