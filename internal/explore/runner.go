package explore

import (
	"fmt"
	"pblab/internal/explore/plan"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anishathalye/porcupine"

	"pblab/internal/diagram"
	"pblab/internal/faults"
	"pblab/labrpc"
)

// A System is the student's Part B as the explorer runs it: pbservice's
// test file wraps the package's StartServer, MakeClerk and the view
// service in one.
type System interface {
	// StartViewService starts the view service called name on net, and
	// returns the function that kills it.
	StartViewService(net *labrpc.Network, name string) (kill func())
	// StartServer starts the key/value server called name, whose view
	// service is vs, and returns the function that kills it.
	StartServer(net *labrpc.Network, vs, name string) (kill func())
	// MakeClerk returns a clerk calling under the name name.
	MakeClerk(net *labrpc.Network, vs, name string) Clerk
	// CurrentView asks the view service for its view, as an anonymous
	// caller (whom faults never touch); ok is false without an answer.
	CurrentView(net *labrpc.Network, vs string) (v View, ok bool)
	// NewCore returns a new pbState for the server called me, for the
	// exhaustive check of the core.
	NewCore(me string) Core
	// Describe says what a message means to the checkers: a View for a
	// view service's reply, a PingFact for a ping's arguments, an Answer
	// for a key/value server's reply; nil for anything else. It is
	// labrpc's describer (Network.Describe), and must not change msg.
	Describe(svcMeth string, msg any) any
}

// A Clerk is a client of the key/value service.
type Clerk interface {
	Get(key string) string
	Put(key, value string)
	Append(key, value string)
}

// A PingFact is what a ping says: who pings, with which view number.
type PingFact struct {
	Me      string
	Viewnum uint
}

// An Answer is what a key/value server's reply says.
type Answer struct {
	Err string
}

// The answers a client counts as served.
const (
	answerOK    = "OK"
	answerNoKey = "ErrNoKey"
)

// The methods the checkers look for in the journal.
const (
	methodPing     = "ViewServer.Ping"
	methodGet      = "PBServer.Get"
	methodPut      = "PBServer.PutAppend"
	methodTransfer = "PBServer.Transfer"
)

// readerName is the client that reads every key once the others are done.
const readerName = "reader"

// settleTime is how long a run waits, once it has killed everything, for
// the servers' goroutines to end.
const settleTime = time.Second

// killGrace is how long after a Kill a killed server may still make a
// call: a tick that was waiting for a reply when Kill came (delayed both
// ways and held back) may tick once more.
const killGrace = plan.MaxHold + 2*plan.MaxLinkDelay + 2*plan.PingInterval

// A record is everything a run of a scenario left for the checkers: the
// clients' history, the network's journal, and what the faults did.
type record struct {
	sc      *plan.Scenario
	start   time.Time // virtual time when the run began
	calm    time.Time // when the faults stopped
	end     time.Time // when the run began to kill everything
	ended   time.Time // when the run was over, everything killed and settled
	ops     []opRecord
	journal labrpc.Journal
	notes   []porcupine.Annotation // the faults, for the visualisation
	log     []string               // what the faults did, with their times
	reads   map[string]*opRecord   // the reader's final Get of each append key
	seed    int64                  // the network's seed
}

// An opRecord is one operation of the history.
type opRecord struct {
	client  int // -1 for the reader
	op      plan.Op
	out     string
	call    int64 // the logical clock at the call and the return
	ret     int64
	callAt  time.Duration // virtual time since the start
	retAt   time.Duration
	done    bool
	pending bool // set once the run ended without it returning
}

// A runner runs one scenario inside a synctest bubble (or on the wall
// clock): it starts the view service and the servers, runs the clients and
// the faults, and records what happened.
type runner struct {
	sys   System
	sc    *plan.Scenario
	net   *labrpc.Network
	pol   *policy
	start time.Time
	clock atomic.Int64 // the logical clock of the history

	clients sync.WaitGroup // the goroutines of the clients and the reader

	mu          sync.Mutex
	latestView  uint          // the newest view number a message carried
	viewChanged chan struct{} // closed when a newer view passes
	ops         []*opRecord
	notes       []porcupine.Annotation
	log         []string
	running     map[string]func()           // kill functions of the running servers
	cuts        map[[2]string]int           // links cut, by how many faults
	delays      map[[2]string]time.Duration // links delayed, by how much in all
}

