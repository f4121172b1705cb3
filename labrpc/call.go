package labrpc

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"runtime/debug"
	"time"

	"pblab/internal/faults"
)

// ClientEnd makes calls under one caller's name. It is safe for concurrent
// use.
type ClientEnd struct {
	net   *Network
	name  string
	epoch int // the DeleteServer count of name when the end was made
}

// Name returns the name the end calls under.
func (e *ClientEnd) Name() string { return e.name }

// a callPlan is what the network decided for one call when it was sent.
type callPlan struct {
	id        uint64
	srv       *server // nil if the server is unknown or crashed
	everAdded bool    // a server of that name was added at some point
	reachable bool    // the request could be delivered when it was sent
	remote    bool    // the server is in another process, reached over TCP (DialTCP)
	topology  uint64  // the network's topology count when it was sent
	fate      faults.Fate
}

// Call sends a request to the RPC method svcMeth ("Service.Method") of the
// server called server, waits for the reply, and reports whether it came.
// args is copied before Call returns or sends anything; the reply is copied
// into reply, which must be a pointer to the handler's reply type. See the
// package doc for what false means. After Cleanup, Call ends the calling
// goroutine instead of returning.
func (e *ClientEnd) Call(server, svcMeth string, args, reply any) bool {
	n := e.net
	if n.closed() {
		runtime.Goexit()
	}
	c := &call{n: n, e: e, p: n.plan(e, server, svcMeth, true), server: server, svcMeth: svcMeth, rec: n.recording.Load()}
	p := &c.p
	if p.remote {
		return c.callRemote(args, reply)
	}

	// Find the handler, and check that args and reply fit it. A mistake
	// fails the call at once, and is reported once.
	var m *method
	var mistake error
	if p.srv != nil {
		if m, mistake = p.srv.lookup(svcMeth); mistake == nil {
			mistake = m.checkTypes(args, reply)
		}
	} else if !p.everAdded {
		n.warnOnce("server "+server, "labrpc: Call(%q, %q): no server called %q was ever added", server, svcMeth, server)
	}
	replyv := reflect.ValueOf(reply)
	n.warnReplyNotZero(server, svcMeth, replyv)

	// Copy the args now: the caller may change them as soon as we return.
	src := reflect.Indirect(reflect.ValueOf(args))
	var argv reflect.Value
	if m != nil && mistake == nil {
		n.warnUnsent(m.argCodec)
		argv = reflect.New(m.argType)
		size, err := m.argCodec.copy(argv, src)
		if err != nil {
			c.sent(src, 0)
			return c.failToCopy("args", src.Type(), err)
		}
		c.sent(src, size)
	} else {
		// No handler will see the args, but they still went on the wire.
		c.sent(src, n.sizeOf(src))
	}
	if mistake != nil {
		n.warnOnce("mistake "+server+" "+svcMeth+" "+mistake.Error(), "labrpc: Call(%q, %q): %v", server, svcMeth, mistake)
		return c.fail(EventFail, mistake.Error())
	}

	if !c.deliverRequest(m, argv) {
		return false
	}
	replyCopy, ok, why := n.runHandler(p.srv, m, argv)
	if !ok {
		return c.fail(EventFail, why)
	}
	if !c.deliverReply() {
		return false
	}
	n.warnUnsent(m.replyCodec)
	size, err := m.replyCodec.copy(replyv, replyCopy.Elem())
	if err != nil {
		return c.failToCopy("reply", replyv.Type(), err)
	}
	n.totalBytes.Add(int64(size))
	if c.rec {
		c.message(EventReply, size, replyv.Elem())
	}
	return true
}

// warnReplyNotZero says, once per type, that a reply passed to Call is not
// the zero value, if it is not.
func (n *Network) warnReplyNotZero(server, svcMeth string, replyv reflect.Value) {
	if replyv.Kind() == reflect.Pointer && !replyv.IsNil() && !replyv.Elem().IsZero() {
		n.warnOnce("reply "+replyv.Type().String(),
			"labrpc: Call(%q, %q): the reply %s is not the zero value: fields the handler leaves at zero keep their old values. "+
				"Pass a new, empty reply to every Call.", server, svcMeth, replyv.Type())
	}
}

