package explore

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"pblab/internal/explore/plan"
	"slices"
	"strings"
	"time"
)

// The exhaustive check of Part B's core. Two servers' pbStates, driven
// directly as the tests drive them, with no goroutines, clocks or network:
// a model of the view service hands out views (any view the successor rule
// and the ack rule allow, as a view service that suspects a live server
// may), the servers learn them when their pings come back, two clients
// send their operations to either server, and every message between the
// servers (forwards, transfers, and their replies) is delivered, lost,
// delivered twice or delivered late, in every order. Each server does one
// thing at a time with its backup, as its shell does: one operation, or
// one transfer; and a primary sends its state only in the view the view
// service is in, as a shell that sends it from its ticker, after a ping,
// does. A breadth-first search tries every sequence of these
// events, up to a few view changes, a restart and a duplicate, and checks
// what the clients see (every Get reads what the Appends before it wrote,
// each once), and that a primary acks a view with a backup only once the
// backup has taken the state.

// A Core is one server's pbState, as the exhaustive check drives it:
// pbservice's test file wraps the student's pbState in one. Messages are
// the student's own types, which the check carries without looking inside
// (copied through encoding/gob, as labrpc copies them).
type Core interface {
	CurrentView() View
	PingViewnum() uint
	HandleView(v View)
	StartOp(op CoreOp) CoreStep
	// FinishOp is finishOp, with the step StartOp returned.
	FinishOp(step CoreStep, backupStatus string) (value, status string)
	HandleForward(args any) string
	NeedsTransfer() bool
	StateToSend() (backup string, args any, ok bool)
	TransferDone(args any, backupStatus string)
	HandleTransfer(args any) string
	// State returns a pointer to the state itself, for its canonical
	// encoding.
	State() any
}

// A CoreOp is pbservice's Op.
type CoreOp struct {
	Kind     string
	Key      string
	Value    string
	ClientID int64
	Seq      int64
}

// A CoreStep is what StartOp decided: the student's opStep, and what the
// check needs to know of it.
type CoreStep struct {
	Done    bool
	Value   string
	Status  string
	Backup  string
	Forward any // the forward's arguments, to send to Backup
	Step    any // the student's opStep, handed back to FinishOp
}

// The rules the core check reports.
var (
	ruleCoreLinear = viewRule{"linearizability (core)", partBGuide + "#b16"}
	ruleCoreAck    = viewRule{"ack after the transfer (core)", partBGuide + "#b9"}
)

// The bounds of a core search.
const (
	coreServers     = 2
	coreMaxViews    = 4 // views handed out, the first included
	coreMaxRestarts = 1
	coreMaxDups     = 1
)

// The clients of the core check: c1 appends "x" then "y" to one key, c2
// reads it twice.
var coreClients = [][]CoreOp{
	{{Kind: "Append", Key: "a", Value: "x", ClientID: 1, Seq: 1}, {Kind: "Append", Key: "a", Value: "y", ClientID: 1, Seq: 2}},
	{{Kind: "Get", Key: "a", ClientID: 2, Seq: 1}, {Kind: "Get", Key: "a", ClientID: 2, Seq: 2}},
}

// A CoreEvent is one step of the core check.
type CoreEvent struct {
	Kind   string `json:"kind"`             // one of the coreEv constants
	Server int    `json:"server,omitempty"` // the server it happens at (0, 1)
	Client int    `json:"client,omitempty"` // the client that sends (0, 1)
	Msg    int    `json:"msg,omitempty"`    // the message's place among those in flight
	View   View   `json:"view,omitzero"`    // the view the view service hands out
}

// The kinds of core event.
const (
	coreEvView     = "view"       // the view service moves to View
	coreEvPing     = "ping"       // Server pings, and learns the view service's view
	coreEvSend     = "send"       // Client sends its operation to Server
	coreEvXfer     = "transfer"   // Server, a primary whose backup lacks the state, sends it
	coreEvDeliver  = "deliver"    // message Msg arrives
	coreEvTwice    = "twice"      // message Msg arrives, and will arrive again later
	coreEvLose     = "lose"       // message Msg is lost
	coreEvResend   = "resend"     // Server sends its forward again, its first copy or its reply lost
	coreEvGiveUp   = "give up"    // Server gives up its operation's forward (finishOp with no answer)
	coreEvRestart  = "restart"    // Server crashes and restarts, with a new pbState
	coreEvLoseBack = "lose reply" // the reply to Client is lost; it will try again
)

