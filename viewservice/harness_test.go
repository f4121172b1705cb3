package viewservice

// The helpers of Part A's tests: the rules the tests check (each with the
// section of the guide that explains it), the invariant checker that every
// view a test sees goes through, the scenario helpers that drive a view
// service over labrpc, and the driver of the table-driven tests of
// viewState.

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"pblab/internal/diagram"
	"pblab/internal/labtest"
	"pblab/labrpc"
)

// guide is the page whose Specification box states every rule below.
const guide = "docs/part-a-viewservice.md"

// A rule is one rule of the view service's specification, as a failure
// message names it.
type rule struct {
	id   string // the rule's number in the guide's Specification box, "A3"
	name string // what a failure message calls it
}

var (
	ruleServer       = rule{"A1", "the view service answers"}
	ruleKill         = rule{"A1", "Kill"}
	ruleStartup      = rule{"A2", "view 0"}
	ruleFirstPrimary = rule{"A3", "first primary"}
	ruleReply        = rule{"A4", "ping reply"}
	ruleGet          = rule{"A4", "Get changes nothing"}
	ruleBackup       = rule{"A5", "first backup"}
	ruleNoSpurious   = rule{"A6", "no view change without a reason"}
	ruleDead         = rule{"A7", "failure detection"}
	ruleSuccessor    = rule{"A8", "successor rule"}
	ruleAck          = rule{"A9", "ack rule"}
	ruleRestart      = rule{"A10", "restart rule"}
	ruleIdle         = rule{"A11", "idle servers"}
	ruleUninit       = rule{"A12", "an idle server is never primary"}
	ruleDeadIdle     = rule{"A13", "dead idle server"}
)

// doc returns where the guide states the rule: its anchor in the
// Specification box.
func (r rule) doc() string { return guide + "#" + strings.ToLower(r.id) }

// explain formats a failure message: the rule, what went wrong, and where
// the guide states the rule.
func (r rule) explain(format string, args ...any) string {
	return fmt.Sprintf("rule %s (%s): %s (%s)", r.id, r.name, fmt.Sprintf(format, args...), r.doc())
}

// show prints a view for a failure message.
func show(v View) string {
	return fmt.Sprintf("view %d (primary %s, backup %s)", v.Viewnum, orNone(v.Primary), orNone(v.Backup))
}

// patience bounds every wait for the view service to do something: three
// times as long as it takes to declare a server dead.
const patience = 3 * DeadPings * PingInterval

// testCap bounds each scenario test's whole duration.
const testCap = 60 * time.Second

// stubHint is added to a failure when the view service answers view 0
// after servers have pinged it.
const stubHint = "; the view service still answers view 0 after pings: " +
	"are handlePing and currentView written?"

// ---------------------------------------------------------------------------
// The invariant checker.

// A viewLog checks every view a test sees against every view seen before,
// for the invariants that hold whatever the servers do: view 0 is empty;
// from view 1 on there is a primary, and it is not also the backup; a view
// number always names the same view; the view service never goes back to an
// older view and never skips a number; the primary of view i+1 was primary
// or backup of view i; and consecutive views differ. Each invariant is
// reported once per test, with the views seen so far, as a breach of the
// rule it follows from.
type viewLog struct {
	t        *testing.T
	mu       sync.Mutex
	byNum    map[uint]View
	latest   View
	seen     []View // each distinct view, in the order first seen
	reported map[string]bool
}

// An invariant is one property that every view a test sees must have, and
// the rule of the specification it follows from.
type invariant struct {
	name string
	rule rule
}

var (
	invViewZero    = invariant{"view 0 is empty", ruleStartup}
	invHasPrimary  = invariant{"every view has a primary", ruleSuccessor}
	invTwoServers  = invariant{"primary and backup differ", ruleBackup}
	invOneView     = invariant{"a view number names one view", ruleNoSpurious}
	invNeverBack   = invariant{"views never go back", ruleNoSpurious}
	invRiseByOne   = invariant{"view numbers rise by one", ruleAck}
	invSuccessor   = invariant{"successor rule", ruleSuccessor}
	invViewsDiffer = invariant{"consecutive views differ", ruleNoSpurious}
)

func newViewLog(t *testing.T) *viewLog {
	return &viewLog{t: t, byNum: map[uint]View{}, reported: map[string]bool{}}
}

