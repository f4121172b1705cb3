package pbservice

// The helpers of Part B's tests: the rules the tests check (each with the
// section of the guide that explains it), the scenario every test runs in,
// the cluster it drives, and the openings that several scenarios share.

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/labtest"
	"pblab/labrpc"
	"pblab/viewservice"
)

// guide is the page whose Specification box states every rule below.
const guide = "docs/part-b-pbservice.md"

// A rule is one rule of Part B that a test checks. Every failure message
// names one.
type rule struct {
	id   string // the rule's number in the guide's Specification box, "B3"
	name string // the rule, as a failure message states it
}

// The rules, grouped by the guide's steps; each cites the rule of the
// Specification box it checks. A rule that reads "X: detail" or
// "X (detail)" is rule X, narrowed to the case a test checks.
var (
	// Step 1: the ticker and pings.
	ruleFirstPrimary  = rule{"B1", "servers ping the view service from a ticker; the first server to ping becomes primary of view 1, with an empty state"}
	rulePingRate      = rule{"B1", "each server pings the view service once per PingInterval, from its ticker"}
	ruleKeepRole      = rule{"B1", "a server that keeps pinging stays in its role"}
	ruleAckedView     = rule{"B9", "the primary acks each view by pinging with its number, so an idle server can become backup"}
	ruleFirstBackup   = rule{"B1", "the first server is primary; the second, idle when there was no backup, is backup"}
	ruleIdleBackup    = rule{"B1", "an idle server becomes backup when there is none"}
	ruleIdleReplaces  = rule{"B1", "the idle server replaces the dead backup"}
	ruleSilentPrimary = rule{"B1", "the backup takes over when the primary stops pinging"}

	// Step 2: handlers over a map.
	ruleLoneServe = rule{"B3", "the primary serves Get, Put and Append from its map; Get of an unset key returns \"\", Append to it appends to \"\""}
	ruleSameData  = rule{"B3", ruleLoneServe.name + "; every clerk sees the same data"}

	// Step 3: forwarding to the backup.
	ruleSameOrder         = rule{"B4", "the primary forwards every operation to the backup and applies it only after the backup did, one at a time, so both apply the same operations in the same order"}
	ruleBackupValue       = rule{"B4", ruleSameOrder.name + ": the backup's value differs from the primary's"}
	ruleBackupAppends     = rule{"B4", ruleSameOrder.name + ": the backup applied a different sequence of Appends"}
	ruleTakeOverForwarded = rule{"B4", ruleTakeOver.name + " (this key was written after the backup joined: forwarding)"}
	ruleOnlyPrimary       = rule{"B3", "only the primary serves clients: the backup and idle servers answer ErrWrongServer, and change nothing"}
	ruleRefusedPut        = rule{"B3", ruleOnlyPrimary.name + ": a Put the backup refused must not reach its state"}
	ruleForwardRetried    = rule{"B7", "a forward to a dead backup is retried until the view changes; then the primary sends its state to the new backup and goes on"}
	ruleForwardArgs       = rule{"B5", "the primary forwards an Append's arguments, never the value it produces"}

	// Step 4: state transfer.
	ruleTakeOver            = rule{"B10", "the backup holds the whole state, from the transfer when it joined and every operation forwarded since, so it can take over"}
	ruleTakeOverTransferred = rule{"B10", ruleTakeOver.name + " (this key was written before the backup joined: state transfer)"}
	ruleTakeOverRestarted   = rule{"B8", ruleTakeOver.name + "; a restarted server holds nothing until a primary sends it the state"}
	rulePromoted            = rule{"B1", "the backup takes over when the primary dies"}
	rulePromotedAcked       = rule{"B9", rulePromoted.name + "; the primary must have acked the view"}
	ruleWholeState          = rule{"B10", "a new backup gets the whole state from the primary"}
	ruleNoStateNoLead       = rule{"B3", "a server that never received the state must never act as primary, even if a view names it"}
	ruleRestartRejoins      = rule{"B2", "a server that pings 0 has restarted: it loses its role, and joins again as a new backup"}
	ruleRestartedBackup     = rule{"B10", "a restarted backup holds nothing: the primary sends it the whole state again (data and duplicate table) before it forwards to it"}

	// Step 5: duplicate detection and retries.
	ruleAtMostOnce      = rule{"B12", "each Put/Append takes effect at most once, however often the clerk sends it (client id + sequence number, duplicate table)"}
	ruleAtMostOnceLossy = rule{"B12", ruleAtMostOnce.name + "; replies are lost on this network, so the clerk resends operations that already happened"}
	ruleAppendsKept     = rule{"B12", "every Append the service acknowledged takes effect exactly once, in the order each client issued it"}
	ruleAppendOnce      = rule{"B12", "every Append takes effect at most once, however often the clerk sent it"}
	ruleAppendOrder     = rule{"B12", "a client's Appends take effect in the order it issued them"}
	ruleDupTable        = rule{"B12", "the duplicate table is part of the state: the state transfer carries it, so that a new primary recognises a retry of an operation applied before it joined"}

	// Step 6: failover in the clerk.
	ruleRetry         = rule{"B13", "the clerk retries until the operation is done; after a failure it asks the view service for the new primary"}
	ruleRecovers      = rule{"B13", "a clerk retries until the service answers, and the service recovers once a primary holding the state is up"}
	ruleCachedPrimary = rule{"B13", "the clerk caches the primary and asks the view service only after a failure; servers ping from their ticker, never per request"}

	// Step 7: partitions and the stale primary.
	ruleStalePrimary = rule{"B6", "a primary answers only after its backup accepted the forwarded operation; a backup that has moved to a newer view refuses it, so a primary cut off from the view service never answers with a stale value"}
	ruleWrongServer  = rule{"B3", "a server that is not primary answers ErrWrongServer"}

	// Throughout.
	ruleLinearizable = rule{"B16", "every operation appears to take effect at one instant between its call and its return: a Get sees the latest Put/Append that completed before it"}
	ruleKill         = rule{"B15", "Kill stops every goroutine of the server: its ticker, anything it started, and every handler or loop, such as a forward being retried"}
)