// call is one Call on its way through the network.
type call struct {
	n       *Network
	e       *ClientEnd
	p       callPlan // held here, not pointed to, so that it needs no allocation
	server  string
	svcMeth string
	rec     bool // the journal is on
}

func (c *call) event(kind EventKind, size int, detail string) {
	c.n.journal.add(Event{Time: time.Now(), Kind: kind, Call: c.p.id, From: c.e.name, To: c.server, Method: c.svcMeth, Size: size, Detail: detail})
}

// sent counts the request's bytes and journals it.
func (c *call) sent(args reflect.Value, size int) {
	c.n.totalBytes.Add(int64(size))
	if c.rec {
		c.message(EventSend, size, args)
	}
}

// fail journals the end of a failed call and returns false.
func (c *call) fail(kind EventKind, why string) bool {
	if c.rec {
		c.event(kind, 0, why)
	}
	return false
}

// failToCopy fails the call because its args or reply (what) of type t
// could not be copied, and says why on the log, once per type; a message
// over MaxMessageSize is said once per method instead.
func (c *call) failToCopy(what string, t reflect.Type, err error) bool {
	var big *tooBigError
	if errors.As(err, &big) {
		are := "the args are"
		if what == "reply" {
			are = "the reply is"
		}
		c.n.warnOnce("too big "+what+" "+c.server+" "+c.svcMeth, "labrpc: Call(%q, %q): %s %s encoded, more than MaxMessageSize (%s): the call fails",
			c.server, c.svcMeth, are, megabytes(big.size), megabytes(MaxMessageSize))
		return c.fail(EventFail, fmt.Sprintf("%s %s, more than MaxMessageSize", are, megabytes(big.size)))
	}
	c.n.warnOnce("copy "+t.String(), "labrpc: Call(%q, %q): cannot copy the %s: %v", c.server, c.svcMeth, what, err)
	return c.fail(EventFail, "cannot copy the "+what+": "+err.Error())
}

// deliverRequest carries the request, whose copy for the handler m is
// argv, to the server as the call's fate says, and reports whether it
// arrived; if not, it journals why. It sends the late or repeated
// deliveries the fate asks for.
func (c *call) deliverRequest(m *method, argv reflect.Value) bool {
	f := &c.p.fate
	if !c.p.reachable {
		if !c.n.wait(f.FailAfter) {
			return c.fail(EventFail, "network cleaned up")
		}
		return c.fail(EventFail, "unreachable")
	}
	if f.RequestDelay > 0 && !c.n.wait(f.RequestDelay) {
		return c.fail(EventFail, "network cleaned up")
	}
	if f.DropRequest {
		c.fail(EventDropRequest, "")
		if f.DeliverLate > 0 {
			c.resend(EventDeliverLate, f.DeliverLate-f.RequestDelay, m, argv)
		}
		return false
	}
	if !c.stillReachable() {
		return c.fail(EventFail, "unreachable")
	}
	c.p.srv.count.Add(1)
	if c.rec {
		c.event(EventDeliver, 0, "")
	}
	if f.Repeat > 0 {
		c.resendCopy(f.Repeat-f.RequestDelay, m, argv)
	}
	return true
}

// deliverReply carries the handler's reply back as the call's fate says,
// and reports whether it arrived; if not, it journals why.
func (c *call) deliverReply() bool {
	if !c.stillReachable() {
		return c.fail(EventDropReply, "unreachable")
	}
	f := &c.p.fate
	if f.DropReply {
		return c.fail(EventDropReply, "")
	}
	if f.HoldReply > 0 {
		if !c.n.wait(f.HoldReply) {
			return c.fail(EventFail, "network cleaned up")
		}
		// A reply held back is still in flight: a crash, a partition or
		// a cut since the handler returned loses it.
		if !c.stillReachable() {
			return c.fail(EventDropReply, "unreachable")
		}
	}
	return true
}

