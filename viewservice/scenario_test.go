package viewservice

// Scenario tests: a real view service on a labrpc network, pinged by
// servers that behave as key/value servers would. They cover the nine steps
// of the original lab's test (MIT 6.824, 2015) and the extra view-server
// cases of UW's DSLabs. Every view they see goes through the invariant
// checker (harness_test.go).

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Before any ping the view is view 0, and time alone does not change it;
// the first ping ends it.
func TestViewStartupView(t *testing.T) {
	scenario(t, func(c *cluster) {
		c.expect(ruleStartup, View{}, "before any ping")
		time.Sleep(patience)
		c.expect(ruleStartup, View{}, fmt.Sprintf("after %v with no ping", patience))
		s1 := c.server("s1")
		c.pingUntil(ruleStartup, "the first ping to end the startup view",
			func(v View) bool { return v.Viewnum > 0 }, s1.fresh())
		c.expect(ruleFirstPrimary, View{1, "s1", ""}, "the first server to ping is primary of view 1")
	})
}

// The first server to ping becomes primary of view 1, and stays primary
// while it keeps pinging.
func TestViewFirstPrimary(t *testing.T) {
	scenario(t, func(c *cluster) {
		c.expect(ruleStartup, View{}, "before any ping there is no primary")
		s1 := c.server("s1")
		v := c.firstPrimary(s1)
		c.pingWhile(patience, ruleNoSpurious, "a lone primary that keeps pinging stays primary of view 1",
			sameView(v), s1.healthy())
	})
}

// Once the primary has acked view 1, a second server becomes backup.
func TestViewFirstBackup(t *testing.T) {
	scenario(t, func(c *cluster) {
		s1, s2 := c.server("s1"), c.server("s2")
		c.firstPrimary(s1)
		c.pingUntil(ruleBackup, "s2 to become backup once s1 has acked view 1",
			func(v View) bool { return v.Backup != "" }, s1.healthy(), s2.fresh())
		c.expect(ruleBackup, View{2, "s1", "s2"}, "an idle server becomes backup when there is none")
	})
}

// A backup pinging before the primary has acked view 1 waits for the ack,
// then becomes backup. (DSLabs: backup pings first.)
func TestViewBackupPingsBeforeAck(t *testing.T) {
	scenario(t, func(c *cluster) {
		s1, s2 := c.server("s1"), c.server("s2")
		c.pingUntil(ruleFirstPrimary, "s1 to become primary of view 1",
			func(v View) bool { return v.Primary != "" }, s1.fresh())
		c.expect(ruleFirstPrimary, View{1, "s1", ""}, "the first server to ping is primary of view 1")
		c.pingWhile(3*PingInterval, ruleAck, "view 1 must stay until its primary s1 acks it, though s2 waits to be backup",
			sameView(View{1, "s1", ""}), s2.healthy())
		c.pingUntil(ruleAck, "s2 to become backup once s1 acks view 1",
			func(v View) bool { return v.Viewnum > 1 }, s1.healthy(), s2.healthy())
		c.expect(ruleBackup, View{2, "s1", "s2"}, "the server that pinged before the ack becomes backup after it")
	})
}

// When the primary stops pinging, the backup takes over. (MIT step 3.)
func TestViewBackupTakesOver(t *testing.T) {
	scenario(t, func(c *cluster) {
		s1, s2 := c.server("s1"), c.server("s2")
		c.primaryAndBackup(s1, s2)
		silentSince := time.Now() // s1 pings no more
		c.pingUntil(ruleDead, "s2 to take over from s1, which stopped pinging",
			func(v View) bool { return v.Viewnum > 2 }, s2.healthy())
		took := time.Since(silentSince)
		assert.GreaterOrEqual(t, took, (DeadPings-1)*PingInterval, ruleDead.explain(
			"s2 took over %v after s1's last ping; a server is dead only once it has missed %d ping intervals (%v)",
			took, DeadPings, DeadPings*PingInterval))
		c.expect(ruleDead, View{3, "s2", ""}, "the backup takes over from a dead primary, and there is no one left to be backup")
	})
}

// A server that comes back after it was declared dead, pinging 0, becomes
// backup. (MIT step 4; DSLabs: old primary becomes backup.)
func TestViewRestartedServerBecomesBackup(t *testing.T) {
	scenario(t, func(c *cluster) {
		s1, s2 := c.server("s1"), c.server("s2")
		c.primaryAndBackup(s1, s2)
		c.pingUntil(ruleDead, "s2 to take over from s1, which stopped pinging",
			func(v View) bool { return v.Viewnum > 2 }, s2.healthy())
		c.expect(ruleDead, View{3, "s2", ""}, "the backup takes over from a dead primary")
		s2.ack()
		c.pingUntil(ruleDead, "s1, restarted (it pings 0), to become backup of s2",
			func(v View) bool { return v.Viewnum > 3 }, s1.fresh(), s2.healthy())
		c.expect(ruleDead, View{4, "s2", "s1"}, "a server that comes back after it was declared dead is alive again, and becomes backup when there is none")
	})
}