// doc returns where the guide states the rule: its anchor in the
// Specification box.
func (r rule) doc() string { return guide + "#" + strings.ToLower(r.id) }

// explain formats a failure message: what went wrong, the rule it breaks,
// and where the guide states the rule.
func (r rule) explain(format string, args ...any) string {
	return fmt.Sprintf("%s\n  rule %s: %s\n  see: %s", fmt.Sprintf(format, args...), r.id, r.name, r.doc())
}

// deadtime is how long the view service takes to notice that a server died.
const deadtime = viewservice.PingInterval * viewservice.DeadPings

// opDeadline bounds one clerk operation in a test. It is long: an operation
// may wait out a failover, or a call to a server whose handler is stuck
// (labrpc.HandlerTimeout).
const opDeadline = 30 * time.Second

// The networks a scenario runs on.
const (
	reliable   = true  // every call is delivered
	unreliable = false // labrpc delays requests and loses some requests and replies, except to the view service
)

// scenario runs body as the test t, through labtest.Run, on a new cluster
// whose view service has run alone for a second, as MIT's tests began.
// Body gets the t that labtest.Run made: it must use that one, never the
// test function's own.
func scenario(t *testing.T, reliable bool, body func(t *testing.T, c *cluster)) {
	t.Helper()
	labtest.Run(t, func(t *testing.T) {
		c := newCluster(t, reliable)
		time.Sleep(time.Second)
		body(t, c)
	})
}

// A cluster is one test's view service, key/value servers and clerks, all on
// one network. Its methods are for the test's own goroutine unless they say
// otherwise.
type cluster struct {
	t      *testing.T
	net    *labrpc.Network
	vshost string
	vs     *viewservice.ViewServer
	vck    *viewservice.Clerk // the test's own window on the view service

	mu      sync.Mutex
	servers map[string]*PBServer // running servers by name
	started map[string]time.Time // when each was last started
	clerks  int                  // clerks made so far, for their names
}

