package viewservice

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"pblab/labrpc"
)

// This file is yours to complete: docs/part-a-viewservice.md takes you
// through it step by step.
//
// It has two halves. The ViewServer, given, is the server: it owns the
// mutex, the ticker and Kill, answers RPCs, and logs what happens (run a
// test with PBLAB_DEBUG=vs to see it). The viewState, yours, is the view
// service's mind: what it knows, and the rules that change it. It knows
// nothing of goroutines, clocks or the network, so the tests can also drive
// it directly, one ping or tick at a time.

// ViewServer is the view service: it decides, in numbered views, which
// server is primary and which is backup. Its RPC handlers and its ticker run
// concurrently; each holds vs.mu while it calls viewState, so viewState's
// methods run one at a time.
type ViewServer struct {
	mu    sync.Mutex
	net   *labrpc.Network
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

// viewState is everything the view service knows, and the rules that
// change it. Time is counted in ticks: handleTick is called once per
// PingInterval. Its methods are called one at a time (the ViewServer holds
// its mutex), so they need no locking of their own.
type viewState struct {
	// BEGIN SOLUTION
	view      View
	acked     bool            // the primary of view has pinged with view.Viewnum
	now       int             // ticks so far
	lastPing  map[string]int  // the value of now at each server's latest ping
	toldRole  map[string]bool // the latest reply to each server named it primary or backup
	restarted map[string]bool // primary or backup of view that crashed and restarted
	// END SOLUTION
}

// newViewState returns the state of a view service that has heard from
// no one: its view is view 0, with no primary and no backup.
func newViewState() viewState {
	// BEGIN SOLUTION
	return viewState{
		lastPing:  map[string]int{},
		toldRole:  map[string]bool{},
		restarted: map[string]bool{},
	}
	// END SOLUTION
	// STUB: return viewState{}
}

// handlePing handles a ping from server me, which has seen view viewnum (0
// if it has just started or restarted). It notes that me is alive, applies
// the rules, and returns the view to reply with: the current view, after
// whatever change the ping caused.
func (s *viewState) handlePing(me string, viewnum uint) View {
	// BEGIN SOLUTION
	s.lastPing[me] = s.now
	switch {
	case s.view.Viewnum == 0:
		s.becomeView(me, "") // the first server to ping is primary of view 1
	case viewnum == s.view.Viewnum && me == s.view.Primary:
		s.acked = true
	case viewnum == 0 && s.lostState(me):
		s.restarted[me] = true
	}
	s.maybeChangeView()
	s.toldRole[me] = me == s.view.Primary || me == s.view.Backup
	return s.view
	// END SOLUTION
	// STUB: return View{}
}

// handleTick counts one PingInterval and applies the rules: a server that
// has stopped pinging may now be dead.
func (s *viewState) handleTick() {
	// BEGIN SOLUTION
	s.now++
	s.maybeChangeView()
	// END SOLUTION
}

// currentView returns the current view. It changes nothing.
func (s *viewState) currentView() View {
	// BEGIN SOLUTION
	return s.view
	// END SOLUTION
	// STUB: return View{}
}

// Helpers: the rules that handlePing and handleTick share, such as the
// decision whether the view must change, and to what.

// BEGIN SOLUTION

// lostState reports whether a Ping(0) from me means that me crashed and
// restarted, losing the state its role needs. It does if me is primary or
// backup of the current view and already knew it: the latest reply it was
// sent named it so. A server still pinging 0 because no reply has told it
// of its new role yet has lost nothing. A primary with no backup keeps its
// role whatever its ping says, since no other server may take its place;
// in view 1 its Ping(0) looks exactly like a retry after a lost reply.
func (s *viewState) lostState(me string) bool {
	if !s.toldRole[me] {
		return false
	}
	return me == s.view.Backup || me == s.view.Primary && s.view.Backup != ""
}

// maybeChangeView moves to the next view if the current one should change,
// and may: only once its primary has acknowledged it.
func (s *viewState) maybeChangeView() {
	if !s.acked {
		return // the ack rule: never more than one view ahead of the primary
	}
	p, b := s.view.Primary, s.view.Backup
	switch {
	case s.failed(p):
		// Only the backup holds the state, so only it may take over. With
		// no live backup the service must wait for the primary.
		if b != "" && !s.failed(b) {
			s.becomeView(b, s.idleServer())
		}
	case b != "" && s.failed(b):
		s.becomeView(p, s.idleServer())
	case b == "":
		if idle := s.idleServer(); idle != "" {
			s.becomeView(p, idle)
		}
	}
}

// failed reports whether server has missed DeadPings ping intervals in a
// row, or has restarted while holding a role.
func (s *viewState) failed(server string) bool {
	return s.restarted[server] || s.now-s.lastPing[server] > DeadPings
}

// idleServer returns a live server with no role in the current view, or ""
// if there is none. It picks the first by name, so that views do not
// depend on the order of a map.
func (s *viewState) idleServer() string {
	var idle []string
	for server := range s.lastPing {
		if server != s.view.Primary && server != s.view.Backup && !s.failed(server) {
			idle = append(idle, server)
		}
	}
	if len(idle) == 0 {
		return ""
	}
	sort.Strings(idle)
	return idle[0]
}

// becomeView starts the next view, which its primary has yet to ack.
func (s *viewState) becomeView(primary, backup string) {
	s.view = View{Viewnum: s.view.Viewnum + 1, Primary: primary, Backup: backup}
	s.acked = false
	clear(s.restarted) // a restart matters only while the server holds its role
}

// END SOLUTION

// StartServer starts a view service called me on net. Do not change it.
func StartServer(net *labrpc.Network, me string) *ViewServer {
	vs := &ViewServer{net: net, me: me, done: make(chan struct{}), state: newViewState()}
	if err := net.AddServer(me, vs); err != nil {
		panic(fmt.Sprintf("viewservice: StartServer: %v", err))
	}
	go vs.ticker()
	return vs
}

// ticker calls tick every PingInterval until Kill. Do not change it.
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
// call to it fails, and its ticker stops. Tests call it. Do not change it.
func (vs *ViewServer) Kill() {
	vs.once.Do(func() {
		close(vs.done)
		vs.net.Unregister(vs)
	})
}