// observe checks v, which the test saw as how ("s1's Ping(0)", "Get").
func (l *viewLog) observe(v View, how string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fail := func(inv invariant, format string, args ...any) {
		if l.reported[inv.name] {
			return
		}
		l.reported[inv.name] = true
		l.t.Errorf("%s", inv.rule.explain("invariant %q: %s, seen as the reply to %s; views seen before: %s",
			inv.name, fmt.Sprintf(format, args...), how, l.history()))
	}
	n := v.Viewnum
	switch {
	case n == 0 && v != (View{}):
		fail(invViewZero, "got %s; before the first ping the view is view 0, with no primary and no backup", show(v))
	case n > 0 && v.Primary == "":
		fail(invHasPrimary, "got %s; from view 1 on every view has a primary", show(v))
	case v.Primary != "" && v.Primary == v.Backup:
		fail(invTwoServers, "got %s; one server cannot be both", show(v))
	}
	if old, ok := l.byNum[n]; ok {
		if old != v {
			fail(invOneView, "got %s, but earlier %s", show(v), show(old))
		}
		if n < l.latest.Viewnum {
			fail(invNeverBack, "got %s after %s", show(v), show(l.latest))
		}
		return
	}
	switch {
	case n < l.latest.Viewnum:
		fail(invNeverBack, "got %s after %s", show(v), show(l.latest))
	case n > l.latest.Viewnum+1:
		fail(invRiseByOne, "got %s right after %s: a number was skipped, "+
			"or a view came and went before anyone saw it, which the ack rule forbids", show(v), show(l.latest))
	}
	if prev, ok := l.byNum[n-1]; ok && n >= 2 {
		l.checkSuccession(prev, v, fail)
	}
	if next, ok := l.byNum[n+1]; ok && n >= 1 {
		l.checkSuccession(v, next, fail)
	}
	l.byNum[n] = v
	l.seen = append(l.seen, v)
	if n > l.latest.Viewnum || len(l.seen) == 1 {
		l.latest = v
	}
}

// checkSuccession checks that next may follow prev.
func (l *viewLog) checkSuccession(prev, next View, fail func(inv invariant, format string, args ...any)) {
	if next.Primary != prev.Primary && next.Primary != prev.Backup {
		fail(invSuccessor, "%s follows %s, but its primary was neither primary nor backup of the view before",
			show(next), show(prev))
	}
	if next.Primary == prev.Primary && next.Backup == prev.Backup {
		fail(invViewsDiffer, "%s follows %s with the same primary and backup: a new view needs a reason",
			show(next), show(prev))
	}
}

// history lists the distinct views seen so far.
func (l *viewLog) history() string {
	if len(l.seen) == 0 {
		return "none"
	}
	parts := make([]string, len(l.seen))
	for i, v := range l.seen {
		parts[i] = fmt.Sprintf("%d (%s, %s)", v.Viewnum, orNone(v.Primary), orNone(v.Backup))
	}
	return strings.Join(parts, " -> ")
}

// ---------------------------------------------------------------------------
// Scenarios over labrpc.

// vsName is the view service's name on the network.
const vsName = "vs"

// viewDiagram tells the message diagram of a failing test which server is
// the view service and which messages carry a view.
var viewDiagram = diagram.Description{
	ViewServices: []string{vsName},
	View: func(msg any) (diagram.View, bool) {
		var v View
		switch r := msg.(type) {
		case PingReply:
			v = r.View
		case GetReply:
			v = r.View
		default:
			return diagram.View{}, false
		}
		return diagram.View{Viewnum: v.Viewnum, Primary: v.Primary, Backup: v.Backup}, true
	},
}

// A cluster is a view service and the servers that ping it, as a scenario
// drives them. The servers are clerks that ping as a key/value server
// would; every view they or Get see goes through the invariant checker.
type cluster struct {
	t   *testing.T
	net *labrpc.Network
	vs  *ViewServer
	ck  *Clerk // an anonymous clerk, for Get
	log *viewLog
}

// scenario runs body as a test over labrpc, with a fresh view service.
func scenario(t *testing.T, body func(c *cluster)) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		labtest.Describe(t, net, viewDiagram)
		vs := StartServer(net, vsName)
		labtest.Teardown(t, vs.Kill)
		body(&cluster{t: t, net: net, vs: vs, ck: MakeClerk(net, "", vsName), log: newViewLog(t)})
	}, labtest.MaxVirtual(testCap))
}

// A server is a key/value server as far as the view service can tell: a
// name that pings, and the latest view the view service sent it.
type server struct {
	c    *cluster
	name string
	ck   *Clerk
	seen View
}

func (c *cluster) server(name string) *server {
	return &server{c: c, name: name, ck: MakeClerk(c.net, name, vsName)}
}