// newCluster starts a view service on a new network. The cluster's servers
// and view service are killed when the test body returns.
//
// On an unreliable network, calls to the view service stay reliable, as in
// MIT's lab, which made its key/value servers unreliable and never its view
// service: lost pings would make the view service declare a live server
// dead, once in a while with DeadPings at 5 and often with fewer, and a
// primary killed then leaves no one to take over (a limit of the protocol,
// not a bug of the key/value service these tests grade).
func newCluster(t *testing.T, reliable bool) *cluster {
	t.Helper()
	c := &cluster{t: t, net: labtest.NewNetwork(t), vshost: "vs", servers: map[string]*PBServer{}, started: map[string]time.Time{}}
	labtest.Describe(t, c.net, viewDiagram(c.vshost))
	keepMessages(c.net, viewDiagram(c.vshost))
	c.net.Reliable(reliable)
	c.net.ReliableTo(c.vshost, true)
	c.vs = viewservice.StartServer(c.net, c.vshost)
	c.vck = viewservice.MakeClerk(c.net, "", c.vshost)
	labtest.Teardown(t, c.killAll)
	return c
}

// start starts the server called name (again, if it ran before: a restart
// with empty state). Safe for any goroutine.
func (c *cluster) start(name string) *PBServer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.servers[name]; old != nil {
		old.Kill()
	}
	pb := StartServer(c.net, c.vshost, name)
	c.servers[name] = pb
	c.started[name] = time.Now()
	return pb
}

// kill crashes the server called name. Safe for any goroutine.
func (c *cluster) kill(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if pb := c.servers[name]; pb != nil {
		pb.Kill()
		delete(c.servers, name)
	}
}

// restart crashes the server called name and starts it again at once.
func (c *cluster) restart(name string) { c.start(name) }

func (c *cluster) killAll() {
	c.mu.Lock()
	for name, pb := range c.servers {
		pb.Kill()
		delete(c.servers, name)
	}
	c.mu.Unlock()
	c.vs.Kill()
}

// clerk returns a new clerk with a name of its own.
func (c *cluster) clerk() *Clerk {
	c.mu.Lock()
	c.clerks++
	name := fmt.Sprintf("clerk%d", c.clerks)
	c.mu.Unlock()
	return MakeClerk(c.net, c.vshost, name)
}

// clerkNames returns the names of the clerks made so far.
func (c *cluster) clerkNames() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	names := make([]string, c.clerks)
	for i := range names {
		names[i] = fmt.Sprintf("clerk%d", i+1)
	}
	return names
}

// view returns the view service's current view. On an unreliable network
// it asks until it gets an answer (giving up, with the zero view, after a
// few seconds).
func (c *cluster) view() viewservice.View {
	for range 50 {
		if v, ok := c.vck.Get(); ok {
			return v
		}
		time.Sleep(viewservice.PingInterval / 10)
	}
	return viewservice.View{}
}

// waitView polls the view service every PingInterval, at most tries times,
// until cond holds, and returns the last view seen and whether cond held.
func (c *cluster) waitView(tries int, cond func(v viewservice.View) bool) (viewservice.View, bool) {
	var v viewservice.View
	for range tries {
		v = c.view()
		if cond(v) {
			return v, true
		}
		time.Sleep(viewservice.PingInterval)
	}
	v = c.view()
	return v, cond(v)
}

// requireView waits (up to tries pings) for the view to have this primary
// and backup, which r calls for, and fails the test now if it does not.
func (c *cluster) requireView(tries int, primary, backup string, r rule) viewservice.View {
	c.t.Helper()
	v, ok := c.waitView(tries, func(v viewservice.View) bool { return v.Primary == primary && v.Backup == backup })
	if !ok && v.Viewnum == 0 {
		r = ruleFirstPrimary
	}
	require.True(c.t, ok, r.explain("the view should be primary=%q backup=%q, but it is %+v after %v%s",
		primary, backup, v, time.Duration(tries)*viewservice.PingInterval, noPingHint(v)))
	return v
}

