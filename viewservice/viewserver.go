package viewservice

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"pblab/labrpc"
)

// The ViewServer: the server around viewState (server.go). It is given: do
// not change this file: the grader uses its own copy of it.

// ViewServer is the view service: it decides, in numbered views, which
// server is primary and which is backup. Its RPC handlers and its ticker run
// concurrently; each holds vs.mu while it calls viewState, so viewState's
// methods run one at a time.
type ViewServer struct {
	mu    sync.Mutex
	host  *labrpc.Host // the view service's place on the network
	me    string
	done  chan struct{} // closed by Kill
	once  sync.Once
	state viewState // guarded by mu
}

// Ping is the RPC every key/value server sends once per PingInterval: it
// says that args.Me is alive and has seen view args.Viewnum (0 if it has
// just started), and gets the current view back.
func (vs *ViewServer) Ping(args *PingArgs, reply *PingReply) error {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	before := vs.state.currentView()
	reply.View = vs.state.handlePing(args.Me, args.Viewnum)
	debugf(topicPing, vs.me, "%s pings %d, gets view %d", args.Me, args.Viewnum, reply.View.Viewnum)
	vs.logChange(before, args.Me)
	return nil
}

// Get is the RPC that returns the current view. It is not a ping, and it
// changes nothing.
func (vs *ViewServer) Get(args *GetArgs, reply *GetReply) error {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	reply.View = vs.state.currentView()
	return nil
}

// tick is called once every PingInterval by the ticker.
func (vs *ViewServer) tick() {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	before := vs.state.currentView()
	vs.state.handleTick()
	vs.logChange(before, "")
}

// logChange logs a change of view, if there was one, and the servers that
// lost their role in it. pinger is the server whose ping made the change,
// "" for a tick.
func (vs *ViewServer) logChange(before View, pinger string) {
	after := vs.state.currentView()
	if after == before {
		return
	}
	why := "at a tick"
	if pinger != "" {
		why = "after a ping from " + pinger
	}
	debugf(topicView, vs.me, "view %d: primary %s, backup %s (%s)", after.Viewnum, orNone(after.Primary), orNone(after.Backup), why)
	for _, old := range []string{before.Primary, before.Backup} {
		if old != "" && old != after.Primary && old != after.Backup {
			debugf(topicDead, vs.me, "%s is out of view %d: dead, or restarted", old, after.Viewnum)
		}
	}
}

func orNone(server string) string {
	if server == "" {
		return "none"
	}
	return server
}

// StartServer starts a view service called me on net. On a network already
// cleaned up (the test is over) the server starts killed.
func StartServer(net *labrpc.Network, me string) *ViewServer {
	host := net.Host(me)
	vs := &ViewServer{host: host, me: me, done: make(chan struct{}), state: newViewState()}
	if err := host.AddServer(vs); err != nil {
		if errors.Is(err, labrpc.ErrCleanedUp) {
			vs.Kill() // the test is over: the server starts dead
			return vs
		}
		panic(fmt.Sprintf("viewservice: StartServer: %v", err))
	}
	go vs.ticker()
	return vs
}

// ticker calls tick every PingInterval until Kill.
func (vs *ViewServer) ticker() {
	t := time.NewTicker(PingInterval)
	defer t.Stop()
	for {
		select {
		case <-vs.done:
			return
		case <-t.C:
			vs.tick()
		}
	}
}

// Kill crashes the view service: it leaves the network, so every later
// call to it fails, and its ticker stops. Tests call it.
func (vs *ViewServer) Kill() {
	vs.once.Do(func() {
		close(vs.done)
		vs.host.Crash()
	})
}
