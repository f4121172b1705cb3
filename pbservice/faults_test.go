package pbservice

// Scenarios that need the faults real networks make and labrpc's Partition
// cannot express: one link cut while every other works, a slow link, late
// and repeated requests. Each pins an interleaving that breaks a classic
// design, so that it fails every time, not once in a while.

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/labtest"
	"pblab/labrpc"
	"pblab/viewservice"
)

// The rules these scenarios check, beyond those the others share.
var (
	ruleOutputRule   = rule{"B4", "the primary answers a client only once its backup has the operation: cut off from its backup alone, it answers nothing (and the view service, which still hears from both, changes nothing)"}
	ruleAckAfter     = rule{"B9", "the primary acks a view with a new backup only once the backup holds the state: otherwise the view service may promote a backup that holds nothing"}
	ruleRestartSeen  = rule{"B6", "a backup that restarted before its first ping in its role is invisible to the view service; it answers forwards with ErrNoState, and the primary sends it the state again"}
	ruleNoMutualWait = rule{"B14", "no two servers wait on each other: an incoming Forward or Transfer never waits behind a lock its server holds across an outgoing call, and a server stops waiting for a call as soon as its view has moved on"}
)

// within runs op and reports whether it returned within d. A clerk whose
// operation did not return must not be used again.
func within(d time.Duration, op func()) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		op()
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// waitTransferred waits, looking every 10 ms for at most d, until a
// PBServer.Transfer call from primary to backup has been answered, and
// reports whether it was. It reads the network's journal.
func (c *cluster) waitTransferred(primary, backup string, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, e := range c.net.Journal().Events {
			if e.Kind == labrpc.EventReply && e.From == primary && e.To == backup && e.Method == "PBServer.Transfer" {
				return true
			}
		}
	}
	return false
}

// The output rule, tested directly: the primary and the backup cannot talk,
// but both still reach the view service and the clerks. No operation may
// complete until the link is mended; then the pending ones do.
func TestPrimaryCutOffFromBackup(t *testing.T) {
	scenario(t, reliable, func(t *testing.T, c *cluster) {
		v := c.startPair()
		ck := c.clerk()
		c.put(ck, "a", "1")

		c.note("%s and %s cannot reach each other; both still reach the view service and the clerks", v.Primary, v.Backup)
		c.net.Cut(v.Primary, v.Backup)
		c.net.Cut(v.Backup, v.Primary)
		put := make(chan struct{})
		go func() {
			defer close(put)
			ck.Put("a", "2")
		}()
		reader := c.clerk()
		got := make(chan string, 1)
		go func() { got <- reader.Get("a") }()
		select {
		case <-put:
			assert.Fail(t, ruleOutputRule.explain("Put(\"a\", \"2\") returned while the primary could not reach its backup"))
		case value := <-got:
			assert.Fail(t, ruleOutputRule.explain("Get(\"a\") returned %q while the primary could not reach its backup", value))
		case <-time.After(3 * time.Second):
		}
		w := c.view()
		assert.Equal(t, v, w, ruleOutputRule.explain("the view changed while both servers kept pinging"))

		c.note("the link is mended")
		c.net.Mend(v.Primary, v.Backup)
		c.net.Mend(v.Backup, v.Primary)
		require.True(t, within(5*time.Second, func() { <-put }), ruleOutputRule.explain(
			"the Put pending at the primary did not complete within 5 s of the link's mending"))
		select {
		case value := <-got:
			assert.Contains(t, []string{"1", "2"}, value, ruleLinearizable.explain("the Get concurrent with Put(\"a\", \"2\") returned %q", value))
		case <-time.After(5 * time.Second):
			assert.Fail(t, ruleOutputRule.explain("the Get pending at the primary did not complete within 5 s of the link's mending"))
		}
		c.check(ck, "a", "2", ruleSameOrder)
		c.kill(v.Primary)
		c.requireView(10, v.Backup, "", rulePromoted)
		c.check(ck, "a", "2", ruleTakeOverForwarded)
	})
}