// newNetwork returns a network for a run, with its journal on.
func newNetwork() *labrpc.Network {
	net := labrpc.MakeNetwork()
	net.Record(true)
	return net
}

// A runWatch is how a run shows the watchdog that it goes on: the
// bubble's time, kept up to date while the run goes on, and whether the
// run has returned.
type runWatch struct {
	clock atomic.Int64 // UnixNano of the bubble's time
	ended atomic.Bool
}

// heartbeat is how often, in virtual time, a run publishes its time.
const heartbeat = 50 * time.Millisecond

// beat keeps w's clock until stop closes.
func (w *runWatch) beat(stop <-chan struct{}) {
	t := time.NewTicker(heartbeat)
	defer t.Stop()
	for {
		w.clock.Store(time.Now().UnixNano())
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// run runs sc on net to its end and returns its record. It must run in a
// bubble of its own (or on the wall clock): it sleeps, and leaves nothing
// running when it returns but what the network's Cleanup ends. w, if not
// nil, is kept informed for the watchdog.
func run(sys System, sc *plan.Scenario, net *labrpc.Network, w *runWatch) *record {
	if w != nil {
		stop := make(chan struct{})
		beating := make(chan struct{})
		go func() {
			defer close(beating)
			w.beat(stop)
		}()
		defer func() {
			close(stop)
			<-beating
			w.ended.Store(true)
		}()
	}
	r := &runner{sys: sys, sc: sc, net: net, start: time.Now(), running: map[string]func(){}, viewChanged: make(chan struct{}),
		cuts: map[[2]string]int{}, delays: map[[2]string]time.Duration{}}
	r.net.Describe(func(svcMeth string, msg any) any {
		fact := sys.Describe(svcMeth, msg)
		if v, ok := fact.(View); ok {
			r.noteView(v)
			return diagram.View(v) // the diagram draws the views
		}
		return fact
	})
	r.pol = newPolicy(sc.Seed)
	if err := faults.Install(r.net, r.pol); err != nil {
		panic(err) // a *labrpc.Network always takes a policy
	}
	killVS := sys.StartViewService(r.net, plan.VSName)
	for i := range sc.Servers {
		if i < len(sc.Starts) {
			time.Sleep(time.Until(r.start.Add(time.Duration(sc.Starts[i]))))
		}
		r.startServer(plan.ServerName(i))
	}

	var clients sync.WaitGroup
	for i, c := range sc.Clients {
		clients.Add(1)
		r.clients.Go(func() {
			defer clients.Done()
			r.runClient(i, c)
		})
	}
	calm := r.start.Add(time.Duration(sc.Calm))
	r.runFaults(calm)

	finished := make(chan struct{})
	r.clients.Go(func() {
		clients.Wait()
		close(finished)
	})
	deadline := time.NewTimer(time.Until(calm.Add(plan.StopIssuing + plan.LivenessBound + 100*time.Millisecond)))
	defer deadline.Stop()
	reads := map[string]*opRecord{}
	select {
	case <-finished:
		reads = r.readAll()
	case <-deadline.C:
	}

	end := time.Now()
	r.mu.Lock()
	for name, kill := range r.running {
		kill()
		delete(r.running, name)
	}
	r.mu.Unlock()
	time.Sleep(2 * killGrace) // the window in which a killed server must fall silent
	killVS()
	rec := &record{sc: sc, start: r.start, calm: calm, end: end, journal: r.net.Journal(), reads: reads, seed: r.net.Seed()}
	r.net.Cleanup()
	// A clerk still trying ends at its next call. Once this function
	// returns the bubble's time stands still, so whatever still sleeps
	// then sleeps for ever: wait for the clients, and give the servers'
	// goroutines time to see their Kill.
	r.clients.Wait()
	time.Sleep(settleTime)
	rec.ended = time.Now()

	r.mu.Lock()
	defer r.mu.Unlock()
	for _, op := range r.ops {
		o := *op
		o.pending = !o.done
		rec.ops = append(rec.ops, o)
	}
	rec.notes, rec.log = r.notes, r.log
	return rec
}

// since is the virtual time since the run began.
func (r *runner) since() time.Duration { return time.Since(r.start) }

// startServer starts the server called name, if it is not running.
func (r *runner) startServer(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.running[name]; !ok {
		r.running[name] = r.sys.StartServer(r.net, plan.VSName, name)
	}
}

// killServer crashes the server called name, and reports whether it ran.
func (r *runner) killServer(name string) bool {
	r.mu.Lock()
	kill, ok := r.running[name]
	delete(r.running, name)
	r.mu.Unlock()
	if ok {
		kill()
	}
	return ok
}

// runClient runs client i's operations, recording each.
func (r *runner) runClient(i int, c plan.Client) {
	ck := r.sys.MakeClerk(r.net, plan.VSName, plan.ClientName(i))
	time.Sleep(time.Until(r.start.Add(time.Duration(c.Start))))
	stop := time.Duration(r.sc.Calm) + plan.StopIssuing
	for _, op := range c.Ops {
		time.Sleep(time.Duration(op.Pause))
		if r.since() >= stop {
			return
		}
		r.do(i, ck, op)
	}
}

// do runs op through ck and records it. If op never returns, the record
// stays without its return.
func (r *runner) do(client int, ck Clerk, op plan.Op) *opRecord {
	rec := &opRecord{client: client, op: op, call: r.clock.Add(1), callAt: r.since()}
	r.mu.Lock()
	r.ops = append(r.ops, rec)
	r.mu.Unlock()
	var out string
	switch op.Kind {
	case plan.OpGet:
		out = ck.Get(op.Key)
	case plan.OpPut:
		ck.Put(op.Key, op.Value)
	default:
		ck.Append(op.Key, op.Value)
	}
	ret, retAt := r.clock.Add(1), r.since()
	r.mu.Lock()
	rec.out, rec.ret, rec.retAt, rec.done = out, ret, retAt, true
	r.mu.Unlock()
	return rec
}

// readAll reads every append key with a new clerk, once the clients are
// done, for the exactly-once check. A read that does not return within
// LivenessBound is left out.
func (r *runner) readAll() map[string]*opRecord {
	ck := r.sys.MakeClerk(r.net, plan.VSName, readerName)
	reads := map[string]*opRecord{}
	for _, key := range plan.AppendKeys {
		done := make(chan *opRecord, 1)
		r.clients.Go(func() { done <- r.do(-1, ck, plan.Op{Kind: plan.OpGet, Key: key}) })
		t := time.NewTimer(plan.LivenessBound + time.Second)
		select {
		case rec := <-done:
			t.Stop()
			reads[key] = rec
		case <-t.C:
			return reads // the service is stuck: liveness will say so
		}
	}
	return reads
}

// An activeFault is a fault that has started, with the names it resolved
// its roles to, so that its end undoes exactly what its start did.
type activeFault struct {
	f          plan.Fault
	target     string
	peer       string
	group      []string
	everyone   []string
	clockStart int64
}

// runFaults runs each of the scenario's faults, on a goroutine of its own,
// and returns at calm, once every fault is undone and every crashed server
// restarted.
func (r *runner) runFaults(calm time.Time) {
	stop := make(chan struct{})
	var faults sync.WaitGroup
	for _, f := range r.sc.Faults {
		if f.At < r.sc.Calm {
			faults.Go(func() { r.runFault(f, stop) })
		}
	}
	time.Sleep(time.Until(calm))
	close(stop)
	faults.Wait()
	for i := range r.sc.Servers {
		r.startServer(plan.ServerName(i))
	}
	r.note("the faults stop: everything healed, every server running")
}

// runFault waits for f's time (and, for a fault on the next view, for
// that view), applies it, and undoes it after its duration, or when stop
// closes (at calm), whichever comes first.
func (r *runner) runFault(f plan.Fault, stop <-chan struct{}) {
	if !sleepUntil(r.start.Add(time.Duration(f.At)), stop) {
		return
	}
	if f.On == plan.OnNextView && (!r.awaitNewView(stop) || !sleepUntil(time.Now().Add(time.Duration(f.After)), stop)) {
		return
	}
	a := r.startFault(f)
	if a == nil {
		return
	}
	sleepUntil(time.Now().Add(time.Duration(f.For)), stop)
	r.endFault(a)
}

// sleepUntil sleeps until t, or until stop closes; it reports whether it
// slept the whole time.
func sleepUntil(t time.Time, stop <-chan struct{}) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-stop:
		return false
	}
}

