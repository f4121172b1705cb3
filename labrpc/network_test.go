package labrpc_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/labtest"
	"pblab/labrpc"
)

// GetCount counts requests delivered to a server name, across crashes and
// restarts; GetTotalCount counts every call; GetTotalBytes adds up the
// encoded requests sent and replies delivered.
func TestCounts(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		addSvc(t, net, "a")
		addSvc(t, net, "b")
		end := net.MakeEnd("client")
		assert.Zero(t, net.GetCount("never-added"), "GetCount of an unknown name is 0 (%s)", docCounts)
		assert.Zero(t, net.GetTotalCount(), "no calls yet (%s)", docCounts)
		assert.Zero(t, net.GetTotalBytes(), "no calls yet (%s)", docCounts)

		for i := range 7 {
			require.True(t, end.Call("a", "Svc.Echo", &Args{N: i}, &Reply{}), "a reliable call must succeed (%s)", docContract)
		}
		for i := range 3 {
			require.True(t, end.Call("b", "Svc.Echo", &Args{N: i}, &Reply{}), "a reliable call must succeed (%s)", docContract)
		}
		assert.Equal(t, 7, net.GetCount("a"), "GetCount counts the requests delivered to that server (%s)", docCounts)
		assert.Equal(t, 3, net.GetCount("b"), "GetCount counts the requests delivered to that server (%s)", docCounts)

		// Failed calls count in the total, not for the server.
		end.Call("nobody", "Svc.Echo", newArgs(1), &Reply{})
		end.Call("a", "Svc.Nope", newArgs(1), &Reply{})
		end.Call("a", "Svc.Fail", &Args{N: 1}, &Reply{})
		assert.Equal(t, 13, net.GetTotalCount(), "GetTotalCount counts every call, failed ones included (%s)", docCounts)
		assert.Equal(t, 8, net.GetCount("a"), "a handler that returned an error was delivered its request (%s)", docCounts)

		net.DeleteServer("a")
		assert.Equal(t, 8, net.GetCount("a"), "GetCount keeps a crashed server's count (%s)", docCounts)
		end.Call("a", "Svc.Echo", newArgs(1), &Reply{})
		assert.Equal(t, 8, net.GetCount("a"), "calls to a crashed server are not delivered (%s)", docCounts)
		addSvc(t, net, "a")
		require.True(t, end.Call("a", "Svc.Echo", newArgs(1), &Reply{}), "a call to a restarted server must succeed (%s)", docContract)
		assert.Equal(t, 9, net.GetCount("a"), "GetCount counts across restarts (%s)", docCounts)

		// Bytes: a big request and a big reply each add at least their size.
		big := strings.Repeat("x", 10_000)
		before := net.GetTotalBytes()
		var reply Reply
		require.True(t, end.Call("b", "Svc.Echo", &Args{S: big}, &reply), "a reliable call must succeed (%s)", docContract)
		added := net.GetTotalBytes() - before
		assert.GreaterOrEqual(t, added, int64(2*len(big)), "GetTotalBytes adds the request and the reply (%s)", docCounts)
		assert.Less(t, added, int64(2*len(big)+200), "GetTotalBytes adds the encoded sizes, nothing more (%s)", docCounts)

		before = net.GetTotalBytes()
		end.Call("b", "Svc.Fail", &Args{N: 1, S: big}, &Reply{})
		added = net.GetTotalBytes() - before
		assert.GreaterOrEqual(t, added, int64(len(big)), "GetTotalBytes adds the request of a failed call (%s)", docCounts)
		assert.Less(t, added, int64(len(big)+100), "a reply that was never delivered adds nothing (%s)", docCounts)
	})
}

// fates makes the same sequence of calls on a fresh network and returns,
// per call, what became of it: "ok", "lost request" or "lost reply".
func fates(t *testing.T, calls int) (int64, []string) {
	net := labtest.NewNetwork(t)
	svc := addSvc(t, net, "server")
	end := net.MakeEnd("client")
	net.Reliable(false)
	out := make([]string, calls)
	for i := range calls {
		ok := end.Call("server", "Svc.Echo", &Args{N: i}, &Reply{})
		switch {
		case ok:
			out[i] = "ok"
		case svc.Runs(i) == 0:
			out[i] = "lost request"
		default:
			out[i] = "lost reply"
		}
	}
	return net.Seed(), out
}