// A new backup that never got the state must not be promoted: the primary
// acks the view only once the backup holds it. Here the transfer cannot
// pass, and then the primary is cut off from the view service. A primary
// that acked too soon lets the view service promote a backup that holds
// nothing, and the data written before is gone for good.
func TestAckAfterTransfer(t *testing.T) {
	scenario(t, reliable, func(t *testing.T, c *cluster) {
		c.startPrimary(deadtime)
		ck := c.clerk()
		c.put(ck, "a", "1")
		c.appendTo(ck, "a", "2")

		c.note("s1 cannot reach s2; s2 joins, so the transfer cannot pass")
		c.net.Cut("s1", "s2")
		c.start("s2")
		c.requireView(10, "s1", "s2", ruleIdleBackup)
		time.Sleep(2 * viewservice.PingInterval)

		c.note("s1 is cut off from the view service too")
		c.net.Cut("s1", "vs")
		time.Sleep(2 * deadtime)
		w := c.view()
		assert.Equal(t, "s1", w.Primary, ruleAckAfter.explain(
			"the view service promoted %s while s1 could not send it the state: s1 must have acked the view too soon (view now %+v)", w.Primary, w))

		c.note("every link is mended")
		c.net.Mend("s1", "s2")
		c.net.Mend("s1", "vs")
		var value string
		require.True(t, within(5*time.Second, func() { value = ck.Get("a") }), ruleAckAfter.explain(
			"Get(\"a\") did not return within 5 s of the mending; the view is %+v", c.view()))
		assert.Equal(t, "12", value, ruleAckAfter.explain("Get(\"a\") after the mending"))
		c.requireSettled("s1", "s2", ruleAckAfter)
		c.kill("s1")
		c.requireView(10, "s2", "", rulePromoted)
		c.check(ck, "a", "12", ruleTakeOverTransferred)
	})
}

// The view service cannot see a backup that restarts before its first
// ping in its role: view 2 is made by the primary's ack, so the backup was
// never told it is backup, and its Ping(0) after the restart looks like the
// ping of a server that has heard nothing yet. The primary must find out
// from the backup itself. The interleaving is pinned with cut links and a
// ping in s2's name: s2's only ping comes while view 1 is not yet acked,
// and s2 cannot ping again until it has restarted.
func TestBackupRestartsBeforeFirstPing(t *testing.T) {
	scenario(t, reliable, func(t *testing.T, c *cluster) {
		c.start("s1")
		for v := c.view(); v.Viewnum == 0; v = c.view() {
			time.Sleep(10 * time.Millisecond)
		}
		c.net.Cut("s1", c.vshost)
		c.note("s1 is primary of view 1 and cannot ack it yet; s2 pings once, so it is idle, then cannot ping")
		_, err := viewservice.MakeClerk(c.net, "s2", c.vshost).Ping(0)
		require.NoError(t, err, "a ping on a reliable network")
		c.net.Cut("s2", c.vshost)
		c.start("s2")

		c.note("s1 acks view 1, which makes view 2 with s2 as backup; s1 sends s2 the state")
		c.net.Mend("s1", c.vshost)
		require.True(t, c.waitTransferred("s1", "s2", 2*time.Second), ruleSendState.explain(
			"s1 never sent its new backup s2 the state (no PBServer.Transfer from s1 to s2 was answered); the view is %+v", c.view()))

		c.note("s2 restarts before its first ping in its role, and pings again")
		c.restart("s2")
		c.net.Mend("s2", c.vshost)
		time.Sleep(2 * viewservice.PingInterval)
		ck := c.clerk()
		ok := within(5*time.Second, func() { ck.Put("a", "1") })
		require.True(t, ok, ruleRestartSeen.explain(
			"Put(\"a\", \"1\") did not return within 5 s of the restarted backup's first ping (the view is %+v)", c.view()))
		c.kill("s1")
		c.requireView(10, "s2", "", rulePromoted)
		c.check(ck, "a", "1", ruleRestartSeen)
	})
}