// encodeCoreEvents writes events as a replay file holds them.
func encodeCoreEvents(events []CoreEvent) json.RawMessage {
	data, err := json.Marshal(events)
	if err != nil {
		panic(fmt.Sprintf("explore: core events do not encode: %v", err)) // plain structs always do
	}
	return data
}

func (e CoreEvent) String() string {
	s := plan.ServerName(e.Server)
	switch e.Kind {
	case coreEvView:
		return "the view service moves to " + e.View.String()
	case coreEvPing:
		return s + " pings and learns the view"
	case coreEvSend:
		return fmt.Sprintf("%s sends its operation to %s", plan.ClientName(e.Client), s)
	case coreEvXfer:
		return s + " sends its state to its backup"
	case coreEvDeliver, coreEvTwice, coreEvLose:
		return fmt.Sprintf("message %d: %s", e.Msg, e.Kind)
	case coreEvResend:
		return s + " sends its forward again"
	case coreEvGiveUp:
		return s + " gives up its forward"
	case coreEvRestart:
		return s + " crashes and restarts"
	case coreEvLoseBack:
		return fmt.Sprintf("the reply to %s is lost", plan.ClientName(e.Client))
	}
	return e.Kind
}

// The kinds of message between the servers.
const (
	msgForward = iota
	msgForwardReply
	msgTransfer
	msgTransferReply
	msgAnswer // a server's answer to a client
)

// A coreMsg is a message in flight.
type coreMsg struct {
	kind     int
	from, to int // servers; for an answer, to is the client
	args     any // a forward's or transfer's arguments
	status   string
	value    string
	spare    bool // a copy that arrives again (coreEvTwice): its reply goes nowhere
	incarn   [coreServers]int
}

// A coreJob is what a server is doing with its backup: one operation (its
// forward in flight, or waiting to be sent again), or one transfer.
type coreJob struct {
	transfer bool
	client   int
	step     CoreStep
	args     any // the transfer's arguments
	inFlight bool
}

// A coreClient is a client's progress.
type coreClient struct {
	next    int  // its next operation
	waiting bool // an attempt of ops[next] is out and not answered
	started bool // ops[next] has been sent at least once
	floor   int  // (readers) appends committed when ops[next] was first sent
}

// A coreWorld is the whole system of a core check.
type coreWorld struct {
	newCore  func(me string) Core
	cores    [coreServers]Core
	incarn   [coreServers]int
	view     View
	acked    bool
	views    int
	restarts int
	dups     int
	msgs     []coreMsg
	jobs     [coreServers]*coreJob
	clients  [2]coreClient
	sentXfer [coreServers]uint // the view in which each server's latest transfer was answered OK
	applied  int               // c1's appends answered OK
	seen     int               // the most appends any answered Get has shown
}

func newCoreWorld(newCore func(me string) Core) *coreWorld {
	w := &coreWorld{newCore: newCore}
	for i := range w.cores {
		w.cores[i] = newCore(plan.ServerName(i))
	}
	return w
}

