package explore

import (
	"fmt"
	"hash/maphash"
	"slices"
	"sync"
	"time"
)

// The Part A search: a breadth-first model check of the student's
// viewState. From the state of a new view service it applies every event
// (each server's pings with the view numbers that matter, a tick, and
// DeadPings ticks at once), checks every rule after each, and goes on from
// each state it has not seen before, level by level. Breadth first, the
// first sequence that breaks a rule is a shortest one.
//
// A state is the student's state (by its canonical encoding) together with
// the explorer's model of what the view service was told (viewModel): two
// paths that reach the same of both are the same state. States are not
// copied: each is rebuilt by replaying its path from a new view service,
// which costs a few microseconds and no copy of the student's types.

// A ViewSearch says what to search and for how long.
type ViewSearch struct {
	// New returns a new view service: a ViewMachine over the student's
	// newViewState().
	New func() ViewMachine
	// Servers is how many servers ping (s1, s2, ...); 3 if 0.
	Servers int
	// MaxDepth bounds the length of a sequence; 0 for no bound.
	MaxDepth int
	// Deadline ends the search, if it is not the zero time.
	Deadline time.Time
	// Progress, if set, is called about once a second while the search runs.
	Progress func(ViewProgress)
	// Workers is how many states are expanded at once; 0: GOMAXPROCS.
	Workers int
	// MaxStates ends the search once it has seen this many states; 0 for
	// no bound.
	MaxStates int
}

// ViewProgress says how far a Part A search has come.
type ViewProgress struct {
	Depth   int // the length of the sequences being tried
	States  int // distinct states seen so far
	Elapsed time.Duration
}

// A ViewOutcome is what a Part A search found.
type ViewOutcome struct {
	Depth     int  // every sequence of at most Depth events was tried
	States    int  // distinct states seen
	Events    int  // events applied in all, replays included
	Exhausted bool // every reachable state was seen (within MaxDepth)
	Elapsed   time.Duration
	Violation *ViewCounterexample // nil if no rule broke
}

// A ViewCounterexample is a shortest sequence of events after which a rule
// of the view service breaks.
type ViewCounterexample struct {
	Kind   string // the rule, short
	What   string // what happened
	Doc    string // where the guide explains the rule
	Events []ViewEvent
}

func (c *ViewCounterexample) String() string {
	return fmt.Sprintf("%s: %s, after [%s] (%s)", c.Kind, c.What, FormatViewEvents(c.Events), c.Doc)
}

// serverNames returns s1 ... sn.
func serverNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("s%d", i+1)
	}
	return names
}

// Search runs the search until it finds a violation, runs out of states
// or depth, or reaches its deadline.
func (s ViewSearch) Search() (out ViewOutcome) {
	start := time.Now()
	defer func() { out.Elapsed = time.Since(start) }()
	n := s.Servers
	if n == 0 {
		n = 3
	}
	servers := serverNames(min(n, maxServers))
	root := &viewRunner{new: s.New, servers: servers, enc: newEncoder()}
	if c := root.checkRoot(); c != nil {
		out.Violation, out.States = c, 1
		return out
	}
	m, md := root.replay(nil)
	var (
		mu      sync.Mutex
		runners []*viewRunner
	)
	newExpand := func() expandFunc[ViewEvent, ViewCounterexample] {
		r := &viewRunner{new: s.New, servers: servers, enc: newEncoder()}
		mu.Lock()
		runners = append(runners, r)
		mu.Unlock()
		return r.expand
	}
	cfg := bfs{Workers: s.Workers, Deadline: s.Deadline, MaxDepth: s.MaxDepth, MaxStates: s.MaxStates}
	if s.Progress != nil {
		cfg.Progress = func(depth, states int) {
			s.Progress(ViewProgress{Depth: depth, States: states, Elapsed: time.Since(start)})
		}
	}
	res := runBFS(cfg, root.key(m, &md), newExpand)
	out.Depth, out.States, out.Exhausted, out.Violation = res.Depth, res.States, res.Exhausted, res.Violation
	for _, r := range runners {
		out.Events += r.events
	}
	return out
}

// expand is the search's expandFunc: it tries every candidate event from
// the state path leads to.
func (r *viewRunner) expand(path []ViewEvent, visit func(ViewEvent, uint64) bool) *ViewCounterexample {
	base, baseModel := r.replay(path)
	for _, e := range r.candidates(&baseModel, base.View()) {
		m, md := copyOf(base), baseModel
		if c := r.step(m, &md, path, e); c != nil {
			return c
		}
		if visit(e, r.key(m, &md)) {
			if c := r.checkGet(m, append(slices.Clip(path), e)); c != nil {
				return c
			}
		}
	}
	return nil
}

// A viewRunner applies events to view services and checks them.
type viewRunner struct {
	new     func() ViewMachine
	servers []string
	enc     *encoder
	events  int // events applied so far
	keyBuf  []byte
}

// replay returns a new view service and model after path, which is known
// to break no rule.
func (r *viewRunner) replay(path []ViewEvent) (ViewMachine, viewModel) {
	m := r.new()
	md := newViewModel(r.servers)
	md.view = m.View()
	for _, e := range path {
		r.apply(m, &md, e, false)
	}
	return m, md
}

// checkRoot checks a new view service: view 0, and Get changes nothing.
func (r *viewRunner) checkRoot() (c *ViewCounterexample) {
	var m ViewMachine
	if v := catchPanic("viewState", func() *viewViolation {
		m = r.new()
		if v := m.View(); v != (View{}) {
			return violated(ruleInvariant, "a new view service is in view 0, with no primary and no backup, but got %s", v)
		}
		return nil
	}); v != nil {
		return counterexample(v, nil)
	}
	return r.checkGet(m, nil)
}

