package pbservice

// Tests beyond MIT's: the backup's refusal of clients, a large state
// transfer, servers that restart before the view service notices they died,
// the size of what an Append forwards, and Kill.

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/labtest"
	"pblab/viewservice"
)

func TestBackupRejectsClients(t *testing.T) {
	scenario(t, reliable, func(t *testing.T, c *cluster) {
		c.startPair()
		c.start("s3")
		time.Sleep(time.Second)
		ck := c.clerk()
		c.put(ck, "a", "1")

		for _, server := range []string{"s2", "s3"} {
			reply, ok := c.probeGet(server, "a")
			require.True(t, ok, ruleOnlyPrimary.explain("Get sent straight to %s got no reply on a reliable network", server))
			assert.Equal(t, Err(ErrWrongServer), reply.Err, ruleOnlyPrimary.explain("Get sent straight to %s (not primary)", server))

			var preply PutAppendReply
			ok = c.net.MakeEnd("probe").Call(server, "PBServer.PutAppend", &PutAppendArgs{Key: "a", Value: "2", Op: "Put"}, &preply)
			require.True(t, ok, ruleOnlyPrimary.explain("Put sent straight to %s got no reply on a reliable network", server))
			assert.Equal(t, Err(ErrWrongServer), preply.Err, ruleOnlyPrimary.explain("Put sent straight to %s (not primary)", server))
		}
		c.check(ck, "a", "1", ruleOnlyPrimary)
		c.kill("s1")
		c.requireView(10, "s2", "s3", rulePromoted)
		c.check(ck, "a", "1", ruleRefusedPut)
	})
}

func TestLargeStateTransfer(t *testing.T) {
	// 10,000 keys and 5.2 MB: most values are short, every 1,000th key holds
	// 512 KB, so the test moves the state without paying for 10,000 large
	// messages.
	const nkeys, bigEvery, bigSize = 10_000, 1_000, 512 << 10
	key := func(i int) string { return fmt.Sprintf("key%05d", i) }
	value := func(i int) string {
		v := fmt.Sprintf("value %d.", i)
		if i%bigEvery == 0 {
			v += strings.Repeat(string(rune('a'+i/bigEvery%26)), bigSize)
		}
		return v
	}
	total := 0
	for i := range nkeys {
		total += len(key(i)) + len(value(i))
	}

	scenario(t, reliable, func(t *testing.T, c *cluster) {
		c.startPrimary(deadtime)

		// parallel runs op on every key, with two clerks (one per half of
		// the keys), without the journal: 10,000 calls would drown the rest.
		parallel := func(op func(ck *Clerk, i int) bool) {
			c.net.Record(false)
			defer c.net.Record(true)
			var wg sync.WaitGroup
			for w := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ck := c.clerk()
					for i := w; i < nkeys && !labtest.Failed(t); i += 2 {
						if !op(ck, i) {
							return
						}
					}
				}()
			}
			require.True(t, waitGroup(&wg, 2*opDeadline), ruleRetry.explain("the clerks did not finish"))
		}
		c.note("loading %d keys, %.1f MB", nkeys, float64(total)/1e6)
		parallel(func(ck *Clerk, i int) bool { ck.Put(key(i), value(i)); return true })

		c.note("a backup joins")
		c.start("s2")
		c.requireView(10, "s1", "s2", ruleIdleBackup)
		// The primary serves again only once its new backup holds the
		// state, so this Get returns after the transfer. A Get adds nothing
		// to the backup's data: everything it holds came by the transfer.
		ck := c.clerk()
		c.check(ck, key(0), value(0), ruleWholeState)
		c.requireSettled("s1", "s2", ruleAckAfterState)

		c.note("the primary dies before any write reaches the new backup")
		c.kill("s1")
		c.requireView(10, "s2", "", rulePromotedAcked)
		parallel(func(ck *Clerk, i int) bool {
			if got := ck.Get(key(i)); got != value(i) {
				return assert.Fail(t, ruleTakeOverTransferred.explain("key %q after the new primary took over: got %d bytes %q, want %d bytes %q",
					key(i), len(got), shorten(got), len(value(i)), shorten(value(i))))
			}
			return true
		})
	})
}

