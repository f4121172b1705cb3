package labrpc

import (
	"fmt"
	"reflect"
	"runtime"
	"runtime/debug"
	"time"
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

// fate holds every random decision for one call. Each call draws all of them,
// in the same order, whether it needs them or not, so that the sequence of
// decisions depends only on the sequence of calls.
type fate struct {
	requestDelay time.Duration
	dropRequest  bool
	dropReply    bool
	holdReply    bool
	holdFor      time.Duration
	failAfter    time.Duration
}

// a callPlan is what the network decided for one call when it was sent.
type callPlan struct {
	id             uint64
	srv            *server // nil if the server is unknown or crashed
	reliable       bool
	longReordering bool
	fate           fate
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
	plan := n.plan(e, server)
	rec := n.recording.Load()

	fail := func(kind EventKind, why string) bool {
		if rec {
			n.journal.add(Event{Time: time.Now(), Kind: kind, Call: plan.id, From: e.name, To: server, Method: svcMeth, Detail: why})
		}
		return false
	}

	// A mistake in the call itself fails at once, and is reported once.
	var m *method
	if plan.srv != nil {
		var err error
		if m, err = plan.srv.lookup(svcMeth); err != nil {
			n.warnOnce("lookup "+server+" "+svcMeth, "labrpc: Call(%q, %q): %v", server, svcMeth, err)
			return fail(EventFail, err.Error())
		}
		if err := m.checkTypes(args, reply); err != nil {
			n.warnOnce("types "+svcMeth, "labrpc: Call(%q, %q): %v", server, svcMeth, err)
			return fail(EventFail, err.Error())
		}
	} else if !n.wasAdded(server) {
		n.warnOnce("server "+server, "labrpc: Call(%q, %q): no server called %q was ever added", server, svcMeth, server)
	}
	replyv := reflect.ValueOf(reply)
	if replyv.Kind() == reflect.Pointer && !replyv.IsNil() && !replyv.Elem().IsZero() {
		n.warnOnce("reply "+replyv.Type().String(),
			"labrpc: Call(%q, %q): the reply %s is not the zero value: fields the handler leaves at zero keep their old values. "+
				"Pass a new, empty reply to every Call.", server, svcMeth, replyv.Type())
	}

	// Copy the args now: the caller may change them as soon as we return.
	argv := reflect.Value{}
	if m != nil {
		src := reflect.Indirect(reflect.ValueOf(args))
		n.checkTypes(src.Type())
		argv = reflect.New(m.argType)
		size, err := n.codec.copy(argv, src)
		if err != nil {
			n.warnOnce("encode "+src.Type().String(), "labrpc: Call(%q, %q): %v", server, svcMeth, err)
			return fail(EventFail, err.Error())
		}
		n.addBytes(size)
		if rec {
			n.journal.add(Event{Time: time.Now(), Kind: EventSend, Call: plan.id, From: e.name, To: server, Method: svcMeth, Size: size, Detail: preview(src)})
		}
	}

	if m == nil || !n.reachable(e, server, plan.srv) {
		if !n.wait(plan.fate.failAfter) {
			return fail(EventFail, "network cleaned up")
		}
		return fail(EventFail, "unreachable")
	}
	if !plan.reliable {
		if !n.wait(plan.fate.requestDelay) {
			return fail(EventFail, "network cleaned up")
		}
		if plan.fate.dropRequest {
			return fail(EventDropRequest, "")
		}
		if !n.reachable(e, server, plan.srv) {
			return fail(EventFail, "unreachable")
		}
	}

	n.delivered(server)
	if rec {
		n.journal.add(Event{Time: time.Now(), Kind: EventDeliver, Call: plan.id, From: e.name, To: server, Method: svcMeth})
	}
	replyCopy, ok, why := n.runHandler(plan.srv, m, argv)
	if !ok {
		return fail(EventFail, why)
	}
	if !n.reachable(e, server, plan.srv) {
		return fail(EventDropReply, "unreachable")
	}
	if !plan.reliable && plan.fate.dropReply {
		return fail(EventDropReply, "")
	}
	if plan.longReordering && plan.fate.holdReply {
		if !n.wait(plan.fate.holdFor) {
			return fail(EventFail, "network cleaned up")
		}
	}
	size, err := n.codec.copy(replyv, replyCopy.Elem())
	if err != nil {
		n.warnOnce("decode "+replyv.Type().String(), "labrpc: Call(%q, %q): %v", server, svcMeth, err)
		return fail(EventFail, err.Error())
	}
	n.addBytes(size)
	if rec {
		n.journal.add(Event{Time: time.Now(), Kind: EventReply, Call: plan.id, From: e.name, To: server, Method: svcMeth, Size: size, Detail: preview(replyv)})
	}
	return true
}

// plan numbers a call, counts it, and draws its fate.
func (n *Network) plan(e *ClientEnd, server string) callPlan {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.totalCount++
	n.callIDs++
	r := n.rand
	f := fate{
		requestDelay: time.Duration(r.Int64N(int64(ShortDelay))),
		dropRequest:  r.IntN(100) < DropPercent,
		dropReply:    r.IntN(100) < DropPercent,
		holdReply:    r.IntN(3) < 2,
	}
	// A hold of 200 ms plus U(0, U(0, 2 s)): mostly short, sometimes long.
	upper := r.Int64N(int64(2 * time.Second))
	f.holdFor = 200*time.Millisecond + time.Duration(r.Int64N(upper+1))
	failFraction := r.Float64()
	if n.longDelays {
		f.failAfter = time.Duration(failFraction * float64(LongFailDelay))
	} else {
		f.failAfter = time.Duration(failFraction * float64(FailDelay))
	}
	return callPlan{
		id:             n.callIDs,
		srv:            n.servers[server],
		reliable:       n.reliable,
		longReordering: n.longReordering,
		fate:           f,
	}
}

// reachable reports whether a message can pass between e and srv right now:
// srv still runs under its name, e's name has not crashed since e was made,
// and no partition separates them.
func (n *Network) reachable(e *ClientEnd, server string, srv *server) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return srv != nil && n.servers[server] == srv &&
		(e.name == "" || n.epochs[e.name] == e.epoch) &&
		n.connectedLocked(e.name, server)
}

func (n *Network) wasAdded(server string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.everAdded[server]
}

func (n *Network) delivered(server string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.counts[server]++
}

func (n *Network) addBytes(size int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.totalBytes += int64(size)
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

// runHandler runs the handler in a goroutine of its own and waits for it, for
// the server's crash, for Cleanup, or for HandlerTimeout, whichever comes
// first. A handler that outlives the wait goes on running; its reply is lost.
func (n *Network) runHandler(srv *server, m *method, argv reflect.Value) (reflect.Value, bool, string) {
	done := make(chan handlerResult, 1) // buffered: the handler never waits for us
	go m.run(srv.name, argv, done)
	timeout := time.NewTimer(HandlerTimeout)
	defer timeout.Stop()
	select {
	case res := <-done:
		if res.err != nil {
			return reflect.Value{}, false, "handler returned error: " + res.err.Error()
		}
		return res.reply, true, ""
	case <-srv.dead:
		return reflect.Value{}, false, "server crashed during the call"
	case <-n.done:
		return reflect.Value{}, false, "network cleaned up"
	case <-timeout.C:
		return reflect.Value{}, false, fmt.Sprintf("handler still running after %v", HandlerTimeout)
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