// awaitNewView waits until a message carries a view newer than any seen
// so far, or stop closes; it reports whether the view came.
func (r *runner) awaitNewView(stop <-chan struct{}) bool {
	r.mu.Lock()
	changed := r.viewChanged
	r.mu.Unlock()
	select {
	case <-changed:
		return true
	case <-stop:
		return false
	}
}

// noteView is called with every view a message carries, as the message
// passes: a newer view than any before wakes the faults that wait for one.
func (r *runner) noteView(v View) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v.Viewnum > r.latestView {
		r.latestView = v.Viewnum
		close(r.viewChanged)
		r.viewChanged = make(chan struct{})
	}
}

// note records what the faults did: in the journal (the diagram shows it),
// in the run's log, and as an annotation of the history.
func (r *runner) note(format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	r.net.Note("explorer", text)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, fmt.Sprintf("%v: %s", r.since().Round(time.Millisecond), text))
}

// resolve turns a fault's target or peer into a name: a role is read from
// the view service now. It returns "" if the role is empty.
func (r *runner) resolve(who string) string {
	if who != "primary" && who != "backup" {
		return who
	}
	v, ok := r.sys.CurrentView(r.net, plan.VSName)
	if !ok {
		return ""
	}
	if who == "primary" {
		return v.Primary
	}
	return v.Backup
}

