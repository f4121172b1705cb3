package labrpc

import (
	"reflect"
	"time"
)

// A resend is a request that the network delivers once more, after its
// call's own delivery or loss: late (a lost request arrives after all) or
// again (a delivered request arrives a second time). It goes only to the
// server incarnation the call was sent to, and only if the link is up when
// it arrives; the handler runs, and its reply goes nowhere.
type resend struct {
	n       *Network
	e       *ClientEnd
	server  string
	svcMeth string
	plan    callPlan
	kind    EventKind // EventDeliverLate or EventDeliverAgain
	m       *method
	argv    reflect.Value // the handler's copy of the args
}

// resend delivers c's request once more, after the given time, on a
// goroutine of its own that ends when it has delivered it, or at Cleanup.
// argv is handed to the handler as it is.
func (c *call) resend(kind EventKind, after time.Duration, m *method, argv reflect.Value) {
	r := resend{n: c.n, e: c.e, server: c.server, svcMeth: c.svcMeth, plan: c.p, kind: kind, m: m, argv: argv}
	go r.deliverAfter(after)
}

// resendCopy delivers c's request again, after the given time, with a copy
// of argv made now, before the handler of the first delivery can change
// argv. If the copy fails, the request is delivered once only.
func (c *call) resendCopy(after time.Duration, m *method, argv reflect.Value) {
	again := reflect.New(m.argType)
	if _, err := m.argCodec.copy(again, argv.Elem()); err != nil {
		return
	}
	c.resend(EventDeliverAgain, after, m, again)
}

// deliverAfter waits, then delivers the request if its server incarnation
// still runs and the link is up, and hands it to a worker without waiting
// for the handler.
func (r resend) deliverAfter(after time.Duration) {
	n := r.n
	if !n.wait(after) {
		return
	}
	n.mu.Lock()
	up := n.reachableLocked(r.e, r.server, r.plan.srv)
	n.mu.Unlock()
	if !up {
		return
	}
	r.plan.srv.count.Add(1)
	if n.recording.Load() {
		n.journal.add(Event{Time: time.Now(), Kind: r.kind, Call: r.plan.id, From: r.e.name, To: r.server, Method: r.svcMeth})
	}
	// The reply goes nowhere: the result channel is buffered, so the
	// worker never waits for a reader.
	n.dispatch(r.plan.srv, job{m: r.m, argv: r.argv, done: make(chan handlerResult, 1)})
}