// stillReachable reports whether a message can still pass between the
// caller and the server. While nothing has crashed, restarted or been
// partitioned since the call was sent, the answer is the one of that moment.
func (c *call) stillReachable() bool {
	if c.n.topology.Load() == c.p.topology {
		return c.p.reachable
	}
	c.n.mu.Lock()
	defer c.n.mu.Unlock()
	if c.p.remote {
		return c.n.linkUpLocked(c.e, c.server)
	}
	return c.n.reachableLocked(c.e, c.server, c.p.srv)
}

// plan numbers a call, counts it, notes whether it can be delivered, and
// decides its fate, all under one lock. With dial set, a call to a name
// that has no server here goes to another process if DialTCP is on.
func (n *Network) plan(e *ClientEnd, server, svcMeth string, dial bool) callPlan {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.totalCount++
	n.callIDs++
	srv := n.servers[server]
	remote := srv == nil && dial && n.dialTCP
	reachable := (srv != nil || remote) && n.linkUpLocked(e, server)
	fate := n.decideLocked(faults.Call{
		ID: n.callIDs, From: e.name, To: server, Method: svcMeth,
		Reliable: n.reliable || n.reliableTo[server], LongDelays: n.longDelays, LongReordering: n.longReordering,
		LateRequests: n.lateRequests, Reachable: reachable,
	})
	if len(n.delays) > 0 {
		fate.RequestDelay += n.delays[link{e.name, server}] // LinkDelay's, on top of the fate's
	}
	return callPlan{
		id:        n.callIDs,
		srv:       srv,
		everAdded: n.counts[server] != nil,
		reachable: reachable,
		remote:    remote,
		topology:  n.topology.Load(),
		fate:      fate,
	}
}

// reachableLocked reports whether a message can pass between e and srv
// right now: srv still runs under its name, and the link is up.
func (n *Network) reachableLocked(e *ClientEnd, server string, srv *server) bool {
	return srv != nil && n.servers[server] == srv && n.linkUpLocked(e, server)
}

// linkUpLocked reports whether the link from e to the name server is up
// right now: e's name has not crashed since e was made, no partition
// separates the two names, and the link is not cut.
func (n *Network) linkUpLocked(e *ClientEnd, server string) bool {
	return (e.name == "" || n.epochs[e.name] == e.epoch) &&
		n.connectedLocked(e.name, server) &&
		(len(n.cuts) == 0 || !n.cuts[link{e.name, server}])
}

// sizeOf returns the size of v's encoding, or 0 if it has none.
func (n *Network) sizeOf(v reflect.Value) int {
	if !v.IsValid() {
		return 0
	}
	tc := n.codec.forType(v.Type())
	size, err := tc.copy(reflect.New(v.Type()), v)
	if err != nil {
		return 0
	}
	return size
}

// checkTypes explains why args or reply do not fit the handler, if they don't.
func (m *method) checkTypes(args, reply any) error {
	at := reflect.TypeOf(args)
	if at != nil && at.Kind() == reflect.Pointer {
		if reflect.ValueOf(args).IsNil() {
			return fmt.Errorf("args is a nil %s", at)
		}
		at = at.Elem()
	}
	if at != m.argType {
		return fmt.Errorf("args has type %v, but the handler takes *%s", reflect.TypeOf(args), m.argType)
	}
	rt := reflect.TypeOf(reply)
	if rt == nil || rt.Kind() != reflect.Pointer || rt.Elem() != m.replyType || reflect.ValueOf(reply).IsNil() {
		return fmt.Errorf("reply has type %v, but the handler needs a non-nil *%s", rt, m.replyType)
	}
	return nil
}

type handlerResult struct {
	reply reflect.Value // *R
	err   error
}

