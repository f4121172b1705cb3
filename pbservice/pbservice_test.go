package pbservice

// The scenarios of MIT 6.824's 2015 primary/backup tests, with their lengths
// (20-second crash loops, 5-second concurrent phases, the same waits), run in
// virtual time by labtest.Run.
//
// How the test loops spend time. In virtual time a call on a reliable network
// takes no time at all, so a client loop that never sleeps would keep the
// clock still and "run for 5 seconds" forever. Every loop that runs for a
// duration therefore sleeps a little per iteration: clientPause (20 ms) in
// the concurrent phases, crashPause (50 ms) between the crash tests'
// operations (MIT's crash tests slept 10 ms). The pause sets how much work a
// virtual second holds, and so the suite's wall-clock time under the race
// detector: these values give each crash cycle a few dozen operations per
// client, and keep the whole suite within seconds. They do not shorten any
// scenario. Loops that run a fixed number of operations need no pause.
//
// Each test starts with the view service alone for a second, as MIT's did
// (scenario, in helpers_test.go).

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/labtest"
	"pblab/viewservice"
)

// How long a test's client sleeps between two operations in a loop that
// runs for a duration: in the concurrent phases, and in the crash tests.
const (
	clientPause = 20 * time.Millisecond
	crashPause  = 50 * time.Millisecond
)

func TestBasicFail(t *testing.T) {
	scenario(t, reliable, func(t *testing.T, c *cluster) {
		ck := c.clerk()
		c.note("Single primary, no backup")
		c.startPrimary(2 * deadtime)
		c.put(ck, "111", "v1")
		c.check(ck, "111", "v1", ruleLoneServe)
		c.put(ck, "2", "v2")
		c.check(ck, "2", "v2", ruleLoneServe)
		c.put(ck, "1", "v1a")
		c.check(ck, "1", "v1a", ruleLoneServe)
		c.check(ck, "nokey", "", ruleLoneServe)
		c.appendTo(ck, "ak", "hello")
		c.check(ck, "ak", "hello", ruleLoneServe)
		c.put(ck, "ak", "xx")
		c.appendTo(ck, "ak", "yy")
		c.check(ck, "ak", "xxyy", ruleLoneServe)

		c.note("Add a backup")
		c.start("s2")
		c.requireView(10, "s1", "s2", ruleAckedView)
		c.put(ck, "3", "33")
		c.check(ck, "3", "33", ruleSameOrder)
		time.Sleep(300 * time.Millisecond)
		c.put(ck, "4", "44")
		c.check(ck, "4", "44", ruleSameOrder)

		c.note("Primary failure")
		c.kill("s1")
		c.requireView(10, "s2", "", rulePromotedAcked)
		time.Sleep(viewservice.PingInterval)
		for _, kv := range [][2]string{{"1", "v1a"}, {"2", "v2"}, {"111", "v1"}, {"ak", "xxyy"}} {
			c.check(ck, kv[0], kv[1], ruleTakeOverTransferred)
		}
		for _, kv := range [][2]string{{"3", "33"}, {"4", "44"}} {
			c.check(ck, kv[0], kv[1], ruleTakeOverForwarded)
		}

		c.note("Kill last server, new one should not be active")
		c.kill("s2")
		c.start("s3")
		time.Sleep(time.Second)
		c.assertGetBlocks(ck, "1", "no server that holds the state is alive: s3 started empty after both s1 and s2 died")
	})
}

func TestSinglePrimary(t *testing.T) {
	scenario(t, reliable, func(t *testing.T, c *cluster) {
		c.startPrimary(2 * deadtime)
		ck := c.clerk()
		c.check(ck, "a", "", ruleLoneServe)
		c.put(ck, "a", "x")
		c.check(ck, "a", "x", ruleLoneServe)
		c.put(ck, "a", "y")
		c.check(ck, "a", "y", ruleLoneServe)
		c.appendTo(ck, "a", "z")
		c.check(ck, "a", "yz", ruleLoneServe)
		c.appendTo(ck, "b", "first")
		c.check(ck, "b", "first", ruleLoneServe)
		other := c.clerk()
		c.check(other, "a", "yz", ruleSameData)
		c.put(other, "a", "")
		c.check(ck, "a", "", ruleLoneServe)
	})
}

func TestServersPing(t *testing.T) {
	scenario(t, reliable, func(t *testing.T, c *cluster) {
		c.startPrimary(2 * deadtime)
		c.start("s2")
		c.requireView(10, "s1", "s2", ruleAckedView)

		before := c.net.GetCount(c.vshost)
		time.Sleep(2 * time.Second)
		pings := c.net.GetCount(c.vshost) - before
		want := 2 * int(2*time.Second/viewservice.PingInterval) // two servers
		assert.InDelta(t, want, pings, float64(want)/4, rulePingRate.explain(
			"two idle-time servers sent %d requests to the view service in 2 s; about %d expected", pings, want))
		v := c.view()
		assert.Equal(t, "s1", v.Primary, ruleFirstPrimary.explain("the primary changed with no failure: %+v", v))
		assert.Equal(t, "s2", v.Backup, ruleKeepRole.explain("the backup changed with no failure: %+v", v))
	})
}