// events returns the events possible in w.
func (w *coreWorld) events() []CoreEvent {
	var evs []CoreEvent
	if w.views < coreMaxViews && (w.view.Viewnum == 0 || w.acked) {
		for _, v := range w.nextViews() {
			evs = append(evs, CoreEvent{Kind: coreEvView, View: v})
		}
	}
	for s := range coreServers {
		if w.view.Viewnum > 0 {
			evs = append(evs, CoreEvent{Kind: coreEvPing, Server: s})
		}
		// A primary sends its state from its ticker, right after a ping
		// has told it the view service's view: only in that view.
		if j := w.jobs[s]; j == nil && w.cores[s].NeedsTransfer() && w.cores[s].CurrentView() == w.view {
			evs = append(evs, CoreEvent{Kind: coreEvXfer, Server: s})
		} else if j != nil && !j.transfer && !j.inFlight {
			evs = append(evs, CoreEvent{Kind: coreEvResend, Server: s}, CoreEvent{Kind: coreEvGiveUp, Server: s})
		}
		// The primary of view 1, restarted, cannot tell itself from the
		// first server of all (view 1 names it either way): a limit of the
		// design, left out.
		if w.restarts < coreMaxRestarts && !(w.view.Viewnum == 1 && w.view.Primary == plan.ServerName(s)) {
			evs = append(evs, CoreEvent{Kind: coreEvRestart, Server: s})
		}
	}
	for c := range w.clients {
		cl := &w.clients[c]
		if cl.next >= len(coreClients[c]) || cl.waiting {
			continue
		}
		for s := range coreServers {
			if w.jobs[s] == nil {
				evs = append(evs, CoreEvent{Kind: coreEvSend, Client: c, Server: s})
			}
		}
	}
	for i, m := range w.msgs {
		evs = append(evs, CoreEvent{Kind: coreEvDeliver, Msg: i}, CoreEvent{Kind: coreEvLose, Msg: i})
		if w.dups < coreMaxDups && (m.kind == msgForward || m.kind == msgTransfer) && !m.spare {
			evs = append(evs, CoreEvent{Kind: coreEvTwice, Msg: i})
		}
	}
	return evs
}

// nextViews returns the views the view service may move to: the first
// view names any server primary; after it, the successor rule holds and
// consecutive views differ.
func (w *coreWorld) nextViews() []View {
	n := w.view.Viewnum + 1
	var vs []View
	for p := range coreServers {
		for b := -1; b < coreServers; b++ {
			if b == p {
				continue
			}
			v := View{Viewnum: n, Primary: plan.ServerName(p)}
			if b >= 0 {
				v.Backup = plan.ServerName(b)
			}
			switch {
			case n == 1 && v.Backup != "":
				continue
			case n > 1 && v.Primary != w.view.Primary && v.Primary != w.view.Backup:
				continue
			case n > 1 && v.Primary == w.view.Primary && v.Backup == w.view.Backup:
				continue
			}
			vs = append(vs, v)
		}
	}
	return vs
}

// apply applies e, and returns the rule it broke, if any.
func (w *coreWorld) apply(e CoreEvent) *viewViolation {
	switch e.Kind {
	case coreEvView:
		w.view, w.acked = e.View, false
		w.views++
	case coreEvPing:
		return w.ping(e.Server)
	case coreEvSend:
		return w.send(e.Client, e.Server)
	case coreEvXfer:
		backup, args, ok := w.cores[e.Server].StateToSend()
		if !ok {
			return nil
		}
		to := slices.Index(serverNames(coreServers), backup)
		if to < 0 {
			return nil
		}
		w.jobs[e.Server] = &coreJob{transfer: true, args: args, inFlight: true}
		w.post(coreMsg{kind: msgTransfer, from: e.Server, to: to, args: wireCopy(args)})
	case coreEvDeliver, coreEvTwice:
		m := w.msgs[e.Msg]
		if e.Kind == coreEvTwice {
			w.dups++
			w.msgs[e.Msg].spare = true // the copy left arrives again later
		} else {
			w.msgs = slices.Delete(w.msgs, e.Msg, e.Msg+1)
		}
		return w.deliver(m)
	case coreEvLose:
		m := w.msgs[e.Msg]
		w.msgs = slices.Delete(w.msgs, e.Msg, e.Msg+1)
		w.lose(m)
	case coreEvResend:
		j := w.jobs[e.Server]
		j.inFlight = true
		w.post(coreMsg{kind: msgForward, from: e.Server, to: w.serverIndex(j.step.Backup), args: wireCopy(j.step.Forward)})
	case coreEvGiveUp:
		j := w.jobs[e.Server]
		w.jobs[e.Server] = nil
		value, status := w.cores[e.Server].FinishOp(j.step, "")
		w.post(coreMsg{kind: msgAnswer, from: e.Server, to: j.client, status: status, value: value})
	case coreEvRestart:
		w.restarts++
		w.cores[e.Server] = w.newCore(plan.ServerName(e.Server))
		w.incarn[e.Server]++
		if j := w.jobs[e.Server]; j != nil && !j.transfer {
			w.clients[j.client].waiting = false // its call fails
		}
		w.jobs[e.Server] = nil
		w.sentXfer[e.Server] = 0
		w.msgs = slices.DeleteFunc(w.msgs, func(m coreMsg) bool {
			return m.kind != msgAnswer && (m.from == e.Server || m.to == e.Server) || m.kind == msgAnswer && m.from == e.Server
		})
	}
	return nil
}