// When the primary dies and an idle server is waiting, the backup becomes
// primary and the idle server backup, in a single view change: there is
// never a view without a backup. (MIT step 5.)
func TestViewIdleThirdServerBecomesBackup(t *testing.T) {
	scenario(t, func(c *cluster) {
		s1, s2, s3 := c.server("s1"), c.server("s2"), c.server("s3")
		c.primaryAndBackup(s1, s2)
		c.pingUntil(ruleIdle, "s2 to take over from s1, which stopped pinging",
			func(v View) bool { return v.Viewnum > 2 }, s3.fresh(), s2.healthy())
		c.expect(ruleIdle, View{3, "s2", "s3"},
			"the idle server s3 becomes backup in the same view change that makes s2 primary")
	})
}

// A primary that crashes and restarts at once never misses a ping, but its
// Ping(0) says it lost its state: the backup takes over. (MIT step 6.)
func TestViewRestartedPrimaryTreatedAsDead(t *testing.T) {
	scenario(t, func(c *cluster) {
		s1, s2 := c.server("s1"), c.server("s2")
		v := c.primaryAndBackup(s1, s2)
		got := c.pingUntil(ruleRestart, "s2 to take over from s1, which restarted (it pings 0 where it used to ping 2)",
			func(v View) bool { return v.Primary != "s1" }, s1.fresh(), s2.stuckAt(v.Viewnum))
		require.Equal(t, "s2", got.Primary, ruleRestart.explain("the backup takes over from a restarted primary; got %s", show(got)))
		require.Equal(t, v.Viewnum+1, got.Viewnum, ruleRestart.explain("one view change; got %s after %s", show(got), show(v)))
	})
}

// A backup that stops pinging is dropped from the view. (MIT step 7.)
func TestViewDeadBackupRemoved(t *testing.T) {
	scenario(t, func(c *cluster) {
		s1, s2 := c.server("s1"), c.server("s2")
		c.primaryAndBackup(s1, s2)
		c.pingUntil(ruleDead, "s2, which stopped pinging, to be dropped",
			func(v View) bool { return v.Viewnum > 2 }, s1.healthy())
		want := View{3, "s1", ""}
		c.expect(ruleDead, want, "a dead backup is dropped, and with no idle server there is no new one")
		c.pingWhile(patience, ruleNoSpurious, "the view stays while its primary keeps pinging", sameView(want), s1.healthy())
	})
}

// The view service does not leave a view its primary has not acked, even
// when that primary is dead: the backup is not promoted. (MIT step 8.)
func TestViewWaitsForPrimaryAck(t *testing.T) {
	scenario(t, func(c *cluster) {
		s1, s2 := c.server("s1"), c.server("s2")
		c.firstPrimary(s1)
		c.pingUntil(ruleBackup, "s2 to become backup",
			func(v View) bool { return v.Viewnum > 1 }, s2.fresh(), s1.stuckAt(1))
		want := View{2, "s1", "s2"}
		c.expect(ruleBackup, want, "an idle server becomes backup when there is none")
		// s1 never pings 2, and now stops pinging at all.
		c.pingWhile(patience, ruleAck, "view 2 must stay until its primary s1 pings 2, even though s1 has died",
			sameView(want), s2.healthy())
	})
}

// A backup that dies before the primary has acked the view it joined in
// cannot be replaced yet: the ack rule holds the view until the primary
// pings its number, whatever else calls for a change; then the idle server
// takes the dead backup's place.
func TestViewDeadBackupWaitsForAck(t *testing.T) {
	scenario(t, func(c *cluster) {
		s1, s2, s3 := c.server("s1"), c.server("s2"), c.server("s3")
		c.firstPrimary(s1)
		c.pingUntil(ruleBackup, "s2 to become backup",
			func(v View) bool { return v.Viewnum > 1 }, s2.fresh(), s1.stuckAt(1))
		want := View{2, "s1", "s2"}
		c.expect(ruleBackup, want, "an idle server becomes backup when there is none")
		// s2 dies at once; s1 has not acked view 2 yet; s3 is idle.
		c.pingWhile(patience, ruleAck, "view 2 must stay until its primary s1 pings 2, even though its backup s2 has died",
			sameView(want), s1.stuckAt(1), s3.fresh())
		c.pingUntil(ruleIdle, "s3 to take the dead backup's place once s1 acks view 2",
			func(v View) bool { return v.Viewnum > 2 }, s1.healthy(), s3.fresh())
		c.expect(ruleIdle, View{3, "s1", "s3"}, "once the primary acks, the idle server replaces the dead backup")
	})
}

