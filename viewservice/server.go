package viewservice

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"pblab/labrpc"
)

// ViewServer is the view service: it decides, in numbered views, which
// server is primary and which is backup. Its RPC handlers and its ticker
// share one mutex; the decisions themselves are made by viewState, which
// knows nothing of goroutines, clocks or the network.
type ViewServer struct {
	mu   sync.Mutex
	net  *labrpc.Network
	me   string
	done chan struct{} // closed by Kill
	once sync.Once

	// BEGIN SOLUTION
	state viewState
	// END SOLUTION
}

// BEGIN SOLUTION

// viewState is everything the view service knows, and the rules that change
// it. Time is counted in ticks, one per PingInterval.
type viewState struct {
	view     View
	acked    bool            // the primary has pinged with view.Viewnum
	now      int             // ticks so far
	lastPing map[string]int  // the tick of each server's latest ping
	restarts map[string]bool // primary or backup that pinged 0: crashed and restarted
}

func newViewState() viewState {
	return viewState{lastPing: map[string]int{}, restarts: map[string]bool{}}
}

// handlePing records a ping from server me, which has seen view viewnum,
// applies the rules, and returns the view to send back.
func (s *viewState) handlePing(me string, viewnum uint) View {
	s.lastPing[me] = s.now
	switch {
	case s.view.Viewnum == 0:
		// The first server to ping becomes primary of view 1.
		s.becomeView(me, "")
		return s.view
	case me == s.view.Primary && viewnum == s.view.Viewnum:
		s.acked = true
	case viewnum == 0 && (me == s.view.Primary || me == s.view.Backup):
		// It crashed and restarted before anyone saw it miss a ping: it
		// has lost its state, so it is as good as dead in its role.
		s.restarts[me] = true
	}
	s.maybeChangeView()
	return s.view
}

// handleTick counts one PingInterval and applies the rules.
func (s *viewState) handleTick() {
	s.now++
	s.maybeChangeView()
}

// maybeChangeView moves to the next view if the current one should change
// and may: only once its primary has acknowledged it.
func (s *viewState) maybeChangeView() {
	if !s.acked {
		return // the ack rule: never more than one view ahead of the primary
	}
	p, b := s.view.Primary, s.view.Backup
	switch {
	case s.failed(p):
		// Only the backup holds the state, so only it may take over; with
		// no live backup the service is stuck.
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

// failed reports whether server has missed DeadPings intervals in a row, or
// restarted while holding a role.
func (s *viewState) failed(server string) bool {
	return s.restarts[server] || s.now-s.lastPing[server] >= DeadPings
}

// idleServer returns a live server in no role of the current view, or "".
// It picks the first by name, so that views are deterministic.
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

// becomeView starts the next view, which the new primary has yet to ack.
func (s *viewState) becomeView(primary, backup string) {
	s.view = View{Viewnum: s.view.Viewnum + 1, Primary: primary, Backup: backup}
	s.acked = false
	clear(s.restarts) // a restart matters only while the server holds a role
}

// END SOLUTION

// Ping is the RPC a server sends every PingInterval: it says the server is
// alive and which view it has seen, and gets the current view back.
func (vs *ViewServer) Ping(args *PingArgs, reply *PingReply) error {
	// BEGIN SOLUTION
	vs.mu.Lock()
	defer vs.mu.Unlock()
	reply.View = vs.state.handlePing(args.Me, args.Viewnum)
	// END SOLUTION
	return nil
}

// Get is the RPC that returns the current view. It changes nothing.
func (vs *ViewServer) Get(args *GetArgs, reply *GetReply) error {
	// BEGIN SOLUTION
	vs.mu.Lock()
	defer vs.mu.Unlock()
	reply.View = vs.state.view
	// END SOLUTION
	return nil
}

// tick is called once every PingInterval. It decides whether servers have
// died and whether the view should change.
func (vs *ViewServer) tick() {
	// BEGIN SOLUTION
	vs.mu.Lock()
	defer vs.mu.Unlock()
	vs.state.handleTick()
	// END SOLUTION
}

// StartServer starts a view service called me on net. Do not change it.
func StartServer(net *labrpc.Network, me string) *ViewServer {
	vs := &ViewServer{net: net, me: me, done: make(chan struct{})}
	// BEGIN SOLUTION
	vs.state = newViewState()
	// END SOLUTION
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

// Kill crashes the view service: it leaves the network and its ticker
// stops. Tests call it. Do not change it.
func (vs *ViewServer) Kill() {
	vs.once.Do(func() {
		close(vs.done)
		vs.net.Unregister(vs)
	})
}