func TestDuplicateTableTransferred(t *testing.T) {
	scenario(t, reliable, func(t *testing.T, c *cluster) {
		c.startPair()
		other := c.clerk()
		c.put(other, "k", "")

		c.note("s1 and s2 cannot talk: s1 retries its forwards")
		c.net.Partition([]string{"s1"}, []string{"s2"})
		ck := c.clerk() // clerk2
		done := make(chan struct{})
		go func() {
			defer close(done)
			ck.Append("k", "x")
		}()
		time.Sleep(50 * time.Millisecond)

		c.note("s1 and s2 talk again, but the clerk can reach neither: the Append is applied on both, and its reply is lost")
		c.net.Partition([]string{"s1", "s2"}, []string{"clerk2"})
		time.Sleep(200 * time.Millisecond)

		c.note("s2 dies; s3 becomes backup by state transfer")
		c.kill("s2")
		c.start("s3")
		c.requireView(15, "s1", "s3", ruleIdleReplaces)
		time.Sleep(time.Second)

		c.note("s1 dies; s3 takes over; the clerk is reconnected and resends its Append")
		c.kill("s1")
		c.requireView(10, "s3", "", rulePromotedAcked)
		c.net.Heal()
		select {
		case <-done:
		case <-time.After(opDeadline):
			require.FailNow(t, ruleRetry.explain("the clerk's Append did not return after the network healed"))
		}
		c.check(other, "k", "x", ruleDupTable)
	})
}

func TestStateTransferAtomic(t *testing.T) {
	scenario(t, unreliable, func(t *testing.T, c *cluster) {
		// Each cycle, a server joins as backup while clients append as fast
		// as they can, and once the primary has sent it the state and acked
		// the view, the primary dies. An Append that slips between the
		// primary's snapshot and the transfer's arrival is lost for good
		// once the new backup takes over.
		const (
			cycles   = 24
			nclients = 6
			burst    = 3 * viewservice.PingInterval // the clients' work around each join
			pace     = time.Millisecond             // a client's pause between Appends
		)
		c.startPrimary(deadtime)

		clerks := make([]*Clerk, nclients)
		for i := range clerks {
			clerks[i] = c.clerk()
		}
		counts := make([]int, nclients)
		appendFor := func(d time.Duration) *sync.WaitGroup {
			var wg sync.WaitGroup
			for i, ck := range clerks {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for start := time.Now(); time.Since(start) < d && !labtest.Failed(t); {
						ck.Append("k", fmt.Sprintf("x %d %d y", i, counts[i]))
						counts[i]++
						time.Sleep(pace)
					}
				}()
			}
			return &wg
		}

		primary, joiner := "s1", "s2"
		for n := range cycles {
			c.note("cycle %d: %s joins as backup of %s, which then dies", n+1, joiner, primary)
			clients := appendFor(burst)
			c.start(joiner)
			c.requireView(20, primary, joiner, ruleIdleBackup)
			require.True(t, waitGroup(clients, opDeadline), ruleRetry.explain(
				"the clients' Appends had not finished %v after the backup joined (the view is %+v)", opDeadline, c.view()))
			c.requireSettled(primary, joiner, ruleAckAfterState) // the primary has sent the state and acked the view
			c.kill(primary)
			c.requireView(20, joiner, "", rulePromotedAcked)
			primary, joiner = joiner, primary
		}
		checkAppends(t, c.get(c.clerk(), "k"), counts,
			fmt.Sprintf("after %d backups joined and took over", cycles), c.explainAppend)
	})
}