// ping sends one Ping(viewnum) from s and returns the reply.
func (s *server) ping(viewnum uint) View {
	s.c.t.Helper()
	v, err := s.ck.Ping(viewnum)
	require.NoError(s.c.t, err, ruleServer.explain("%s's Ping(%d) got no reply; the view service must answer every "+
		"call while it runs (did a handler panic, or block for longer than labrpc.HandlerTimeout?)", s.name, viewnum))
	s.c.log.observe(v, fmt.Sprintf("%s's Ping(%d)", s.name, viewnum))
	s.seen = v
	return v
}

// ack has s ping the number of the latest view it was sent, as a running
// server does once it has learnt a view; if the reply is a newer view, s
// pings again with its number (a few times at most).
func (s *server) ack() {
	s.c.t.Helper()
	for range 3 {
		n := s.seen.Viewnum
		if s.ping(n).Viewnum == n {
			return
		}
	}
}

// get reads the current view with Get.
func (c *cluster) get() View {
	c.t.Helper()
	v, ok := c.ck.Get()
	require.True(c.t, ok, ruleServer.explain("Get got no reply; the view service must answer every call while it runs "+
		"(did a handler panic, or block for longer than labrpc.HandlerTimeout?)"))
	c.log.observe(v, "Get")
	return v
}

// A pinger is how one server pings in each round of a scenario.
type pinger struct {
	s       *server
	desc    string
	viewnum func() uint
}

// healthy pings the number of the latest view s was sent, as a running
// key/value server does.
func (s *server) healthy() pinger {
	return pinger{s, s.name + " pings the latest view number it was sent", func() uint { return s.seen.Viewnum }}
}

// fresh pings 0, as a server that has just started (and knows no view) does.
func (s *server) fresh() pinger {
	return pinger{s, s.name + " pings 0", func() uint { return 0 }}
}

// stuckAt always pings n, whatever it is sent.
func (s *server) stuckAt(n uint) pinger {
	return pinger{s, fmt.Sprintf("%s pings %d", s.name, n), func() uint { return n }}
}

// atCurrent pings the number of the current view, read with Get just
// before, whatever s was sent.
func (s *server) atCurrent() pinger {
	return pinger{s, s.name + " pings the current view number (read with Get)", func() uint { return s.c.get().Viewnum }}
}

func describe(ps []pinger) string {
	if len(ps) == 0 {
		return "no server pings"
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.desc
	}
	return strings.Join(parts, ", ")
}

// round has every pinger ping once, in order, then reads the view with Get.
func (c *cluster) round(ps []pinger) View {
	c.t.Helper()
	for _, p := range ps {
		p.s.ping(p.viewnum())
	}
	return c.get()
}

// pingUntil runs rounds of pings, one per PingInterval, until done holds of
// the view, and returns that view. If it does not hold within patience, the
// test fails with r's message, saying what it waited for (want).
func (c *cluster) pingUntil(r rule, want string, done func(View) bool, ps ...pinger) View {
	c.t.Helper()
	deadline := time.Now().Add(patience)
	pinged := false
	for {
		v := c.round(ps)
		pinged = pinged || len(ps) > 0
		if done(v) {
			return v
		}
		if !time.Now().Before(deadline) {
			hint := ""
			if pinged && v == (View{}) {
				hint = stubHint
			}
			require.Fail(c.t, r.explain("waited %v for %s, while every %v: %s; but the view is %s%s",
				patience, want, PingInterval, describe(ps), show(v), hint))
		}
		time.Sleep(PingInterval)
	}
}

// pingWhile runs rounds of pings, one per PingInterval, for d, and checks
// that every view read with Get satisfies ok; the first that does not fails
// the test with r's message, saying what should hold (want). It returns the
// last view.
func (c *cluster) pingWhile(d time.Duration, r rule, want string, ok func(View) bool, ps ...pinger) View {
	c.t.Helper()
	start := time.Now()
	for {
		v := c.round(ps)
		if !ok(v) {
			require.Fail(c.t, r.explain("%s, but after %v (every %v: %s) the view is %s",
				want, time.Since(start).Round(time.Millisecond), PingInterval, describe(ps), show(v)))
		}
		if time.Since(start) >= d {
			return v
		}
		time.Sleep(PingInterval)
	}
}

// pingFor runs rounds of pings, one per PingInterval, for d, and returns
// the last view.
func (c *cluster) pingFor(d time.Duration, ps ...pinger) View {
	c.t.Helper()
	return c.pingWhile(d, ruleServer, "", func(View) bool { return true }, ps...)
}