func (w *coreWorld) serverIndex(name string) int {
	return slices.Index(serverNames(coreServers), name)
}

// post puts m in flight, stamped with the incarnations of the servers.
func (w *coreWorld) post(m coreMsg) {
	m.incarn = w.incarn
	w.msgs = append(w.msgs, m)
}

// ping has server s ping: the view service notes its ack, and s learns the
// view service's view.
func (w *coreWorld) ping(s int) *viewViolation {
	name := plan.ServerName(s)
	n := w.cores[s].PingViewnum()
	if n == w.view.Viewnum && name == w.view.Primary {
		if w.view.Backup != "" && w.sentXfer[s] != n {
			return violated(ruleCoreAck, "%s acked %s before its backup %s had the state: no transfer of %s was answered OK in that view",
				name, w.view, w.view.Backup, name)
		}
		w.acked = true
	}
	w.cores[s].HandleView(w.view)
	return nil
}

// send has client c send its operation to server s.
func (w *coreWorld) send(c, s int) *viewViolation {
	cl := &w.clients[c]
	op := coreClients[c][cl.next]
	if !cl.started {
		cl.started = true
		cl.floor = w.applied
	}
	cl.waiting = true
	step := w.cores[s].StartOp(op)
	if step.Done {
		return w.answer(c, step.Value, step.Status)
	}
	b := w.serverIndex(step.Backup)
	if b < 0 {
		cl.waiting = false // a forward to nowhere: the call gets no answer
		return nil
	}
	w.jobs[s] = &coreJob{client: c, step: step, inFlight: true}
	w.post(coreMsg{kind: msgForward, from: s, to: b, args: wireCopy(step.Forward)})
	return nil
}

// deliver delivers m; a spare copy's reply goes nowhere.
func (w *coreWorld) deliver(m coreMsg) *viewViolation {
	if m.kind != msgAnswer && m.incarn != w.incarn {
		return nil // sent to or from a server since restarted
	}
	switch m.kind {
	case msgForward:
		status := w.cores[m.to].HandleForward(wireCopy(m.args))
		if !m.spare {
			w.post(coreMsg{kind: msgForwardReply, from: m.to, to: m.from, status: status})
		}
	case msgTransfer:
		status := w.cores[m.to].HandleTransfer(wireCopy(m.args))
		if !m.spare {
			w.post(coreMsg{kind: msgTransferReply, from: m.to, to: m.from, status: status})
		}
	case msgForwardReply:
		j := w.jobs[m.to]
		if j == nil || j.transfer {
			return nil
		}
		w.jobs[m.to] = nil
		value, status := w.cores[m.to].FinishOp(j.step, m.status)
		w.post(coreMsg{kind: msgAnswer, from: m.to, to: j.client, status: status, value: value})
	case msgTransferReply:
		j := w.jobs[m.to]
		if j == nil || !j.transfer {
			return nil
		}
		w.jobs[m.to] = nil
		if m.status == "OK" {
			w.sentXfer[m.to] = w.cores[m.to].CurrentView().Viewnum
		}
		w.cores[m.to].TransferDone(j.args, m.status)
	case msgAnswer:
		return w.answer(m.to, m.value, m.status)
	}
	return nil
}