func TestFastRestartBackup(t *testing.T) {
	scenario(t, reliable, func(t *testing.T, c *cluster) {
		v := c.startPair()
		ck := c.clerk()
		c.put(ck, "a", "1")
		c.put(ck, "b", "2")

		c.note("the backup restarts at once, empty")
		c.restart("s2")
		c.put(ck, "c", "3") // the restarted backup must not take this forward as if it had the state

		// The primary gives the restarted backup the state again: in the same
		// view, once the backup answers a forward with ErrNoState, or in a new
		// view, once the view service has read its Ping(0) as a restart.
		time.Sleep(time.Second)
		w, ok := c.waitView(30, func(w viewservice.View) bool { return w.Primary == "s1" && w.Backup == "s2" })
		require.True(t, ok, ruleRestartRejoins.explain("the restarted backup never came back as backup (the view was %+v before the restart): %+v", v, w))
		c.put(ck, "d", "4")

		c.kill("s1")
		c.requireView(10, "s2", "", rulePromoted)
		for _, kv := range [][2]string{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}} {
			c.check(ck, kv[0], kv[1], ruleRestartedBackup)
		}
	})
}

func TestFastRestartPrimary(t *testing.T) {
	scenario(t, reliable, func(t *testing.T, c *cluster) {
		c.startPair()
		ck := c.clerk()
		c.put(ck, "a", "1")
		c.kill("s1")
		c.requireView(10, "s2", "", rulePromoted)
		c.put(ck, "b", "2")
		c.check(ck, "a", "1", ruleTakeOver)

		c.note("s2, the lone primary, restarts at once: it holds nothing, and the view still names it")
		c.restart("s2")
		time.Sleep(time.Second)
		reply, ok := c.probeGet("s2", "a")
		assert.False(t, ok && reply.Err != ErrWrongServer, ruleNoStateNoLead.explain(
			"the restarted s2 answered Get(\"a\") with %+v; it has lost the state, so it must answer ErrWrongServer", reply))

		c.assertGetBlocks(ck, "b", "the only server that held the state restarted empty")
	})
}

func TestAppendForwardsArguments(t *testing.T) {
	scenario(t, reliable, func(t *testing.T, c *cluster) {
		const nappends, chunk = 100, 1000
		c.startPair()
		ck := c.clerk()
		c.put(ck, "big", "")

		before := c.net.GetTotalBytes()
		want := ""
		for i := range nappends {
			s := fmt.Sprintf("%04d", i) + strings.Repeat("x", chunk-4)
			c.appendTo(ck, "big", s)
			want += s
		}
		sent := c.net.GetTotalBytes() - before
		// Each Append crosses the network twice (clerk to primary, primary to
		// backup). Forwarding the result instead would send the whole value,
		// which grows to nappends*chunk bytes, each time: about 5 MB.
		limit := int64(5 * nappends * chunk)
		assert.Less(t, sent, limit, ruleForwardArgs.explain(
			"%d Appends of %d bytes sent %d bytes over the network; arguments alone are about %d", nappends, chunk, sent, 2*nappends*chunk))
		c.check(ck, "big", want, ruleSameOrder)
		c.kill("s1")
		c.requireView(10, "s2", "", rulePromoted)
		c.check(ck, "big", want, ruleBackupAppends)
	})
}

func TestKillStopsGoroutines(t *testing.T) {
	scenario(t, reliable, func(t *testing.T, c *cluster) {
		c.startPair()
		c.start("s3")
		ck := c.clerk()
		c.put(ck, "a", "1")

		c.note("the backup dies; clerks keep the primary busy forwarding to it")
		c.kill("s2")
		var clerks sync.WaitGroup
		for i := range 3 {
			clerks.Go(func() {
				ck := c.clerk()
				ck.Put("a", fmt.Sprint(i)) // never returns: the network's cleanup below ends it
			})
		}
		time.Sleep(50 * time.Millisecond)
		c.note("every server is killed")
		c.kill("s1")
		c.kill("s3")
		time.Sleep(time.Second)
		left := serverGoroutines()
		assert.Empty(t, left, ruleKill.explain(
			"%d goroutine(s) still run server code a second after every server was killed:\n\n%s",
			len(left), strings.Join(left, "\n\n")))

		// The clerks still retry, with no server to answer them. Cleaning
		// up the network ends each at its next call; the test waits for
		// its own goroutines rather than leave them to the harness.
		c.net.Cleanup()
		require.True(t, waitGroup(&clerks, 5*time.Second),
			"the test's clerks did not end after the network was cleaned up (labrpc's Cleanup ends every later Call)")
	})
}