// expect checks, like the original lab's check, that Get and
// Clerk.Primary agree with want.
func (c *cluster) expect(r rule, want View, what string) {
	c.t.Helper()
	got := c.get()
	require.Equal(c.t, show(want), show(got), r.explain("%s: want %s, got %s", what, show(want), show(got)))
	require.Equal(c.t, want.Primary, c.ck.Primary(), r.explain("%s: Clerk.Primary must name the primary of the current view", what))
}

// sameView returns a check that the view is still v.
func sameView(v View) func(View) bool { return func(w View) bool { return w == v } }

// firstPrimary has s ping 0 until it is primary of view 1, then ack it.
func (c *cluster) firstPrimary(s *server) View {
	c.t.Helper()
	c.pingUntil(ruleFirstPrimary, s.name+" to become primary of view 1, as the first server to ping",
		func(v View) bool { return v.Primary != "" }, s.fresh())
	c.expect(ruleFirstPrimary, View{1, s.name, ""}, "the first server to ping is primary of view 1, with no backup")
	s.ack()
	return c.get()
}

// primaryAndBackup makes p primary and b backup of view 2, acked by p.
func (c *cluster) primaryAndBackup(p, b *server) View {
	c.t.Helper()
	c.firstPrimary(p)
	c.pingUntil(ruleBackup, b.name+" to become backup once the primary has acked view 1",
		func(v View) bool { return v.Backup != "" }, p.healthy(), b.fresh())
	c.expect(ruleBackup, View{2, p.name, b.name}, "an idle server becomes backup when there is none")
	p.ack()
	b.ack()
	return c.get()
}

// ---------------------------------------------------------------------------
// The driver of the table-driven tests of viewState.

// A stateCase is a sequence of pings, ticks and checks on one viewState.
type stateCase struct {
	name  string
	rule  rule
	steps []step
}

// A step is one event or check of a stateCase.
type step func(d *driver)

// A driver runs a stateCase. It keeps what a failure message needs: the
// events so far.
type driver struct {
	t       *testing.T
	c       stateCase
	s       viewState
	sent    map[string]uint // the view number of the latest reply to each server
	acked   map[uint]bool   // the views whose primary has pinged their number
	history []string
	log     *viewLog

	roundEvents string // the events of one round of the current rounds step
}

// runStateCases runs each case as a subtest.
func runStateCases(t *testing.T, cases []stateCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			labtest.Run(t, func(t *testing.T) {
				d := &driver{t: t, c: c, s: newViewState(), sent: map[string]uint{}, acked: map[uint]bool{}, log: newViewLog(t)}
				d.log.observe(d.s.currentView(), "currentView of a new viewState")
				for _, st := range c.steps {
					st(d)
				}
			})
		})
	}
}

func (d *driver) note(event string) { d.history = append(d.history, event) }

// fail reports that the view is not what the case wants.
func (d *driver) fail(format string, args ...any) {
	d.t.Helper()
	d.failRule(d.c.rule, d.c.name, format, args...)
}

// failRule reports that the view is not what r wants, in the part of the
// case that what names.
func (d *driver) failRule(r rule, what, format string, args ...any) {
	d.t.Helper()
	hint := ""
	if d.s.currentView() == (View{}) && strings.Contains(strings.Join(d.history, ","), "pings") {
		hint = "; the view is still view 0 after pings: is handlePing written?"
	}
	require.Fail(d.t, r.explain("%s: after [%s], %s%s", what, strings.Join(d.history, ", "), fmt.Sprintf(format, args...), hint))
}

func (d *driver) ping(me string, viewnum uint) {
	d.t.Helper()
	before := d.s.currentView()
	if me == before.Primary && viewnum == before.Viewnum {
		d.acked[viewnum] = true
	}
	reply := d.s.handlePing(me, viewnum)
	d.note(fmt.Sprintf("%s pings %d", me, viewnum))
	d.checkAck(before)
	d.log.observe(reply, fmt.Sprintf("handlePing(%q, %d)", me, viewnum))
	if cur := d.s.currentView(); reply != cur {
		require.Fail(d.t, ruleReply.explain("%s: after [%s], handlePing returned %s but currentView is %s: "+
			"a ping's reply is the current view, after the ping", d.c.name, strings.Join(d.history, ", "), show(reply), show(cur)))
	}
	d.sent[me] = reply.Viewnum
}

func (d *driver) tick() {
	d.t.Helper()
	before := d.s.currentView()
	d.s.handleTick()
	d.log.observe(d.s.currentView(), "currentView after handleTick")
	d.checkAck(before)
}

