package pbservice

// MIT's partition tests cut the old primary off from the view service with a
// renamed socket, and delayed a clerk's request to it with a proxy. Here the
// network does the cutting (Partition), and a clerk that still believes in
// the old primary — it learned the primary before the cut and had no reason
// to ask again — sends it the request after the new primary has taken over.
// A test's own probe also asks the old primary directly, so the check does
// not depend on how the clerk caches.

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/labrpc"
	"pblab/viewservice"
)

// probeGet sends Get(key) straight to server, as a clerk would, and returns
// the reply and whether one came.
func (c *cluster) probeGet(server, key string) (GetReply, bool) {
	var reply GetReply
	ok := c.net.MakeEnd("probe").Call(server, "PBServer.Get", &GetArgs{Key: key}, &reply)
	return reply, ok
}

// cutFromViewService starts s1 as primary and s2 as backup, writes a=1
// through a clerk (which learns that s1 is primary), then cuts s1 off from
// the view service and waits until s2 has taken over. It returns the clerk.
func (c *cluster) cutFromViewService() *Clerk {
	c.t.Helper()
	c.startPrimary(time.Second)
	c.start("s2")
	time.Sleep(time.Second)
	c.requireView(1, "s1", "s2", ruleAckedView)

	ck1 := c.clerk()
	c.put(ck1, "a", "1")
	c.check(ck1, "a", "1", ruleSameOrder)

	c.note("s1 is cut off from the view service; clerks still reach it")
	c.net.Partition([]string{"s1"}, []string{c.vshost})
	v, ok := c.waitView(15, func(v viewservice.View) bool { return v.Primary == "s2" })
	require.True(c.t, ok, ruleSilentPrimary.explain("s2 never became primary: %+v", v))
	time.Sleep(2 * viewservice.PingInterval) // s2 hears of the new view at its next ping
	return ck1
}

func TestPartition1(t *testing.T) {
	scenario(t, reliable, func(t *testing.T, c *cluster) {
		ck1 := c.cutFromViewService()

		c.note("Old primary does not serve Gets")
		ck2 := c.clerk()
		c.put(ck2, "a", "111")

		reply, ok := c.probeGet("s1", "a")
		assert.False(t, ok && reply.Err == OK, ruleStalePrimary.explain(
			"the old primary s1, cut off from the view service, answered Get(\"a\") with %q after s2 took over and a was set to \"111\"", reply.Value))
		if ok && reply.Err != OK {
			assert.Equal(t, Err(ErrWrongServer), reply.Err, ruleWrongServer.explain("the old primary's answer to Get"))
		}

		got := c.get(ck1, "a") // ck1 still believes s1 is primary
		assert.NotEqual(t, "1", got, ruleStalePrimary.explain("a clerk that asked the old primary got the stale value"))
		assert.Equal(t, "111", got, ruleRetry.explain("after ErrWrongServer from the old primary, the clerk must find the new one"))
		c.check(ck2, "a", "111", ruleTakeOver)
	})
}

func TestPartition2(t *testing.T) {
	scenario(t, reliable, func(t *testing.T, c *cluster) {
		ck1 := c.cutFromViewService()

		c.note("Partitioned old primary does not complete Gets")
		c.start("s3")
		c.requireView(15, "s2", "s3", ruleIdleBackup)
		time.Sleep(2 * time.Second)
		ck2 := c.clerk()
		c.put(ck2, "a", "2")
		c.kill("s2")
		c.note("s2, the new primary, is dead; s1 still believes it is primary with s2 as backup")

		// s1 cannot reach its backup, and cannot learn the view: it must not
		// complete the Get, however long it waits.
		probe := make(chan GetReply, 1)
		go func() {
			if reply, ok := c.probeGet("s1", "a"); ok {
				probe <- reply
			}
			close(probe)
		}()
		got := make(chan string, 1)
		go func() { got <- ck1.Get("a") }()

		select {
		case v := <-got:
			assert.NotEqual(t, "1", v, ruleStalePrimary.explain("a clerk that asked the old primary got the stale value"))
			assert.Equal(t, "2", v, ruleRetry.explain("the clerk should have found s3, the new primary"))
		case <-time.After(labrpc.HandlerTimeout + 10*time.Second):
			assert.Fail(t, ruleRetry.explain(
				"Get(\"a\") did not return: when the old primary does not answer, the clerk must ask the view service and find s3"))
		}
		if reply, ok := <-probe; ok {
			assert.False(t, reply.Err == OK, ruleStalePrimary.explain(
				"the old primary s1 completed Get(\"a\") with %q although its backup s2 is dead and s3 has taken over", reply.Value))
		}
		c.check(ck2, "a", "2", ruleTakeOver)
	})
}