func TestViewServiceRPCCount(t *testing.T) {
	scenario(t, reliable, func(t *testing.T, c *cluster) {
		c.startPair()
		ck := c.clerk()
		c.put(ck, "k", "0") // the clerk learns who is primary

		c.note("Count RPCs to viewserver")
		start, before := time.Now(), c.net.GetCount(c.vshost)
		for i := range 100 {
			c.put(ck, "k", strconv.Itoa(i))
			time.Sleep(clientPause)
		}
		elapsed, rpcs := time.Since(start), c.net.GetCount(c.vshost)-before
		allowed := 2*int(elapsed/viewservice.PingInterval) + 20
		assert.LessOrEqual(t, rpcs, allowed, ruleCachedPrimary.explain(
			"100 Puts in %v with no failure caused %d requests to the view service; at most %d allowed (two servers pinging, plus a little)",
			elapsed, rpcs, allowed))
		c.check(ck, "k", "99", ruleSameOrder)
	})
}

func TestAtMostOnce(t *testing.T) {
	scenario(t, unreliable, func(t *testing.T, c *cluster) {
		c.note("at-most-once Append; unreliable")
		c.start("s1")
		c.waitView(10, func(v viewservice.View) bool { return v.Primary != "" && v.Backup != "" }) // never: one server
		time.Sleep(deadtime)
		v := c.view()
		require.Equal(t, "s1", v.Primary, ruleFirstPrimary.explain("the only server is not primary: %+v%s", v, noPingHint(v)))

		ck := c.clerk()
		want := ""
		for i := range 100 {
			v := strconv.Itoa(i) + " "
			c.appendTo(ck, "counter", v)
			want += v
		}
		c.check(ck, "counter", want, ruleAtMostOnceLossy)
	})
}

func TestFailPut(t *testing.T) {
	scenario(t, reliable, func(t *testing.T, c *cluster) {
		c.start("s1")
		time.Sleep(time.Second)
		c.start("s2")
		time.Sleep(time.Second)
		c.start("s3")
		c.requirePair(15)
		time.Sleep(time.Second)
		v1 := c.requireView(1, "s1", "s2", ruleFirstBackup)

		ck := c.clerk()
		c.put(ck, "a", "aa")
		c.put(ck, "b", "bb")
		c.put(ck, "c", "cc")
		c.check(ck, "a", "aa", ruleSameOrder)
		c.check(ck, "b", "bb", ruleSameOrder)
		c.check(ck, "c", "cc", ruleSameOrder)

		c.note("Put() immediately after backup failure")
		c.kill("s2")
		c.put(ck, "a", "aaa")
		c.check(ck, "a", "aaa", ruleForwardRetried)
		v2, _ := c.waitView(15, func(v viewservice.View) bool { return v.Viewnum > v1.Viewnum && v.Backup != "" })
		time.Sleep(time.Second)
		v2 = c.requireView(1, "s1", "s3", ruleIdleReplaces)
		c.check(ck, "a", "aaa", ruleSameOrder)

		c.note("Put() immediately after primary failure")
		c.kill("s1")
		c.put(ck, "b", "bbb")
		c.check(ck, "b", "bbb", ruleRetry)
		c.waitView(15, func(v viewservice.View) bool { return v.Viewnum > v2.Viewnum && v.Primary != "" })
		time.Sleep(time.Second)
		c.requireView(1, "s3", "", rulePromoted)
		c.check(ck, "a", "aaa", ruleTakeOver)
		c.check(ck, "b", "bbb", ruleTakeOver)
		c.check(ck, "c", "cc", ruleTakeOver)
		time.Sleep(200 * time.Millisecond)
	})
}

// concurrentPuts runs three clients that Put random values to keys "0" and
// "1" for five seconds, then compares what the primary and, after the
// primary dies, the backup hold. The network is reliable or not, as the
// scenario's.
func concurrentPuts(t *testing.T, c *cluster, reliable bool) {
	c.startTogether("s1", "s2")

	if !reliable {
		ck := c.clerk()
		c.put(ck, "0", "x")
		c.put(ck, "1", "x")
	}

	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ck := c.clerk()
			rng := c.testRand(i + 1)
			for start := time.Now(); time.Since(start) < 5*time.Second && !labtest.Failed(t); {
				ck.Put(strconv.Itoa(rng.IntN(2)), fmt.Sprintf("c%d-%d", i, rng.Int64()))
				time.Sleep(clientPause)
			}
		}()
	}
	require.True(t, waitGroup(&wg, 5*time.Second+opDeadline), ruleRetry.explain(
		"the clients' Puts had not finished %v after the 5 s of the run (the view is %+v)", opDeadline, c.view()))
	time.Sleep(time.Second)

	ck := c.clerk()
	v0, v1 := c.get(ck, "0"), c.get(ck, "1")
	require.NotEmpty(t, v0, ruleSameOrder.explain("key \"0\" was written, yet reads empty"))
	require.NotEmpty(t, v1, ruleSameOrder.explain("key \"1\" was written, yet reads empty"))

	view := c.view()
	c.kill(view.Primary)
	c.requireView(10, view.Backup, "", rulePromoted)
	c.check(ck, "0", v0, ruleBackupValue)
	c.check(ck, "1", v1, ruleBackupValue)
}