// requirePair waits (up to tries pings) for a view with a primary and a
// backup, and fails the test now if none comes.
func (c *cluster) requirePair(tries int) viewservice.View {
	c.t.Helper()
	v, ok := c.waitView(tries, func(v viewservice.View) bool { return v.Primary != "" && v.Backup != "" })
	require.True(c.t, ok, ruleAckedView.explain("no view with a primary and a backup after %v: %+v%s", time.Duration(tries)*viewservice.PingInterval, v, noPingHint(v)))
	return v
}

// noPingHint explains a view that never left view 0.
func noPingHint(v viewservice.View) string {
	if v.Viewnum != 0 {
		return ""
	}
	return "\n  (view 0: no server has pinged the view service yet; each server pings it every PingInterval from its ticker)"
}

// do runs op (a clerk operation) and waits for it at most opDeadline. It
// reports whether op returned. A clerk whose operation did not return must
// not be used again: its goroutine is still running the operation.
func do(op func()) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		op()
	}()
	t := time.NewTimer(opDeadline)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// get reads key through ck, failing the test now if the Get never returns.
func (c *cluster) get(ck *Clerk, key string) string {
	c.t.Helper()
	var v string
	if !do(func() { v = ck.Get(key) }) {
		c.failStuck(fmt.Sprintf("Get(%q)", key))
	}
	return v
}

// put writes key through ck, failing the test now if the Put never returns.
func (c *cluster) put(ck *Clerk, key, value string) {
	c.t.Helper()
	if !do(func() { ck.Put(key, value) }) {
		c.failStuck(fmt.Sprintf("Put(%q, %q)", key, value))
	}
}

// appendTo appends to key through ck, failing the test now if the Append
// never returns.
func (c *cluster) appendTo(ck *Clerk, key, value string) {
	c.t.Helper()
	if !do(func() { ck.Append(key, value) }) {
		c.failStuck(fmt.Sprintf("Append(%q, %q)", key, value))
	}
}

// failStuck ends the test because a clerk operation did not return.
func (c *cluster) failStuck(op string) {
	c.t.Helper()
	require.FailNow(c.t, ruleRecovers.explain("%s did not return within %v (the view is now %+v)%s", op, opDeadline, c.view(), c.silentServers()))
}

// check reads key through ck and asserts that it is want, as r says.
func (c *cluster) check(ck *Clerk, key, want string, r rule) {
	c.t.Helper()
	got := c.get(ck, key)
	assert.Equal(c.t, want, got, r.explain("Get(%q) returned the wrong value", key))
}

// note writes a line to the test log and to the network's journal, so that
// a failing test's message diagram shows the phases of the scenario.
func (c *cluster) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.t.Log(time.Now().Format("15:04:05.000"), msg) // virtual time in a bubble
	c.net.Note("test", msg)
}

// The openings that several scenarios share.

// startPrimary starts s1 alone, waits for wait, and fails the test now
// unless s1 is primary by then. It returns the view.
func (c *cluster) startPrimary(wait time.Duration) viewservice.View {
	c.t.Helper()
	c.start("s1")
	time.Sleep(wait)
	v := c.view()
	require.Equal(c.t, "s1", v.Primary, ruleFirstPrimary.explain(
		"the first server never became primary: %+v%s", v, noPingHint(v)))
	return v
}

// startPair starts s1, then s2, waits for the view (s1, s2), and gives the
// primary a second to send the backup the state and ack the view. It
// returns the view (s1, s2).
func (c *cluster) startPair() viewservice.View {
	c.t.Helper()
	c.start("s1")
	time.Sleep(deadtime)
	c.start("s2")
	v := c.requireView(10, "s1", "s2", ruleAckedView)
	time.Sleep(time.Second)
	return v
}

// startTogether starts the servers called names at once, waits for a view
// with a primary and a backup, and then for deadtime, while the views
// settle.
func (c *cluster) startTogether(names ...string) {
	c.t.Helper()
	for _, name := range names {
		c.start(name)
	}
	c.requirePair(10)
	time.Sleep(deadtime)
}

