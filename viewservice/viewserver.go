package viewservice

import (
	"errors"
	"fmt"
	"slices"
	"strings"
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

	// What Status reports, guarded by mu: the views so far, and each
	// server's latest ping. viewState knows nothing of them.
	views   []ViewRecord
	servers map[string]ServerRecord
}

// Ping is the RPC every key/value server sends once per PingInterval: it
// says that args.Me is alive and has seen view args.Viewnum (0 if it has
// just started), and gets the current view back.
func (vs *ViewServer) Ping(args *PingArgs, reply *PingReply) error {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	before := vs.state.currentView()
	reply.View = vs.state.handlePing(args.Me, args.Viewnum)
	vs.servers[args.Me] = ServerRecord{Name: args.Me, LastPing: time.Now(), Viewnum: args.Viewnum}
	debugf(topicPing, vs.me, "%s pings %d, gets view %d", args.Me, args.Viewnum, reply.View.Viewnum)
	vs.noteChange(before, args.Me)
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
	vs.noteChange(before, "")
}

// noteChange records and logs a change of view, if there was one, and logs
// the servers that lost their role in it. pinger is the server whose ping
// made the change, "" for a tick.
func (vs *ViewServer) noteChange(before View, pinger string) {
	after := vs.state.currentView()
	if after == before {
		return
	}
	why := "at a tick"
	if pinger != "" {
		why = "after a ping from " + pinger
	}
	if len(vs.views) == MaxViewRecords {
		vs.views = slices.Delete(vs.views, 0, 1)
	}
	vs.views = append(vs.views, ViewRecord{View: after, Start: time.Now(), Why: why})
	debugf(topicView, vs.me, "%s (%s)", FormatView(after), why)
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

// FormatView renders a view on one line, as the logs and the commands show
// it: "view 3: primary 127.0.0.1:7001, backup none".
func FormatView(v View) string {
	return fmt.Sprintf("view %d: primary %s, backup %s", v.Viewnum, orNone(v.Primary), orNone(v.Backup))
}

// RoleIn names the role of server in view v: "primary", "backup", or
// "idle" for a server in no role.
func RoleIn(v View, server string) string {
	switch server {
	case v.Primary:
		return "primary"
	case v.Backup:
		return "backup"
	default:
		return "idle"
	}
}

// MaxViewRecords bounds the views a Status holds: the latest ones.
const MaxViewRecords = 1000

// Status is what the view service can show a person about itself (viewd's
// live page shows it): its view, the views so far, and what it last heard
// from each server.
type Status struct {
	Me      string
	Time    time.Time      // when the status was taken
	View    View           // the current view
	Views   []ViewRecord   // the views so far, oldest first: the latest MaxViewRecords
	Servers []ServerRecord // every server that has pinged, by name
}

// ViewRecord is one view of the view service's history.
type ViewRecord struct {
	View  View
	Start time.Time // when the view service moved to it
	Why   string    // what made the change: "after a ping from s1", "at a tick"
}

// ServerRecord is the latest ping from one server.
type ServerRecord struct {
	Name     string
	LastPing time.Time
	Viewnum  uint // the view the server said it had seen, 0 after a start
}

// Status returns a copy of what the view service can show about itself.
// It changes nothing.
func (vs *ViewServer) Status() Status {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	st := Status{Me: vs.me, Time: time.Now(), View: vs.state.currentView(), Views: slices.Clone(vs.views)}
	for _, rec := range vs.servers {
		st.Servers = append(st.Servers, rec)
	}
	slices.SortFunc(st.Servers, func(a, b ServerRecord) int { return strings.Compare(a.Name, b.Name) })
	return st
}

// StartServer starts a view service called me on net. On a network already
// cleaned up (the test is over) the server starts killed.
func StartServer(net *labrpc.Network, me string) *ViewServer {
	host := net.Host(me)
	vs := &ViewServer{host: host, me: me, done: make(chan struct{}), state: newViewState(), servers: map[string]ServerRecord{}}
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
