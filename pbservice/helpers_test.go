package pbservice

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

// Where the guide explains each rule the tests check. Every failure message
// names one of them.
const (
	docPings     = "docs/part-b-pbservice.md#step-1-the-ticker-and-pings"
	docHandlers  = "docs/part-b-pbservice.md#step-2-handlers-over-a-map"
	docForward   = "docs/part-b-pbservice.md#step-3-forwarding-to-the-backup"
	docTransfer  = "docs/part-b-pbservice.md#step-4-state-transfer"
	docDedupe    = "docs/part-b-pbservice.md#step-5-duplicate-detection-and-retries"
	docClerk     = "docs/part-b-pbservice.md#step-6-failover-in-the-clerk"
	docPartition = "docs/part-b-pbservice.md#step-7-partitions-and-the-stale-primary"
	docLinear    = "docs/part-b-pbservice.md#linearizability"
	docKill      = "docs/part-b-pbservice.md#kill-and-goroutines"
)

// deadtime is how long the view service takes to notice that a server died.
const deadtime = viewservice.PingInterval * viewservice.DeadPings

// opDeadline bounds one clerk operation in a test. It is long: an operation
// may wait out a failover, or a call to a server whose handler is stuck
// (labrpc.HandlerTimeout).
const opDeadline = 30 * time.Second

// why formats a failure message: what went wrong, the rule it breaks, and
// where the guide explains that rule.
func why(rule, doc, format string, args ...any) string {
	return fmt.Sprintf("%s\n  rule: %s\n  see: %s", fmt.Sprintf(format, args...), rule, doc)
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
	clerks  int                  // clerks made so far, for their names
}

// newCluster starts a view service on a new network. The cluster's servers
// and view service are killed when the test body returns.
func newCluster(t *testing.T, reliable bool) *cluster {
	t.Helper()
	c := &cluster{t: t, net: labtest.NewNetwork(t), vshost: "vs", servers: map[string]*PBServer{}}
	labtest.Describe(t, c.net, viewDiagram(c.vshost))
	c.net.Reliable(reliable)
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
// and backup, and fails the test now if it does not.
func (c *cluster) requireView(tries int, primary, backup, rule, doc string) viewservice.View {
	c.t.Helper()
	v, ok := c.waitView(tries, func(v viewservice.View) bool { return v.Primary == primary && v.Backup == backup })
	if !ok && v.Viewnum == 0 {
		rule, doc = ruleFirstPrimary, docPings
	}
	require.True(c.t, ok, why(rule, doc, "the view should be primary=%q backup=%q, but it is %+v after %v%s",
		primary, backup, v, time.Duration(tries)*viewservice.PingInterval, noPingHint(v)))
	return v
}

// requirePair waits (up to tries pings) for a view with a primary and a
// backup, and fails the test now if none comes.
func (c *cluster) requirePair(tries int) viewservice.View {
	c.t.Helper()
	v, ok := c.waitView(tries, func(v viewservice.View) bool { return v.Primary != "" && v.Backup != "" })
	require.True(c.t, ok, why("the primary acks each view by pinging with its number, so an idle server can become backup", docPings,
		"no view with a primary and a backup after %v: %+v%s", time.Duration(tries)*viewservice.PingInterval, v, noPingHint(v)))
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
	require.FailNow(c.t, why(
		"a clerk retries until the service answers, and the service recovers once a primary holding the state is up",
		docClerk, "%s did not return within %v (the view is now %+v)", op, opDeadline, c.view()))
}

// check reads key through ck and asserts that it is want.
func (c *cluster) check(ck *Clerk, key, want, rule, doc string) {
	c.t.Helper()
	got := c.get(ck, key)
	assert.Equal(c.t, want, got, why(rule, doc, "Get(%q) returned the wrong value", key))
}

// note writes a line to the test log and to the network's journal, so that
// a failing test's message diagram shows the phases of the scenario.
func (c *cluster) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.t.Log(time.Now().Format("15:04:05.000"), msg) // virtual time in a bubble
	c.net.Note("test", msg)
}

// crasher kills a random server of names, waits a second, restarts it, and
// waits another second, until stop is closed; at most one server is down at
// a time. Run it in a goroutine of its own; it closes done when it ends.
// startCrashLoop starts s1, s2 and s3, waits for a primary and a backup,
// and starts the crasher under the scenario's title. The function it
// returns stops the crasher, with every server running again.
func (c *cluster) startCrashLoop(title string) (stop func()) {
	c.t.Helper()
	servers := []string{"s1", "s2", "s3"}
	for _, s := range servers {
		c.start(s)
	}
	c.requirePair(10)
	time.Sleep(deadtime)

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
		assert.Fail(c.t, why(ruleNoStateNoLead, docTransfer,
			"Get(%q) returned %q although %s", key, v, because))
	case <-time.After(2 * time.Second):
	}
}

func (c *cluster) crasher(names []string, rng *rand.Rand, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for {
		name := names[rng.IntN(len(names))]
		c.kill(name)
		c.net.Note("test", "crash "+name)
		if !sleepUnless(time.Second, stop) {
			c.start(name)
			return
		}
		c.start(name)
		c.net.Note("test", "restart "+name)
		if !sleepUnless(time.Second, stop) {
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
func checkAppends(t *testing.T, v string, counts []int, where string) {
	t.Helper()
	for i, n := range counts {
		last := -1
		for j := range n {
			elem := fmt.Sprintf("x %d %d y", i, j)
			off := strings.Index(v, elem)
			if !assert.GreaterOrEqual(t, off, 0, why(
				"every Append the service acknowledged takes effect exactly once, in the order each client issued it",
				docDedupe, "%s: element %q is missing from the value", where, elem)) {
				return
			}
			if !assert.Equal(t, -1, strings.Index(v[off+len(elem):], elem), why(
				"every Append takes effect at most once, however often the clerk sent it",
				docDedupe, "%s: element %q appears twice", where, elem)) {
				return
			}
			if !assert.Greater(t, off, last, why(
				"a client's Appends take effect in the order it issued them",
				docDedupe, "%s: element %q comes before the element appended just before it", where, elem)) {
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