// The same seed and the same sequence of calls give the same fault
// decisions; another seed gives others.
func TestSameSeedSameFaults(t *testing.T) {
	t.Setenv("LABRPC_SEED", "12345")
	labtest.Run(t, func(t *testing.T) {
		// Forty calls: with another seed, the chance of the same faults
		// is below one in a million.
		const calls = 40
		seed1, first := fates(t, calls)
		seed2, second := fates(t, calls)
		assert.Equal(t, int64(12345), seed1, "LABRPC_SEED must set the network's seed (%s)", docSeeds)
		assert.Equal(t, int64(12345), seed2, "LABRPC_SEED must set the network's seed (%s)", docSeeds)
		assert.Equal(t, first, second, "the same seed and the same calls must give the same faults (%s)", docSeeds)
		assert.Contains(t, first, "lost request", "an unreliable network loses requests (%s)", docFaults)
		assert.Contains(t, first, "lost reply", "an unreliable network loses replies (%s)", docFaults)

		t.Setenv("LABRPC_SEED", "54321")
		seed3, third := fates(t, calls)
		assert.Equal(t, int64(54321), seed3, "LABRPC_SEED must set the network's seed (%s)", docSeeds)
		assert.NotEqual(t, first, third, "another seed must give other faults (%s)", docSeeds)
	})
}

// Without LABRPC_SEED, or with a value that is not a number, every network
// gets a seed of its own.
func TestRandomSeed(t *testing.T) {
	t.Setenv("LABRPC_SEED", "not-a-number")
	labtest.Run(t, func(t *testing.T) {
		logs := captureLog(t)
		seeds := map[int64]bool{}
		for range 5 {
			seed := labtest.NewNetwork(t).Seed()
			assert.GreaterOrEqual(t, seed, int64(0), "a seed is not negative, so that it reads well in a command (%s)", docSeeds)
			seeds[seed] = true
		}
		assert.Len(t, seeds, 5, "networks must get seeds of their own (%s)", docSeeds)
		assert.Contains(t, logs.String(), `ignoring LABRPC_SEED="not-a-number"`, "a bad LABRPC_SEED must be reported (%s)", docSeeds)
	})
}

// callEvents returns the events of call id.
func callEvents(j labrpc.Journal, id uint64) []labrpc.Event {
	var events []labrpc.Event
	for _, e := range j.Events {
		if e.Call == id {
			events = append(events, e)
		}
	}
	return events
}

// kinds returns the kinds of the events of call id.
func kinds(j labrpc.Journal, id uint64) []labrpc.EventKind {
	var ks []labrpc.EventKind
	for _, e := range callEvents(j, id) {
		ks = append(ks, e.Kind)
	}
	return ks
}

