package viewservice

import (
	"fmt"

	"pblab/labrpc"
)

// Do not change this file: the tests and Part B rely on it.

// A Clerk talks to the view service for one server or client. Part B's
// servers ping through a Clerk; its clerks ask it for the primary.
type Clerk struct {
	end    *labrpc.ClientEnd
	me     string // the name pings are sent for
	server string // the view service's name
}

// MakeClerk returns a Clerk that calls the view service server under the
// name me.
func MakeClerk(net *labrpc.Network, me string, server string) *Clerk {
	return &Clerk{end: net.MakeEnd(me), me: me, server: server}
}

// Ping tells the view service that ck's server is alive and has seen view
// viewnum (0 after a start or restart), and returns the current view. It
// makes one call: an error means no reply came, and the caller should simply
// ping again at its next tick.
func (ck *Clerk) Ping(viewnum uint) (View, error) {
	args := PingArgs{Me: ck.me, Viewnum: viewnum}
	var reply PingReply
	if !ck.end.Call(ck.server, "ViewServer.Ping", &args, &reply) {
		return View{}, fmt.Errorf("viewservice: Ping(%d) from %q to %q: no reply", viewnum, ck.me, ck.server)
	}
	return reply.View, nil
}

// Get returns the current view without counting as a ping. ok is false if no
// reply came.
func (ck *Clerk) Get() (View, bool) {
	var reply GetReply
	if !ck.end.Call(ck.server, "ViewServer.Get", &GetArgs{}, &reply) {
		return View{}, false
	}
	return reply.View, true
}

// Primary returns the current primary, or "" if there is none or the view
// service did not answer.
func (ck *Clerk) Primary() string {
	v, ok := ck.Get()
	if !ok {
		return ""
	}
	return v.Primary
}