// others returns the names of all not in group.
func others(all, group []string) []string {
	var out []string
	for _, n := range all {
		if !slices.Contains(group, n) {
			out = append(out, n)
		}
	}
	return out
}

// names returns every name of the scenario: the view service, the
// servers, the clients and the reader.
func (r *runner) names() []string {
	names := []string{plan.VSName}
	for i := range r.sc.Servers {
		names = append(names, plan.ServerName(i))
	}
	for i := range r.sc.Clients {
		names = append(names, plan.ClientName(i))
	}
	return append(names, readerName)
}

// startFault starts f, and returns it as active, or nil if there was
// nothing to do (its role was empty, or its server down).
func (r *runner) startFault(f plan.Fault) *activeFault {
	a := &activeFault{f: f, clockStart: r.clock.Add(1)}
	when := ""
	if f.On == plan.OnNextView {
		when = fmt.Sprintf(" (at view %d)", r.currentViewnum())
	}
	if f.Target != "" {
		if a.target = r.resolve(f.Target); a.target == "" {
			r.note("%s: no %s now; nothing happens", f.Kind, f.Target)
			return nil
		}
	}
	if f.Peer != "" {
		if a.peer = r.resolve(f.Peer); a.peer == "" || a.peer == a.target {
			r.note("%s: no %s distinct from %s now; nothing happens", f.Kind, f.Peer, a.target)
			return nil
		}
	}
	role := ""
	if a.target != f.Target {
		role = " (" + f.Target + ")"
	}
	switch f.Kind {
	case plan.FaultCrash:
		if !r.killServer(a.target) {
			r.note("crash: %s is down already", a.target)
			return nil
		}
		r.note("crash %s%s%s", a.target, role, when)
	case plan.FaultPartition:
		a.group = append([]string{a.target}, f.With...)
		a.everyone = others(r.names(), a.group)
		r.cut(a.group, a.everyone, false)
		r.cut(a.everyone, a.group, false)
		r.note("partition: %v cut off from everyone else%s", a.group, when)
	case plan.FaultCutVS:
		r.cut([]string{a.target}, []string{plan.VSName}, false)
		r.cut([]string{plan.VSName}, []string{a.target}, false)
		r.note("cut %s%s off from the view service%s", a.target, role, when)
	case plan.FaultCut:
		r.cut([]string{a.target}, []string{a.peer}, false)
		r.note("cut the link %s -> %s%s", a.target, a.peer, when)
	case plan.FaultLossy, plan.FaultReorder, plan.FaultLate:
		r.pol.network(f.Kind, false)
		r.note("the network starts to %s", networkFaults[f.Kind])
	case plan.FaultDelay:
		r.delay(a.target, a.peer, time.Duration(f.Delay), false)
		r.note("delay the link %s -> %s by %v%s", a.target, a.peer, time.Duration(f.Delay), when)
	default:
		r.note("unknown fault %q; nothing happens", f.Kind)
		return nil
	}
	return a
}