// The journal records every message's fate and every change to the
// network, in order, with the names, method and sizes.
func TestJournal(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t) // journal on
		addSvc(t, net, "s1")
		addSvc(t, net, "s2")
		end := net.MakeEnd("c1")

		require.True(t, end.Call("s1", "Svc.Echo", &Args{N: 7, S: "hi"}, &Reply{}), "a reliable call must succeed (%s)", docContract)
		net.DeleteServer("s2")
		require.False(t, end.Call("s2", "Svc.Echo", &Args{N: 8}, &Reply{}), "a call to a crashed server must fail (%s)", docFailStop)
		addSvc(t, net, "s2")
		net.Partition([]string{"c1", "s1"}, []string{"s2"})
		net.Heal()
		net.Note("tester", "phase two")
		net.Reliable(false)
		for i := 0; i < 500 && !(hasKind(net.Journal(), labrpc.EventDropRequest) && hasKind(net.Journal(), labrpc.EventDropReply)); i++ {
			end.Call("s1", "Svc.Echo", &Args{N: 100 + i}, &Reply{})
		}

		j := net.Journal()
		assert.Zero(t, j.Omitted, "nothing is omitted below JournalLimit (%s)", docJournal)
		for i := 1; i < len(j.Events); i++ {
			assert.False(t, j.Events[i].Time.Before(j.Events[i-1].Time), "journal events are in time order (%s)", docJournal)
		}

		assert.Equal(t, []labrpc.EventKind{labrpc.EventSend, labrpc.EventDeliver, labrpc.EventReply}, kinds(j, 1),
			"a successful call is journaled as send, deliver, reply (%s)", docJournal)
		assert.Equal(t, []labrpc.EventKind{labrpc.EventSend, labrpc.EventFail}, kinds(j, 2),
			"a call to a crashed server is journaled as send, fail (%s)", docJournal)
		for _, e := range j.Events {
			if e.Call == 1 {
				assert.Equal(t, "c1", e.From, "%s: From is the caller (%s)", e.Kind, docJournal)
				assert.Equal(t, "s1", e.To, "%s: To is the server (%s)", e.Kind, docJournal)
				assert.Equal(t, "Svc.Echo", e.Method, "%s: Method is the method called (%s)", e.Kind, docJournal)
				assert.False(t, e.Time.IsZero(), "%s: every event has a time (%s)", e.Kind, docJournal)
			}
			switch {
			case e.Call == 1 && e.Kind == labrpc.EventSend:
				assert.Positive(t, e.Size, "send: Size is the encoded args (%s)", docJournal)
				assert.Equal(t, "{N:7 S:\"hi\" Xs:[0]{} M:map[0]{} P:nil}", e.Detail, "send: Detail renders the args (%s)", docJournal)
			case e.Call == 1 && e.Kind == labrpc.EventReply:
				assert.Positive(t, e.Size, "reply: Size is the encoded reply (%s)", docJournal)
				assert.Contains(t, e.Detail, "N:7", "reply: Detail renders the reply (%s)", docJournal)
			case e.Call == 2 && e.Kind == labrpc.EventFail:
				assert.Equal(t, "unreachable", e.Detail, "fail: Detail says why (%s)", docJournal)
			}
		}

		var network []string
		for _, e := range j.Events {
			if e.Call == 0 {
				network = append(network, e.Kind.String()+" "+e.From+" "+e.Detail)
			}
		}
		assert.Equal(t, []string{
			"start s1 ", "start s2 ", "crash s2 ", "restart s2 ",
			"partition  [c1 s1] | [s2]", "heal  ", "note tester phase two",
		}, network, "the journal records starts, crashes, restarts, partitions, heals and notes (%s)", docJournal)
		for _, e := range j.Events {
			if e.Kind == labrpc.EventPartition {
				assert.Equal(t, [][]string{{"c1", "s1"}, {"s2"}}, e.Info, "a partition's Info holds its groups, typed (%s)", docJournal)
			}
		}

		assert.True(t, hasKind(j, labrpc.EventDropRequest), "an unreliable network's lost requests are journaled (%s)", docJournal)
		assert.True(t, hasKind(j, labrpc.EventDropReply), "an unreliable network's lost replies are journaled (%s)", docJournal)
		for _, e := range j.Events {
			if e.Kind == labrpc.EventDropReply {
				assert.Equal(t, []labrpc.EventKind{labrpc.EventSend, labrpc.EventDeliver, labrpc.EventDropReply}, kinds(j, e.Call),
					"a lost reply comes after its request was delivered (%s)", docJournal)
			}
			if e.Kind == labrpc.EventDropRequest {
				assert.Equal(t, []labrpc.EventKind{labrpc.EventSend, labrpc.EventDropRequest}, kinds(j, e.Call),
					"a lost request is never delivered (%s)", docJournal)
			}
		}

		line := j.Events[0].String()
		assert.Contains(t, line, "start", "Event.String names the kind (%s)", docJournal)
		assert.Contains(t, line, "s1", "Event.String names the server (%s)", docJournal)
		for _, e := range j.Events {
			if e.Call == 1 && e.Kind == labrpc.EventSend {
				assert.Contains(t, e.String(), "#1 c1 -> s1 Svc.Echo", "Event.String shows the call (%s)", docJournal)
			}
		}
		assert.Equal(t, "EventKind(99)", labrpc.EventKind(99).String(), "an unknown kind prints its number")
		assert.Equal(t, "00:00:00.000000 cut          s1 -> vs", labrpc.Event{Time: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), Kind: labrpc.EventCut, From: "s1", To: "vs"}.String(),
			"Event.String shows a link's two names (%s)", docJournal)
		for k := labrpc.EventSend; k <= labrpc.EventLinkDelay; k++ {
			assert.NotContains(t, k.String(), "EventKind", "every kind has a name (%s)", docJournal)
		}
	})
}