// Servers that have only ever pinged 0 never become primary, even when the
// primary and the backup are both dead. (MIT step 9.)
func TestViewUninitializedServerNotPromoted(t *testing.T) {
	scenario(t, func(c *cluster) {
		s1, s2, s3 := c.server("s1"), c.server("s2"), c.server("s3")
		v := c.primaryAndBackup(s1, s2)
		c.pingWhile(2*DeadPings*PingInterval, ruleNoSpurious, "an idle server changes nothing while primary and backup live",
			sameView(v), s1.healthy(), s2.healthy(), s3.fresh())
		c.pingWhile(3*DeadPings*PingInterval, ruleUninit,
			"s3, which has only ever pinged 0, must never become primary, even once primary and backup are dead",
			func(v View) bool { return v.Primary != "s3" }, s3.fresh())
	})
}

// A server that pinged once and fell silent is dead: when the backup dies,
// it is not chosen to replace it. (DSLabs: dead idle server.)
func TestViewDeadIdleServerNotBackup(t *testing.T) {
	scenario(t, func(c *cluster) {
		s1, s2, s3 := c.server("s1"), c.server("s2"), c.server("s3")
		v := c.primaryAndBackup(s1, s2)
		s3.ping(0)
		c.pingWhile(2*DeadPings*PingInterval, ruleNoSpurious, "an idle server changes nothing while primary and backup live",
			sameView(v), s1.healthy(), s2.healthy())
		c.pingUntil(ruleDead, "s2, which stopped pinging, to be dropped",
			func(v View) bool { return v.Viewnum > 2 }, s1.healthy())
		c.expect(ruleDeadIdle, View{3, "s1", ""},
			fmt.Sprintf("s3 has not pinged for over %v, so it is dead and must not become backup", 2*DeadPings*PingInterval))
	})
}

// The view changes only for a reason: while the primary and the backup
// ping, and an idle server waits, it stays. (DSLabs: consecutive views
// differ; the invariant checker checks that for every view of every test.)
func TestViewNoSpuriousChanges(t *testing.T) {
	scenario(t, func(c *cluster) {
		s1, s2, s3 := c.server("s1"), c.server("s2"), c.server("s3")
		v := c.primaryAndBackup(s1, s2)
		c.pingWhile(3*DeadPings*PingInterval, ruleNoSpurious,
			"the view must not change while its primary and backup ping and an idle server waits",
			sameView(v), s1.healthy(), s2.healthy(), s3.healthy())
		s4 := c.server("s4")
		c.pingWhile(3*DeadPings*PingInterval, ruleNoSpurious,
			"the view must not change when one more idle server pings 0 now and then",
			sameView(v), s1.healthy(), s2.healthy(), s3.healthy(), s4.fresh())
	})
}

// Get returns the current view and changes nothing: it is not a ping, it
// does not ack, and it does not make time pass for the view service.
func TestViewGetChangesNothing(t *testing.T) {
	scenario(t, func(c *cluster) {
		for range DeadPings {
			for range 20 {
				require.Equal(t, show(View{}), show(c.get()), ruleGet.explain("before any ping, Get returns view 0"))
			}
			time.Sleep(PingInterval)
		}
		s1, s2 := c.server("s1"), c.server("s2")
		v := c.primaryAndBackup(s1, s2)
		for range 3 * DeadPings {
			s1.ping(s1.seen.Viewnum)
			reply := s2.ping(s2.seen.Viewnum)
			for range 20 {
				got := c.get()
				require.Equal(t, show(reply), show(got), ruleGet.explain(
					"Get must return the view that the ping just before it returned"))
			}
			time.Sleep(PingInterval)
		}
		c.expect(ruleGet, v, "many Gets between the pings changed the view")
	})
}

// Kill stops the view service: its ticker ends, and every later call to it
// fails.
func TestViewKill(t *testing.T) {
	scenario(t, func(c *cluster) {
		s1 := c.server("s1")
		c.firstPrimary(s1)
		require.Equal(t, 1, tickers(), ruleKill.explain("a running view service has one ticker goroutine"))
		c.vs.Kill()
		_, err := s1.ck.Ping(1)
		assert.Error(t, err, ruleKill.explain("a Ping to a killed view service must fail"))
		_, ok := c.ck.Get()
		assert.False(t, ok, ruleKill.explain("a Get to a killed view service must fail"))
		assert.Equal(t, "", c.ck.Primary(), ruleKill.explain("Clerk.Primary of a killed view service is \"\""))
		c.vs.Kill() // a second Kill does nothing
		deadline := time.Now().Add(patience)
		for tickers() > 0 && time.Now().Before(deadline) {
			time.Sleep(PingInterval / 10)
		}
		assert.Equal(t, 0, tickers(), ruleKill.explain("the ticker goroutine must end after Kill"))
	})
}