func TestConcurrentSame(t *testing.T) {
	scenario(t, reliable, func(t *testing.T, c *cluster) { concurrentPuts(t, c, reliable) })
}

func TestConcurrentSameUnreliable(t *testing.T) {
	scenario(t, unreliable, func(t *testing.T, c *cluster) { concurrentPuts(t, c, unreliable) })
}

func TestConcurrentSameAppend(t *testing.T) {
	scenario(t, reliable, func(t *testing.T, c *cluster) {
		c.startTogether("s1", "s2")

		const nclients, nappends = 3, 50
		var wg sync.WaitGroup
		for i := range nclients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ck := c.clerk()
				for j := range nappends {
					if labtest.Failed(t) {
						return
					}
					ck.Append("k", fmt.Sprintf("x %d %d y", i, j))
				}
			}()
		}
		require.True(t, waitGroup(&wg, opDeadline), ruleRetry.explain(
			"the clients' Appends had not finished after %v (the view is %+v)", opDeadline, c.view()))

		counts := []int{nappends, nappends, nappends}
		ck := c.clerk()
		onPrimary := c.get(ck, "k")
		checkAppends(t, onPrimary, counts, "the primary's value", c.explainAppend)

		view := c.view()
		c.kill(view.Primary)
		c.requireView(10, view.Backup, "", rulePromoted)
		onBackup := c.get(ck, "k")
		checkAppends(t, onBackup, counts, "the backup's value", c.explainAppend)
		assert.Equal(t, onPrimary, onBackup, ruleSameOrder.explain("the primary and the backup hold different values"))
	})
}

func TestRepeatedCrash(t *testing.T) {
	scenario(t, reliable, func(t *testing.T, c *cluster) {
		stopCrashing := c.startCrashLoop("Repeated failures/restarts")

		var wg sync.WaitGroup
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ck := c.clerk()
				rng := c.testRand(i + 1)
				written := map[string]string{}
				for start := time.Now(); time.Since(start) < 20*time.Second && !labtest.Failed(t); {
					key := fmt.Sprintf("c%d-k%d", i, rng.IntN(10))
					if want, ok := written[key]; ok {
						if got := ck.Get(key); got != want {
							assert.Fail(t, ruleTakeOverRestarted.explain("client %d: Get(%q) = %q, but this client last wrote %q", i, key, got, want))
							return
						}
					}
					value := strconv.FormatInt(rng.Int64(), 10)
					ck.Put(key, value)
					written[key] = value
					time.Sleep(crashPause)
				}
			}()
		}
		require.True(t, waitGroup(&wg, 20*time.Second+opDeadline), ruleRetry.explain(
			"the clients had not finished %v after the 20 s of the run (the view is %+v)", opDeadline, c.view()))
		stopCrashing()
		c.note("... Put/Gets done ...")

		ck := c.clerk()
		c.put(ck, "aaa", "bbb")
		c.check(ck, "aaa", "bbb", ruleRetry)
	})
}

func TestRepeatedCrashUnreliable(t *testing.T) {
	// The whole network is unreliable, restarted servers included.
	scenario(t, unreliable, func(t *testing.T, c *cluster) {
		stopCrashing := c.startCrashLoop("Repeated failures/restarts with concurrent updates to same key; unreliable")

		counts := make([]int, 2)
		var wg sync.WaitGroup
		for i := range counts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ck := c.clerk()
				for start := time.Now(); time.Since(start) < 20*time.Second && !labtest.Failed(t); {
					ck.Append("0", fmt.Sprintf("x %d %d y", i, counts[i]))
					counts[i]++
					time.Sleep(crashPause)
				}
			}()
		}
		require.True(t, waitGroup(&wg, 20*time.Second+opDeadline), ruleRetry.explain(
			"the clients had not finished %v after the 20 s of the run (the view is %+v)", opDeadline, c.view()))
		stopCrashing()
		c.note("... Appends done ...")

		ck := c.clerk()
		checkAppends(t, c.get(ck, "0"), counts, "key \"0\" after 20 s of crashes", c.explainAppend)
		c.put(ck, "aaa", "bbb")
		c.check(ck, "aaa", "bbb", ruleRetry)
	})
}

// waitGroup waits for wg at most d, and reports whether it finished.
func waitGroup(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
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
