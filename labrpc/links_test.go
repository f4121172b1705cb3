package labrpc_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/labtest"
	"pblab/labrpc"
)

// Cut cuts one direction of one link: calls from the first name to the
// second fail, calls the other way and on every other link still work.
// Mend undoes one cut; Heal undoes them all. A cut stays across a restart.
func TestCut(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		for _, name := range []string{"s1", "s2", "vs"} {
			addSvc(t, net, name)
		}
		call := func(from, to string) bool {
			return net.MakeEnd(from).Call(to, "Svc.Echo", newArgs(1), &Reply{})
		}
		type link struct {
			from, to string
			want     bool
		}
		check := func(step string, links []link) {
			t.Helper()
			for _, l := range links {
				assert.Equal(t, l.want, call(l.from, l.to), "%s: a call from %q to %q must succeed: %v (%s)", step, l.from, l.to, l.want, docLinks)
			}
		}

		net.Cut("s1", "vs")
		check("s1 cut off from vs", []link{
			{"s1", "vs", false}, {"vs", "s1", true}, {"s1", "s2", true}, {"s2", "vs", true}, {"", "vs", true},
		})
		net.Cut("s1", "s2")
		net.Cut("s2", "s1")
		check("s1 and s2 cut apart too", []link{
			{"s1", "s2", false}, {"s2", "s1", false}, {"s1", "vs", false}, {"vs", "s1", true}, {"s2", "vs", true},
		})
		net.Mend("s1", "vs")
		net.Mend("s1", "vs") // mending a link that is not cut does nothing
		check("s1 to vs mended", []link{{"s1", "vs", true}, {"s1", "s2", false}, {"s2", "s1", false}})

		net.DeleteServer("s2")
		addSvc(t, net, "s2")
		check("s2 restarted", []link{{"s1", "s2", false}, {"s2", "s1", false}})

		net.Partition([]string{"s1", "s2", "vs"})
		check("a partition does not mend a cut", []link{{"s1", "s2", false}, {"s1", "vs", true}})
		net.Heal()
		check("healed", []link{{"s1", "s2", true}, {"s2", "s1", true}, {"s1", "vs", true}})

		j := net.Journal()
		var events []string
		for _, e := range j.Events {
			if e.Kind == labrpc.EventCut || e.Kind == labrpc.EventMend || e.Kind == labrpc.EventHeal {
				events = append(events, e.Kind.String()+" "+e.From+" "+e.To)
			}
		}
		assert.Equal(t, []string{"cut s1 vs", "cut s1 s2", "cut s2 s1", "mend s1 vs", "heal  "}, events,
			"the journal records each cut and mend, with the link's two names (%s)", docJournal)
		for _, e := range j.Events {
			if e.Kind == labrpc.EventFail {
				assert.Equal(t, "unreachable", e.Detail, "a call over a cut link fails as unreachable (%s)", docLinks)
			}
		}
	})
}

// A cut made while the handler runs loses the reply, as a partition does;
// a cut of the other direction does not.
func TestCutDuringCall(t *testing.T) {
	for _, c := range []struct {
		from, to string
		want     bool
	}{
		{"client", "server", false},
		{"server", "client", true},
	} {
		t.Run(c.from+" to "+c.to, func(t *testing.T) {
			labtest.Run(t, func(t *testing.T) {
				net := labtest.NewNetwork(t)
				svc := addSvc(t, net, "server")
				end := net.MakeEnd("client")
				result := make(chan bool)
				go func() { result <- end.Call("server", "Svc.Hang", newArgs(1), &Reply{}) }()
				<-svc.hanging
				net.Cut(c.from, c.to)
				close(svc.release)
				assert.Equal(t, c.want, <-result, "Cut(%q, %q) while the handler runs: the call succeeds: %v (%s)", c.from, c.to, c.want, docLinks)
				assert.Equal(t, 1, svc.Runs(1), "the handler ran (%s)", docLinks)
			})
		})
	}
}

// LinkDelay adds its delay to every request on one direction of one link,
// on top of the network's own delays, until it is set to 0.
func TestLinkDelay(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		const d = 300 * time.Millisecond
		logs := captureLog(t)
		net := labtest.NewNetwork(t)
		addSvc(t, net, "server")
		addSvc(t, net, "client")
		took := func(from, to string) time.Duration {
			start := time.Now()
			require.True(t, net.MakeEnd(from).Call(to, "Svc.Echo", newArgs(1), &Reply{}), "a reliable call must succeed (%s)", docContract)
			return time.Since(start)
		}

		net.LinkDelay("client", "server", d)
		assert.GreaterOrEqual(t, took("client", "server"), d, "LinkDelay: a request on the link takes its delay (%s)", docLinks)
		assert.Less(t, took("server", "client"), d, "LinkDelay: the other direction is not delayed (%s)", docLinks)
		assert.Less(t, took("other", "server"), d, "LinkDelay: other links are not delayed (%s)", docLinks)

		net.Reliable(false)
		var slowest time.Duration
		for range 20 {
			start := time.Now()
			if net.MakeEnd("client").Call("server", "Svc.Echo", newArgs(1), &Reply{}) {
				slowest = max(slowest, time.Since(start))
				assert.GreaterOrEqual(t, time.Since(start), d, "LinkDelay: an unreliable network's delay comes on top (%s)", docLinks)
			}
		}
		assert.Greater(t, slowest, d, "LinkDelay: an unreliable network's own delays add to the link's (%s)", docLinks)
		net.Reliable(true)

		net.LinkDelay("client", "server", -time.Second)
		assert.Equal(t, 1, logs.Count(`LinkDelay("client", "server", -1s): a delay cannot be negative`),
			"a negative delay is refused on the log (%s); log:\n%s", docLinks, logs)
		assert.GreaterOrEqual(t, took("client", "server"), d, "a refused delay leaves the link as it was (%s)", docLinks)

		net.LinkDelay("client", "server", 0)
		assert.Less(t, took("client", "server"), d, "LinkDelay 0 removes the delay (%s)", docLinks)

		var delays []any
		for _, e := range net.Journal().Events {
			if e.Kind == labrpc.EventLinkDelay {
				assert.Equal(t, []string{"client", "server"}, []string{e.From, e.To}, "a link delay's event names the link (%s)", docJournal)
				delays = append(delays, e.Info)
			}
		}
		assert.Equal(t, []any{d, time.Duration(0)}, delays, "the journal records each delay set, as a time.Duration in Info (%s)", docJournal)
	})
}