// Late and repeated requests, on a lossy network: a request a clerk gave
// up on may still arrive, after newer ones of the same clerk, and a state
// transfer may arrive after its view has passed. Every second the backup
// is cut off from the view service long enough to be dropped from the
// view, then let back, so the service goes through many views and
// transfers; no server crashes (a primary that crashed before acking its
// view would stall the service for good, a limit of the protocol). Every
// Append must still take effect exactly once, in each clerk's order.
func TestLateAndRepeatedRequests(t *testing.T) {
	scenario(t, unreliable, func(t *testing.T, c *cluster) {
		c.startTogether("s1", "s2", "s3")
		c.requirePair(20)
		c.net.LateRequests(true)
		c.note("late and repeated requests; every second the backup is cut off from the view service for a while")
		stop, stopped := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(stopped)
			for sleepUnless(time.Second, stop) {
				backup := c.view().Backup
				if backup == "" {
					continue
				}
				c.net.Cut(backup, c.vshost)
				c.net.Note("test", "cut "+backup+" from the view service")
				sleepUnless(2*deadtime, stop)
				c.net.Mend(backup, c.vshost)
				c.net.Note("test", "mend "+backup)
			}
		}()

		const nclients = 3
		counts := make([]int, nclients)
		var wg sync.WaitGroup
		for i := range nclients {
			wg.Go(func() {
				ck := c.clerk()
				for start := time.Now(); time.Since(start) < 8*time.Second && !labtest.Failed(t); counts[i]++ {
					ck.Append("k", fmt.Sprintf("x %d %d y", i, counts[i]))
					time.Sleep(clientPause)
				}
			})
		}
		ok := waitGroup(&wg, 8*time.Second+opDeadline)
		close(stop)
		<-stopped
		require.True(t, ok, ruleRetry.explain(
			"the clients' Appends had not finished %v after their 8 s (the view is %+v)", opDeadline, c.view()))
		c.net.LateRequests(false)
		time.Sleep(labrpc.LateBound + time.Second) // every late copy has arrived or been lost

		ck := c.clerk()
		c.note("checking the appends of %v", counts)
		checkAppends(t, c.get(ck, "k"), counts, "the value after a run with late and repeated requests", c.explainAppend)
	})
}

// The mutual wait of the classic design: an old primary, cut off in the
// middle of an operation, is still forwarding to its old backup when that
// backup, now primary with the old primary as its backup, sends it the
// state. If each handler waited for the lock its server holds across its
// own call, both would wait until labrpc gives up (HandlerTimeout). The
// forward is slowed (a slow link) so that the two calls overlap every time.
func TestRejoinNoMutualWait(t *testing.T) {
	scenario(t, reliable, func(t *testing.T, c *cluster) {
		c.startPair()
		ck := c.clerk()
		c.put(ck, "a", "1")

		c.note("s1's calls to s2 take 3 s to arrive; an Append goes to s1, and s1 is cut off from the view service")
		c.net.LinkDelay("s1", "s2", 3*time.Second)
		pending := make(chan struct{})
		go func() {
			defer close(pending)
			ck.Append("a", "2")
		}()
		time.Sleep(10 * time.Millisecond)
		c.net.Cut("s1", "vs")
		c.requireView(15, "s2", "", rulePromoted)

		c.note("s1 reaches the view service again, and rejoins as s2's backup")
		c.net.Mend("s1", "vs")
		mended := time.Now()
		c.requireView(15, "s2", "s1", ruleIdleBackup)
		require.True(t, within(4*time.Second, func() { <-pending }), ruleNoMutualWait.explain(
			"the Append sent to s1 before it was cut off had not completed %v after s1 reached the view service again (view %+v)",
			time.Since(mended).Round(time.Millisecond), c.view()))
		other := c.clerk()
		require.True(t, within(4*time.Second, func() { other.Append("a", "3") }), ruleNoMutualWait.explain(
			"a new Append did not complete within 4 s once s1 had rejoined as backup (view %+v)", c.view()))
		c.net.LinkDelay("s1", "s2", 0)
		c.check(other, "a", "123", ruleAppendsKept)
	})
}
