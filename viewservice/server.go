package viewservice

import "sort"

// This file is yours to complete: docs/part-a-viewservice.md takes you
// through it step by step.
//
// It holds the viewState: the view service's mind, what it knows and the
// rules that change it. It knows nothing of goroutines, clocks or the
// network. The ViewServer (viewserver.go, given) is the server around it: it
// owns the mutex, the ticker and Kill, answers RPCs by calling viewState,
// and logs what happens (run a test with PBLAB_DEBUG=vs to see it). The
// tests drive viewState directly too, one ping or tick at a time.

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