// checkAck fails the case if the view moved on from before although the
// primary of before had not acked it: whatever else a case is about, the
// ack rule comes first, and a failure should name it.
func (d *driver) checkAck(before View) {
	d.t.Helper()
	after := d.s.currentView()
	if after.Viewnum == before.Viewnum || before.Viewnum == 0 || d.acked[before.Viewnum] {
		return
	}
	d.failRule(ruleAck, fmt.Sprintf("in the case %q", d.c.name),
		"the view moved on from %s to %s, but %s never pinged %d: the view service must not leave a view before "+
			"its primary acks it, even when a server of it died, restarted, or an idle server waits to be backup",
		show(before), show(after), before.Primary, before.Viewnum)
}

// ping: me pings viewnum.
func ping(me string, viewnum uint) step {
	return func(d *driver) { d.t.Helper(); d.ping(me, viewnum) }
}

// acks: each server pings the number of the latest view it was sent, as a
// running server does.
func acks(servers ...string) step {
	return func(d *driver) {
		d.t.Helper()
		for _, me := range servers {
			d.ping(me, d.sent[me])
		}
	}
}

// ticks: n PingIntervals pass.
func ticks(n int) step {
	return func(d *driver) {
		for range n {
			d.tick()
		}
		if n == 1 {
			d.note("tick")
		} else {
			d.note(fmt.Sprintf("%d ticks", n))
		}
	}
}

// gets: currentView is called n times.
func gets(n int) step {
	return func(d *driver) {
		for range n {
			d.log.observe(d.s.currentView(), "currentView")
		}
		d.note(fmt.Sprintf("%d currentView calls", n))
	}
}

// rounds: n times, the pings, then a tick.
func rounds(n int, pings ...step) step {
	return func(d *driver) {
		d.t.Helper()
		for i := range n {
			d.round(i, n, pings)
		}
	}
}

// round runs round i of n: the pings, then a tick. The history keeps one
// line for all the rounds, "n rounds of (s1 pings 2, tick)", with i+1
// rounds counted so far.
func (d *driver) round(i, n int, pings []step) {
	d.t.Helper()
	mark := len(d.history)
	if i > 0 {
		mark-- // the line for rounds 0..i-1, replaced below
	}
	events := len(d.history)
	for _, p := range pings {
		p(d)
	}
	d.tick()
	what := strings.Join(append(d.history[events:], "tick"), ", ")
	if i > 0 {
		what = d.roundEvents
	}
	d.roundEvents = what
	d.history = append(d.history[:mark], fmt.Sprintf("%d of %d rounds of (%s)", i+1, n, what))
}

// want: the view is v.
func want(v View) step {
	return func(d *driver) {
		d.t.Helper()
		if got := d.s.currentView(); got != v {
			d.fail("the view is %s; want %s", show(got), show(v))
		}
	}
}

// wantThat: the view satisfies ok, which desc describes.
func wantThat(desc string, ok func(View) bool) step {
	return func(d *driver) {
		d.t.Helper()
		if got := d.s.currentView(); !ok(got) {
			d.fail("the view is %s; want %s", show(got), desc)
		}
	}
}

// stays: for n rounds of the pings, the view does not change.
func stays(n int, pings ...step) step {
	return func(d *driver) {
		d.t.Helper()
		before := d.s.currentView()
		for i := range n {
			d.round(i, n, pings)
			if got := d.s.currentView(); got != before {
				d.fail("the view changed from %s to %s, but these steps call for no change", show(before), show(got))
			}
		}
	}
}

// setupWant: while setting up a case, the view must be v, by rule r.
func setupWant(r rule, v View) step {
	return func(d *driver) {
		d.t.Helper()
		if got := d.s.currentView(); got != v {
			d.failRule(r, fmt.Sprintf("setting up the case %q", d.c.name), "the view is %s; want %s", show(got), show(v))
		}
	}
}

// Setup steps shared by many cases. They allow a view to be made in
// handlePing or at the next handleTick.

// primaryS1 makes s1 primary of view 1 and has it ack the view.
func primaryS1() []step {
	return []step{ping("s1", 0), ticks(1), setupWant(ruleFirstPrimary, View{1, "s1", ""}), acks("s1"), acks("s1")}
}

// s1AndS2 makes view 2 = (s1, s2), acked by s1, with both servers told of it.
func s1AndS2() []step {
	return append(primaryS1(), ping("s2", 0), ticks(1), acks("s1", "s2"), acks("s1", "s2"),
		setupWant(ruleBackup, View{2, "s1", "s2"}))
}

// steps concatenates step lists.
func steps(lists ...[]step) []step {
	var all []step
	for _, l := range lists {
		all = append(all, l...)
	}
	return all
}