// lose loses m: the server waiting for it learns nothing, or, for a
// transfer, hears that no answer came.
func (w *coreWorld) lose(m coreMsg) {
	if m.spare {
		return
	}
	switch m.kind {
	case msgForward, msgForwardReply:
		if j := w.jobs[m.from]; m.kind == msgForward && j != nil && !j.transfer {
			j.inFlight = false
		}
		if j := w.jobs[m.to]; m.kind == msgForwardReply && j != nil && !j.transfer {
			j.inFlight = false
		}
	case msgTransfer, msgTransferReply:
		p := m.from
		if m.kind == msgTransferReply {
			p = m.to
		}
		if j := w.jobs[p]; j != nil && j.transfer {
			w.jobs[p] = nil
			w.cores[p].TransferDone(j.args, "")
		}
	case msgAnswer:
		w.clients[m.to].waiting = false
	}
}

// answer gives client c its server's answer, and checks what it says: an
// Append answered OK is applied once, in order; a Get returns what the
// Appends before it wrote, no more than those begun, and never less than
// an earlier Get saw.
func (w *coreWorld) answer(c int, value, status string) *viewViolation {
	cl := &w.clients[c]
	cl.waiting = false
	op := coreClients[c][cl.next]
	if op.Kind == "Get" {
		if status != "OK" && status != "ErrNoKey" {
			return nil
		}
		if status == "ErrNoKey" {
			value = ""
		}
		all := coreAppended(len(coreClients[0]))
		begun := w.applied
		if w.clients[0].started && w.clients[0].next == w.applied && w.applied < len(coreClients[0]) {
			begun++
		}
		switch {
		case !strings.HasPrefix(all, value):
			return violated(ruleCoreLinear, "%s's Get(%q) returned %q, which no order of the Appends (%q) gives: one took effect twice, or out of order",
				plan.ClientName(c), op.Key, value, all)
		case len(value) < max(cl.floor, w.seen):
			return violated(ruleCoreLinear, "%s's Get(%q) returned %q, but %q was written (and acknowledged, or read) before the Get began",
				plan.ClientName(c), op.Key, value, coreAppended(max(cl.floor, w.seen)))
		case len(value) > begun:
			return violated(ruleCoreLinear, "%s's Get(%q) returned %q, but only %q had been sent", plan.ClientName(c), op.Key, value, coreAppended(begun))
		}
		w.seen = max(w.seen, len(value))
	} else {
		if status != "OK" {
			return nil
		}
		w.applied++
	}
	cl.next++
	cl.started = false
	return nil
}

// coreAppended is the value after the first n of c1's Appends.
func coreAppended(n int) string {
	var b strings.Builder
	for _, op := range coreClients[0][:n] {
		b.WriteString(op.Value)
	}
	return b.String()
}

// A CoreSearch says how long to search the core, and over what.
type CoreSearch struct {
	New      func(me string) Core
	Deadline time.Time
	MaxDepth int
	Progress func(ViewProgress)
	Workers  int // states expanded at once; 0: GOMAXPROCS
	// MaxStates ends the search once it has seen this many states; 0 for
	// no bound.
	MaxStates int
}

// A CoreOutcome is what a core search found.
type CoreOutcome struct {
	Depth     int
	States    int
	Exhausted bool
	Elapsed   time.Duration
	Violation *CoreCounterexample
}

// A CoreCounterexample is a shortest sequence of core events that breaks a
// rule.
type CoreCounterexample struct {
	Kind, What, Doc string
	Events          []CoreEvent
}

// DescribeCoreEvents writes a sequence of core events, each with what it
// did: which message arrived, what a server answered.
func DescribeCoreEvents(newCore func(string) Core, events []CoreEvent) string {
	w := newCoreWorld(newCore)
	lines := make([]string, len(events))
	for i, e := range events {
		lines[i] = w.describe(e)
		w.apply(e)
	}
	return strings.Join(lines, "; ")
}