// checkGet checks that currentView changes nothing in the state that path
// leads to.
func (r *viewRunner) checkGet(m ViewMachine, path []ViewEvent) *ViewCounterexample {
	before := maphash.Bytes(seed, r.enc.encode(m.State()))
	var v View
	if p := catchPanic("viewState", func() *viewViolation { v = m.View(); return nil }); p != nil {
		return counterexample(p, path)
	}
	after := maphash.Bytes(seed, r.enc.encode(m.State()))
	if before != after {
		return counterexample(violated(ruleGet, "currentView (the Get RPC) changed the state; it returned %s", v), path)
	}
	if again := m.View(); again != v {
		return counterexample(violated(ruleGet, "two calls of currentView in a row returned %s, then %s", v, again), path)
	}
	return nil
}

// key returns the identity of the state m and md are in.
func (r *viewRunner) key(m ViewMachine, md *viewModel) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	h.Write(r.enc.encode(m.State()))
	r.keyBuf = md.key(r.keyBuf[:0])
	h.Write(r.keyBuf)
	return h.Sum64()
}

// candidates returns the events to try from a state whose view is v: each
// server's pings with 0, with the number of the latest view it was sent,
// and with the current view's number and the one before; one tick; and
// DeadPings ticks at once. A server that never pinged may ping only once
// every server named before it has: the names are interchangeable, but for
// the order in which idle servers are chosen.
func (r *viewRunner) candidates(md *viewModel, v View) []ViewEvent {
	var events []ViewEvent
	for i, name := range r.servers {
		if !md.pinged[i] && i > 0 && !md.pinged[i-1] {
			break
		}
		nums := []uint{0, md.toldNum[i], v.Viewnum}
		if v.Viewnum > 1 {
			nums = append(nums, v.Viewnum-1)
		}
		var done []uint
		for _, num := range nums {
			if slices.Contains(done, num) {
				continue
			}
			done = append(done, num)
			events = append(events, Ping(name, num))
		}
	}
	return append(events, Ticks(1), Ticks(DeadPings))
}

// step applies e after path, checking every rule, and returns the
// counterexample if one broke. Of a run of ticks, the counterexample keeps
// those up to the one that broke the rule.
func (r *viewRunner) step(m ViewMachine, md *viewModel, path []ViewEvent, e ViewEvent) *ViewCounterexample {
	var ticks int
	v := catchPanic("viewState", func() (v *viewViolation) {
		v, ticks = r.apply(m, md, e, true)
		return v
	})
	if v == nil {
		return nil
	}
	if e.Ticks > 0 {
		e.Ticks = ticks
	}
	return counterexample(v, append(slices.Clip(path), e))
}

// rulePanic is broken by code that panics: a server must answer whatever
// it is sent, and never panic.
var rulePanic = viewRule{"panic", "docs/README.md#the-rules-of-the-game"}

// catchPanic runs f, and turns a panic in it (in the student's code) into
// a violation.
func catchPanic(what string, f func() *viewViolation) (v *viewViolation) {
	defer func() {
		if p := recover(); p != nil {
			v = violated(rulePanic, "%s panicked: %v", what, p)
		}
	}()
	return f()
}

func counterexample(v *viewViolation, events []ViewEvent) *ViewCounterexample {
	return &ViewCounterexample{Kind: v.rule.kind, What: v.what, Doc: v.rule.doc, Events: events}
}

// apply applies e to m and md. With check, it checks every rule after each
// ping and each tick, and returns the first rule broken and, for ticks,
// how many ticks had been applied when it broke.
func (r *viewRunner) apply(m ViewMachine, md *viewModel, e ViewEvent, check bool) (*viewViolation, int) {
	if e.Server != "" {
		r.events++
		return r.ping(m, md, e, check), 0
	}
	for t := 1; t <= e.Ticks; t++ {
		r.events++
		before := md.view
		md.now++
		m.Tick()
		after := m.View()
		if check {
			if v := md.checkChange(before, after); v != nil {
				return v, t
			}
		}
		md.noteView(after)
		if check {
			if v := md.checkDue(after); v != nil {
				return v, t
			}
		}
	}
	return nil, e.Ticks
}

func (r *viewRunner) ping(m ViewMachine, md *viewModel, e ViewEvent, check bool) *viewViolation {
	i := md.index(e.Server)
	before := md.view
	md.notePing(i, e.Viewnum)
	reply := m.Ping(e.Server, e.Viewnum)
	after := m.View()
	if check {
		if reply != after {
			return violated(ruleReply, "handlePing returned %s, but currentView is %s: a ping's reply is the current view, after the ping", reply, after)
		}
		if v := md.checkChange(before, after); v != nil {
			return v
		}
	}
	md.noteReply(i, reply)
	md.noteView(after)
	return nil
}

// CheckViewEvents applies events to a new view service, checking every
// rule after each ping and each tick, and returns the first rule broken,
// or nil. Servers pinging in events need not be named s1, s2, ...
func CheckViewEvents(newMachine func() ViewMachine, events []ViewEvent) *ViewCounterexample {
	var servers []string
	for _, e := range events {
		if e.Server != "" && !slices.Contains(servers, e.Server) {
			servers = append(servers, e.Server)
		}
	}
	slices.Sort(servers)
	if len(servers) > maxServers {
		return counterexample(violated(ruleInvariant, "at most %d servers may ping, got %d", maxServers, len(servers)), nil)
	}
	r := &viewRunner{new: newMachine, servers: servers, enc: newEncoder()}
	if c := r.checkRoot(); c != nil {
		return c
	}
	m, md := r.replay(nil)
	for i, e := range events {
		if c := r.step(m, &md, events[:i], e); c != nil {
			return c
		}
		if c := r.checkGet(m, events[:i+1]); c != nil {
			return c
		}
	}
	return nil
}