// A job is one request for a server's worker.
type job struct {
	m    *method
	argv reflect.Value
	done chan<- handlerResult // buffered: the worker never waits for the caller
}

// runHandler runs the handler on one of the server's workers and waits for
// it, for the server's crash or Cleanup, or for HandlerTimeout, whichever
// comes first. A handler that outlives the wait goes on running; its reply
// is lost.
func (n *Network) runHandler(srv *server, m *method, argv reflect.Value) (reflect.Value, bool, string) {
	w, _ := n.waiters.Get().(*waiter)
	if w == nil {
		w = &waiter{done: make(chan handlerResult, 1), timeout: time.NewTimer(HandlerTimeout)}
	} else {
		w.timeout.Reset(HandlerTimeout)
	}
	n.dispatch(srv, job{m: m, argv: argv, done: w.done})
	select {
	case res := <-w.done:
		// The handler has sent its one result, so w can serve another
		// call. A stopped timer sends nothing more.
		w.timeout.Stop()
		n.waiters.Put(w)
		if res.err != nil {
			return reflect.Value{}, false, "handler returned error: " + res.err.Error()
		}
		return res.reply, true, ""
	case <-srv.stopped:
		w.timeout.Stop()
		if n.closed() {
			return reflect.Value{}, false, "network cleaned up"
		}
		return reflect.Value{}, false, "server crashed during the call"
	case <-w.timeout.C:
		n.warnOnce("timeout "+srv.name+" "+m.name, "labrpc: the handler %s on server %q has not returned after HandlerTimeout (%v): "+
			"its call fails, and its reply will be lost. Does it wait for a lock held across a call, or for a call?", m.name, srv.name, HandlerTimeout)
		return reflect.Value{}, false, fmt.Sprintf("handler still running after %v", HandlerTimeout)
	}
}

// A waiter is what a call waits on for its handler: the channel the result
// comes on, and the HandlerTimeout timer. Waiters are reused, except when
// the call gave up on its handler, which may still send a result later.
type waiter struct {
	done    chan handlerResult // buffered: the handler never waits for the caller
	timeout *time.Timer
}

// maxIdleWorkers bounds how many idle workers a server keeps.
const maxIdleWorkers = 16

// dispatch hands j to an idle worker of srv, or starts a new one. Handlers
// run on worker goroutines, never on the caller's, so that a Call can give
// up on a handler that does not return. Workers are reused because a fresh
// goroutine costs more than the rest of a call; an idle worker ends when
// its server crashes or the network is cleaned up.
func (n *Network) dispatch(srv *server, j job) {
	select {
	case srv.jobs <- j:
	default:
		go n.work(srv, j)
	}
}

// work runs j, then waits for more jobs until srv crashes, the network is
// cleaned up, or there are enough idle workers already.
func (n *Network) work(srv *server, j job) {
	for {
		j.m.run(srv.name, j.argv, j.done)
		if srv.idle.Add(1) > maxIdleWorkers {
			srv.idle.Add(-1)
			return
		}
		select {
		case j = <-srv.jobs:
			srv.idle.Add(-1)
		case <-srv.stopped:
			return
		}
	}
}

// run calls the handler. A panic in it is a bug in the server; it is raised
// again with the server and method named, since the goroutine's stack alone
// does not say which call it served.
func (m *method) run(server string, argv reflect.Value, done chan<- handlerResult) {
	defer func() {
		if r := recover(); r != nil {
			panic(fmt.Sprintf("labrpc: the handler %s on server %q panicked: %v\n\n%s", m.name, server, r, debug.Stack()))
		}
	}()
	reply := reflect.New(m.replyType)
	in := argv
	if !m.argIsPtr {
		in = argv.Elem()
	}
	out := m.fn.Call([]reflect.Value{m.rcvr, in, reply})
	var err error
	if m.hasError && !out[0].IsNil() {
		err = out[0].Interface().(error)
	}
	done <- handlerResult{reply: reply, err: err}
}