// describe says what e does in w, before it is applied.
func (w *coreWorld) describe(e CoreEvent) string {
	switch e.Kind {
	case coreEvPing:
		return fmt.Sprintf("%s pings %d and learns view %d", plan.ServerName(e.Server), w.cores[e.Server].PingViewnum(), w.view.Viewnum)
	case coreEvSend:
		op := coreClients[e.Client][w.clients[e.Client].next]
		args := fmt.Sprintf("%q, %q", op.Key, op.Value)
		if op.Kind == "Get" {
			args = fmt.Sprintf("%q", op.Key)
		}
		return fmt.Sprintf("%s sends %s(%s) #%d to %s", plan.ClientName(e.Client), op.Kind, args, op.Seq, plan.ServerName(e.Server))
	case coreEvDeliver, coreEvTwice, coreEvLose:
		if e.Msg >= len(w.msgs) {
			break
		}
		m := w.msgs[e.Msg]
		what := map[string]string{coreEvDeliver: "arrives", coreEvTwice: "arrives, and will arrive again later", coreEvLose: "is lost"}[e.Kind]
		return m.String() + " " + what
	}
	return e.String()
}

func (m coreMsg) String() string {
	from, to := plan.ServerName(m.from), plan.ServerName(m.to)
	switch m.kind {
	case msgForward:
		return fmt.Sprintf("%s's forward to %s", from, to)
	case msgForwardReply:
		return fmt.Sprintf("%s's answer %s to %s's forward", from, m.status, to)
	case msgTransfer:
		return fmt.Sprintf("%s's state transfer to %s", from, to)
	case msgTransferReply:
		return fmt.Sprintf("%s's answer %s to %s's transfer", from, m.status, to)
	}
	if m.status == "OK" && m.value != "" {
		return fmt.Sprintf("%s's answer OK %q to %s", from, m.value, plan.ClientName(m.to))
	}
	return fmt.Sprintf("%s's answer %s to %s", from, m.status, plan.ClientName(m.to))
}

// replayCore rebuilds the world after path, which broke no rule.
func replayCore(newCore func(string) Core, path []CoreEvent) *coreWorld {
	w := newCoreWorld(newCore)
	for _, e := range path {
		w.apply(e)
	}
	return w
}

// Search runs the breadth-first search of the core until it finds a
// violation, runs out of states or depth, or reaches its deadline.
func (s CoreSearch) Search() (out CoreOutcome) {
	start := time.Now()
	defer func() { out.Elapsed = time.Since(start) }()
	newExpand := func() expandFunc[CoreEvent, CoreCounterexample] {
		enc := newEncoder()
		return func(path []CoreEvent, visit func(CoreEvent, uint64) bool) *CoreCounterexample {
			base := replayCore(s.New, path)
			for _, e := range base.events() {
				w := deepCopy(base)
				if v := catchPanic("pbState", func() *viewViolation { return w.apply(e) }); v != nil {
					return &CoreCounterexample{Kind: v.rule.kind, What: v.what, Doc: v.rule.doc, Events: append(slices.Clip(path), e)}
				}
				visit(e, maphash.Bytes(seed, enc.encode(w)))
			}
			return nil
		}
	}
	cfg := bfs{Workers: s.Workers, Deadline: s.Deadline, MaxDepth: s.MaxDepth, MaxStates: s.MaxStates}
	if s.Progress != nil {
		cfg.Progress = func(depth, states int) {
			s.Progress(ViewProgress{Depth: depth, States: states, Elapsed: time.Since(start)})
		}
	}
	rootKey := maphash.Bytes(seed, newEncoder().encode(newCoreWorld(s.New)))
	res := runBFS(cfg, rootKey, newExpand)
	out.Depth, out.States, out.Exhausted, out.Violation = res.Depth, res.States, res.Exhausted, res.Violation
	return out
}

// CheckCoreEvents applies events to new cores and returns the first rule
// they break, or nil. It is an error if an event cannot happen where it
// comes (the code has changed since the events were found).
func CheckCoreEvents(newCore func(string) Core, events []CoreEvent) (*CoreCounterexample, error) {
	w := newCoreWorld(newCore)
	for i, e := range events {
		if !slices.Contains(w.events(), e) {
			return nil, fmt.Errorf("explore: event %d (%s) cannot happen after [%s]", i+1, e, DescribeCoreEvents(newCore, events[:i]))
		}
		if v := catchPanic("pbState", func() *viewViolation { return w.apply(e) }); v != nil {
			return &CoreCounterexample{Kind: v.rule.kind, What: v.what, Doc: v.rule.doc, Events: events[:i+1]}, nil
		}
	}
	return nil, nil
}