// currentViewnum returns the newest view number a message has carried.
func (r *runner) currentViewnum() uint {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.latestView
}

// networkFaults says what each network-wide fault does.
var networkFaults = map[string]string{
	plan.FaultLossy:   "lose messages",
	plan.FaultReorder: "reorder replies",
	plan.FaultLate:    "deliver requests late, or twice",
}

// cut cuts (or, with undo, mends) the links from every name of a to every
// name of b. Links are counted: a link two faults cut stays cut until both
// have ended.
func (r *runner) cut(a, b []string, undo bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range a {
		for _, y := range b {
			if x == y {
				continue
			}
			l := [2]string{x, y}
			switch {
			case !undo:
				if r.cuts[l]++; r.cuts[l] == 1 {
					r.net.Cut(x, y)
				}
			case r.cuts[l] > 0:
				if r.cuts[l]--; r.cuts[l] == 0 {
					r.net.Mend(x, y)
				}
			}
		}
	}
}

// delay adds (or, with undo, takes away) d to the link from a to b.
func (r *runner) delay(a, b string, d time.Duration, undo bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := [2]string{a, b}
	if undo {
		r.delays[l] -= d
	} else {
		r.delays[l] += d
	}
	r.net.LinkDelay(a, b, max(r.delays[l], 0))
}

// endFault undoes what startFault did.
func (r *runner) endFault(a *activeFault) {
	f := a.f
	switch f.Kind {
	case plan.FaultCrash:
		r.startServer(a.target)
		r.note("restart %s", a.target)
	case plan.FaultPartition:
		r.cut(a.group, a.everyone, true)
		r.cut(a.everyone, a.group, true)
		r.note("heal the partition of %v", a.group)
	case plan.FaultCutVS:
		r.cut([]string{a.target}, []string{plan.VSName}, true)
		r.cut([]string{plan.VSName}, []string{a.target}, true)
		r.note("%s reaches the view service again", a.target)
	case plan.FaultCut:
		r.cut([]string{a.target}, []string{a.peer}, true)
		r.note("restore the link %s -> %s", a.target, a.peer)
	case plan.FaultLossy, plan.FaultReorder, plan.FaultLate:
		r.pol.network(f.Kind, true)
		r.note("the network stops to %s", networkFaults[f.Kind])
	case plan.FaultDelay:
		r.delay(a.target, a.peer, time.Duration(f.Delay), true)
		r.note("the link %s -> %s is fast again", a.target, a.peer)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, porcupine.Annotation{
		Tag: "faults", Start: a.clockStart, End: r.clock.Add(1),
		Description: a.f.String(), BackgroundColor: "#f3d9d9",
	})
}