// startCrashLoop starts s1, s2 and s3, waits for a primary and a backup,
// and starts the crasher under the scenario's title. The function it
// returns stops the crasher, with every server running again.
func (c *cluster) startCrashLoop(title string) (stop func()) {
	c.t.Helper()
	servers := []string{"s1", "s2", "s3"}
	c.startTogether(servers...)

	c.note("%s", title)
	stopCh, done := make(chan struct{}), make(chan struct{})
	go c.crasher(servers, c.testRand(0), stopCh, done)
	return func() {
		close(stopCh)
		<-done
	}
}

// assertGetBlocks checks that a Get of key does not return within 2 s,
// because no server may serve it (because says what makes that so). The
// Get never returns; Run ends it with the network.
func (c *cluster) assertGetBlocks(ck *Clerk, key, because string) {
	c.t.Helper()
	got := make(chan string, 1)
	go func() { got <- ck.Get(key) }()
	select {
	case v := <-got:
		assert.Fail(c.t, ruleNoStateNoLead.explain("Get(%q) returned %q although %s", key, v, because))
	case <-time.After(2 * time.Second):
	}
}

// crashPeriod is how long the crasher keeps a server down, and then up:
// twice the time the view service takes to notice a death, so that it
// notices each, and a restarted server has time to rejoin.
const crashPeriod = 2 * deadtime

// crasher kills a random server of names, waits crashPeriod, restarts it,
// and waits crashPeriod again, until stop is closed; at most one server is
// down at a time. Run it in a goroutine of its own; it closes done when it
// ends.
func (c *cluster) crasher(names []string, rng *rand.Rand, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for {
		name := names[rng.IntN(len(names))]
		c.kill(name)
		c.net.Note("test", "crash "+name)
		if !sleepUnless(crashPeriod, stop) {
			c.start(name)
			return
		}
		c.start(name)
		c.net.Note("test", "restart "+name)
		if !sleepUnless(crashPeriod, stop) {
			return
		}
	}
}

// sleepUnless sleeps for d unless stop is closed first; it reports whether
// it slept the whole time.
func sleepUnless(d time.Duration, stop <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-stop:
		return false
	}
}

// testRand returns a random source for one of a test's own actors (the
// crasher, a client), seeded from the network's seed and the actor's number,
// so that a replay makes the same choices.
func (c *cluster) testRand(actor int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(c.net.Seed()), 0x7465737400+uint64(actor)))
}

// checkAppends checks that v holds, for each client i, the elements
// "x i j y" for j in [0, counts[i]) exactly once each and in order.
//
// explain, if not nil, adds what it can tell about an element found twice
// (twice) or missing to the failure message.
func checkAppends(t *testing.T, v string, counts []int, where string, explain func(elem string, twice bool) string) {
	t.Helper()
	hint := func(elem string, twice bool) string {
		if explain == nil {
			return ""
		}
		return explain(elem, twice)
	}
	for i, n := range counts {
		last := -1
		for j := range n {
			elem := fmt.Sprintf("x %d %d y", i, j)
			off := strings.Index(v, elem)
			if !assert.GreaterOrEqual(t, off, 0, ruleAppendsKept.explain(
				"%s: element %q is missing from the value%s", where, elem, hint(elem, false))) {
				return
			}
			if !assert.Equal(t, -1, strings.Index(v[off+len(elem):], elem), ruleAppendOnce.explain(
				"%s: element %q appears twice%s", where, elem, hint(elem, true))) {
				return
			}
			if !assert.Greater(t, off, last, ruleAppendOrder.explain(
				"%s: element %q comes before the element appended just before it", where, elem)) {
				return
			}
			last = off
		}
	}
}

// serverGoroutines returns the stacks of goroutines that run code of a
// PBServer: its ticker, its handlers, anything it started.
func serverGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var found []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "pbservice.(*PBServer)") {
			found = append(found, g)
		}
	}
	return found
}