// tickers counts the goroutines that StartServer started (its ticker),
// whether or not they have begun to run.
func tickers() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	return bytes.Count(buf, []byte("created by pblab/viewservice.StartServer "))
}

// The nine steps of the original lab's test, in one run and in its order,
// with its patterns of pings: state left over from one step must not upset
// the next.
func TestViewAllStepsInSequence(t *testing.T) {
	scenario(t, func(c *cluster) {
		s1, s2, s3 := c.server("s1"), c.server("s2"), c.server("s3")

		// 1. First primary.
		c.expect(ruleStartup, View{}, "before any ping there is no primary")
		c.pingUntil(ruleFirstPrimary, "s1 to become primary", func(v View) bool { return v.Primary == "s1" }, s1.fresh())
		c.expect(ruleFirstPrimary, View{1, "s1", ""}, "step 1, first primary")

		// 2. First backup: s1 pings 1, s2 pings 0.
		c.pingUntil(ruleBackup, "s2 to become backup", func(v View) bool { return v.Backup == "s2" },
			s1.stuckAt(1), s2.fresh())
		c.expect(ruleBackup, View{2, "s1", "s2"}, "step 2, first backup")

		// 3. Backup takes over: s1 acks view 2 and stops; s2 pings 2.
		s1.ping(2)
		vx := s2.ping(2)
		c.pingUntil(ruleDead, "s2 to take over from s1", func(v View) bool { return v.Primary == "s2" && v.Backup == "" },
			s2.stuckAt(vx.Viewnum))
		c.expect(ruleDead, View{vx.Viewnum + 1, "s2", ""}, "step 3, backup takes over if primary fails")

		// 4. Restarted server becomes backup: s2 acks, s1 pings 0.
		vx = c.get()
		s2.ping(vx.Viewnum)
		c.pingUntil(ruleRestart, "s1 to become backup", func(v View) bool { return v.Primary == "s2" && v.Backup == "s1" },
			s1.fresh(), s2.stuckAt(vx.Viewnum))
		c.expect(ruleRestart, View{vx.Viewnum + 1, "s2", "s1"}, "step 4, restarted server becomes backup")

		// 5. Idle third server becomes backup if primary fails: s2 acks
		// and stops; s3 pings 0; s1 pings the latest view it was sent.
		vx = c.get()
		s2.ping(vx.Viewnum)
		c.pingUntil(ruleIdle, "s1 to take over with s3 as backup", func(v View) bool { return v.Primary == "s1" && v.Backup == "s3" },
			s3.fresh(), s1.healthy())
		c.expect(ruleIdle, View{vx.Viewnum + 1, "s1", "s3"}, "step 5, idle third server becomes backup in one view change")

		// 6. Restarted primary treated as dead: s1 acks, then pings 0;
		// s3 pings the old view number.
		vx = c.get()
		s1.ping(vx.Viewnum)
		got := c.pingUntil(ruleRestart, "s3 to take over from s1, which restarted", func(v View) bool { return v.Primary != "s1" },
			s1.fresh(), s3.stuckAt(vx.Viewnum))
		require.Equal(t, "s3", got.Primary, ruleRestart.explain("step 6, restarted primary treated as dead: got %s", show(got)))

		// 7. Dead backup is removed: only s3 pings, with the current view
		// number, for 15 intervals.
		got = c.pingWhile(3*DeadPings*PingInterval, ruleDead, "s3 stays primary", func(v View) bool { return v.Primary == "s3" },
			s3.atCurrent())
		require.Equal(t, show(View{got.Viewnum, "s3", ""}), show(got), ruleDead.explain("step 7, dead backup is removed from view"))

		// 8. The view service waits for the primary's ack: s1 pings 0
		// until it is backup; s3 pings the old number, never acking.
		vx = c.get()
		c.pingUntil(ruleBackup, "s1 to become backup", func(v View) bool { return v.Viewnum > vx.Viewnum },
			s1.fresh(), s3.stuckAt(vx.Viewnum))
		vy := View{vx.Viewnum + 1, "s3", "s1"}
		c.expect(ruleBackup, vy, "step 8, s1 becomes backup")
		c.pingWhile(3*DeadPings*PingInterval, ruleAck, "the view must stay until s3 acks it, although s3 is dead",
			sameView(vy), s1.stuckAt(vy.Viewnum))

		// 9. An uninitialised server cannot become primary: s1 and s3 ack
		// while s2 pings 0; then only s2 pings 0.
		c.pingFor(2*DeadPings*PingInterval, s1.atCurrent(), s2.fresh(), s3.atCurrent())
		c.pingWhile(2*DeadPings*PingInterval, ruleUninit, "s2, which has only ever pinged 0, must never become primary",
			func(v View) bool { return v.Primary != "s2" }, s2.fresh())
	})
}