func hasKind(j labrpc.Journal, kind labrpc.EventKind) bool {
	for _, e := range j.Events {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

// Record(false) records nothing; Record(true) starts again.
func TestJournalOff(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		net.Record(false)
		addSvc(t, net, "s")
		end := net.MakeEnd("c")
		end.Call("s", "Svc.Echo", newArgs(1), &Reply{})
		end.Call("nobody", "Svc.Echo", newArgs(1), &Reply{})
		net.Partition([]string{"c"}, []string{"s"})
		net.Heal()
		net.DeleteServer("s")
		net.Note("tester", "hello")
		assert.Empty(t, net.Journal().Events, "Record(false): nothing may be recorded (%s)", docJournal)

		net.Record(true)
		net.Note("tester", "on again")
		j := net.Journal()
		require.Len(t, j.Events, 1, "Record(true): events are recorded again (%s)", docJournal)
		assert.Equal(t, "on again", j.Events[0].Detail, "Record(true): events are recorded again (%s)", docJournal)
		assert.Equal(t, labrpc.EventNote, j.Events[0].Kind, "a note is journaled as a note (%s)", docJournal)
	})
}

// A describer sees each send's args and each reply as typed values, and
// what it returns is the event's Info; it is not called with the journal
// off.
func TestJournalDescribe(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		addSvc(t, net, "s")
		calls := 0
		net.Describe(func(svcMeth string, msg any) any {
			calls++
			switch m := msg.(type) {
			case Args:
				return fmt.Sprintf("%s args %d", svcMeth, m.N)
			case Reply:
				return fmt.Sprintf("%s reply %d", svcMeth, m.N)
			}
			return fmt.Sprintf("%s: unexpected %T", svcMeth, msg)
		})
		end := net.MakeEnd("c")
		require.True(t, end.Call("s", "Svc.Echo", &Args{N: 7}, &Reply{}), "a reliable call must succeed (%s)", docContract)
		require.True(t, end.Call("s", "Svc.EchoValue", Args{N: 8}, &Reply{}), "a reliable call must succeed (%s)", docContract)
		require.False(t, end.Call("nobody", "Svc.Echo", &Args{N: 9}, &Reply{}), "a call to an unknown server fails (%s)", docContract)

		infos := map[string]any{}
		for _, e := range net.Journal().Events {
			if e.Call != 0 {
				infos[fmt.Sprintf("#%d %s", e.Call, e.Kind)] = e.Info
			}
		}
		assert.Equal(t, map[string]any{
			"#1 send": "Svc.Echo args 7", "#1 deliver": nil, "#1 reply": "Svc.Echo reply 7",
			"#2 send": "Svc.EchoValue args 8", "#2 deliver": nil, "#2 reply": "Svc.EchoValue reply 8",
			"#3 send": "Svc.Echo args 9", "#3 fail": nil,
		}, infos, "a send's Info describes the args, a reply's the reply, as values whether passed by pointer or not; "+
			"other events have none (%s)", docJournal)

		net.Record(false)
		end.Call("s", "Svc.Echo", &Args{N: 10}, &Reply{})
		assert.Equal(t, 5, calls, "with the journal off, the describer is not called (%s)", docJournal)

		net.Record(true)
		net.Describe(nil)
		end.Call("s", "Svc.Echo", &Args{N: 11}, &Reply{})
		for _, e := range net.Journal().Events {
			if e.Call > 3 {
				assert.Nil(t, e.Info, "Describe(nil) removes the describer: %s (%s)", e, docJournal)
			}
		}
	})
}
