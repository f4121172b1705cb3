package pbservice

import (
	"maps"
	"sync"
	"time"

	"pblab/labrpc"
	"pblab/labsync"
	"pblab/viewservice"
)

// This file is yours to complete: docs/part-b-pbservice.md takes you
// through it step by step.
//
// It has two halves, as Part A's view service has. The PBServer is the
// shell: it owns the locks and the server's goroutines, answers RPCs, and
// makes the calls to the view service and to the other server. The pbState
// is the core: the key/value state with its duplicate table, and the rules
// of roles and views, as functions that return what to do and never call
// out. The tests drive pbState directly too, one step at a time.

// PBServer is one key/value server. The view service says, view by view,
// whether it is the primary, the backup, or neither. The primary serves the
// clerks and forwards every operation to the backup; the backup applies what
// the primary forwards, and takes over if the primary fails.
type PBServer struct {
	// Set by StartServer (start.go); keep these fields.
	me    string
	vs    *viewservice.Clerk // pings the view service under the name me
	end   *labrpc.ClientEnd  // calls other servers under the name me
	host  *labrpc.Host       // the server's place on the network; Kill leaves it
	done  chan struct{}      // closed by Kill
	once  sync.Once
	state pbState // the core, made by newPBState

	// BEGIN SOLUTION

	// opMu orders what a primary does with its backup: one client
	// operation, or one state transfer, at a time, so that every operation
	// is either in the state sent to a new backup or forwarded after it.
	// It is held across calls to the backup, so it is a labsync.Mutex,
	// whose waiters the tests' virtual clock can see. The Forward and
	// Transfer handlers never take it: a server that waits for its backup
	// can still answer the server waiting for it.
	opMu labsync.Mutex

	// mu guards state and sending. It is never held across a call or a
	// sleep, so nobody waits on it for long.
	mu      sync.Mutex
	sending bool // a sendState is under way
	// END SOLUTION
}

// Get is the RPC a clerk sends the primary to read a key. A server that is
// not the primary answers ErrWrongServer.
func (pb *PBServer) Get(args *GetArgs, reply *GetReply) error {
	// BEGIN SOLUTION
	op := Op{Kind: OpGet, Key: args.Key, ClientID: args.ClientID, Seq: args.Seq}
	reply.Value, reply.Err = pb.serve(op)
	// END SOLUTION
	return nil
}

// PutAppend is the RPC a clerk sends the primary to Put or Append. A server
// that is not the primary answers ErrWrongServer.
func (pb *PBServer) PutAppend(args *PutAppendArgs, reply *PutAppendReply) error {
	// BEGIN SOLUTION
	if args.Op != OpPut && args.Op != OpAppend {
		reply.Err = Err("pbservice: unknown operation " + args.Op)
		return nil
	}
	op := Op{Kind: args.Op, Key: args.Key, Value: args.Value, ClientID: args.ClientID, Seq: args.Seq}
	_, reply.Err = pb.serve(op)
	// END SOLUTION
	return nil
}

// Forward is the RPC the primary sends its backup with each operation.
func (pb *PBServer) Forward(args *ForwardArgs, reply *ForwardReply) error {
	// BEGIN SOLUTION
	pb.mu.Lock()
	defer pb.mu.Unlock()
	reply.Err = pb.state.handleForward(args)
	if debugOn {
		debugf(topicFwd, pb.me, "%s(%q) #%d of client %d from %s in view %d: %s",
			args.Op.Kind, args.Op.Key, args.Op.Seq, args.Op.ClientID, args.Primary, args.Viewnum, reply.Err)
	}
	// END SOLUTION
	return nil
}

// Transfer is the RPC the primary sends a new backup: here is the whole
// state.
func (pb *PBServer) Transfer(args *TransferArgs, reply *TransferReply) error {
	// BEGIN SOLUTION
	pb.mu.Lock()
	defer pb.mu.Unlock()
	reply.Err = pb.state.handleTransfer(args)
	debugf(topicXfer, pb.me, "the state (%d keys) from %s for view %d: %s", len(args.Data), args.Primary, args.Viewnum, reply.Err)
	// END SOLUTION
	return nil
}

// tick is called once every PingInterval, by the ticker. It pings the view
// service (with mu released) and hands the reply to the core; as primary
// with a backup that lacks the state, it starts sending the state, and does
// not wait for it. It takes mu only around the core's calls, and never opMu:
// it must not wait for an operation or a transfer, or it would stop pinging
// and the view service would think the server dead
// (docs/part-b-pbservice.md#b14).
func (pb *PBServer) tick() {
	// BEGIN SOLUTION
	pb.mu.Lock()
	viewnum := pb.state.pingViewnum()
	pb.mu.Unlock()
	v, err := pb.vs.Ping(viewnum)
	if err != nil {
		return // the next tick pings again
	}
	pb.mu.Lock()
	before := pb.state.currentView()
	pb.state.handleView(v)
	if after := pb.state.currentView(); after != before {
		debugf(topicView, pb.me, "view %d: primary %s, backup %s", after.Viewnum, orNone(after.Primary), orNone(after.Backup))
	}
	start := pb.state.needsTransfer() && !pb.sending
	pb.sending = pb.sending || start
	pb.mu.Unlock()
	if start {
		go pb.sendState()
	}
	// END SOLUTION
}

// BEGIN SOLUTION

// forwardRetry is how long the primary waits before it sends a forward or
// a transfer again after the backup did not answer, and how often a call
// in flight looks whether its view has ended.
const forwardRetry = 10 * time.Millisecond

// serve runs a client's operation as the primary: first at the backup, then
// here. Operations run one at a time, in the order they take opMu.
func (pb *PBServer) serve(op Op) (string, Err) {
	pb.opMu.Lock()
	defer pb.opMu.Unlock()
	pb.mu.Lock()
	step := pb.state.startOp(op)
	pb.mu.Unlock()
	if step.done {
		return step.value, step.status
	}
	backupStatus := pb.sendForward(step.backup, &step.forward)
	pb.mu.Lock()
	defer pb.mu.Unlock()
	value, status := pb.state.finishOp(step, backupStatus)
	if debugOn {
		debugf(topicOp, pb.me, "%s(%q) #%d of client %d: backup %s, answer %s", op.Kind, op.Key, op.Seq, op.ClientID, orNone(string(backupStatus)), status)
	}
	return value, status
}

// sendForward sends args to the backup until it answers, and returns its
// answer. A call that gets no reply proves nothing (the backup may have
// applied the operation and only the reply been lost), so the primary may
// neither give up nor apply the operation alone while its view stands: it
// sends again, and the backup's duplicate table makes repeats harmless. It
// returns "" once the view has ended, or the server was killed.
func (pb *PBServer) sendForward(backup string, args *ForwardArgs) Err {
	for {
		if reply, ok := callInView[ForwardReply](pb, args.Viewnum, backup, "PBServer.Forward", args); ok {
			return reply.Err
		}
		pb.sleep(forwardRetry)
		if pb.killed() || pb.viewnum() != args.Viewnum {
			return ""
		}
	}
}

// sendState sends the whole state to the backup, once, and hands its
// answer to the core; tick starts it again while the backup lacks the
// state. It holds opMu, so that no operation slips between the snapshot and
// the forwards that follow it.
func (pb *PBServer) sendState() {
	pb.opMu.Lock()
	defer pb.opMu.Unlock()
	pb.mu.Lock()
	backup, args, ok := pb.state.stateToSend()
	pb.mu.Unlock()
	if ok {
		var status Err
		if reply, replied := callInView[TransferReply](pb, args.Viewnum, backup, "PBServer.Transfer", &args); replied {
			status = reply.Err
		}
		debugf(topicXfer, pb.me, "the state (%d keys) to %s for view %d: %s", len(args.Data), backup, args.Viewnum, orNone(string(status)))
		pb.mu.Lock()
		pb.state.transferDone(&args, status)
		pb.mu.Unlock()
	}
	pb.mu.Lock()
	pb.sending = false
	pb.mu.Unlock()
}

// callInView calls method on server, for the server's view viewnum, and
// returns the reply if one came. It stops waiting as soon as the server has
// moved on from that view, or is killed: the call then goes on in the
// background, and its reply is dropped. So a server never waits for a call
// its view no longer needs.
func callInView[Reply any](pb *PBServer, viewnum uint, server, method string, args any) (Reply, bool) {
	type result struct {
		reply Reply
		ok    bool
	}
	done := make(chan result, 1) // buffered: an abandoned call still ends
	go func() {
		var r result
		defer func() { done <- r }() // also if Call ends the goroutine
		r.ok = pb.end.Call(server, method, args, &r.reply)
	}()
	poll := time.NewTicker(forwardRetry)
	defer poll.Stop()
	for {
		select {
		case r := <-done:
			return r.reply, r.ok
		case <-pb.done:
			var none Reply
			return none, false
		case <-poll.C:
			if pb.viewnum() != viewnum {
				var none Reply
				return none, false
			}
		}
	}
}

// viewnum returns the number of the view the server acts in.
func (pb *PBServer) viewnum() uint {
	pb.mu.Lock()
	defer pb.mu.Unlock()
	return pb.state.currentView().Viewnum
}

// sleep waits for d, or until Kill.
func (pb *PBServer) sleep(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-pb.done:
	}
}

// orNone names an empty role "none" in logs.
func orNone(name string) string {
	if name == "" {
		return "none"
	}
	return name
}

// END SOLUTION

// pbState is everything one server knows, and the rules that change it:
// the key/value state with its duplicate table, the view the server acts
// in, and whether it holds the state. It knows nothing of goroutines, locks,
// clocks or the network: its methods return what the server must do, and
// the PBServer does it. They are called one at a time (under the server's
// lock), so they need no locking of their own.
type pbState struct {
	// BEGIN SOLUTION
	me       string
	view     viewservice.View // the view the server acts in
	hasState bool             // data and seen are the service's state: see handleView
	synced   bool             // as primary: the backup of view holds the state too
	acked    uint             // the view number to ping with
	data     map[string]string
	seen     map[int64]int64 // the duplicate table: each client's latest applied Put/Append Seq
	// END SOLUTION
}

// An opStep is what the server does next with a client's operation: answer
// at once (done), or first send forward to the backup, then call finishOp
// with the backup's answer.
type opStep struct {
	done   bool
	value  string // the answer, when done
	status Err

	backup  string // the backup to forward to, when not done
	forward ForwardArgs
}

// newPBState returns the state of a server that has just started: it has
// seen no view, and holds no state.
func newPBState(me string) pbState {
	// BEGIN SOLUTION
	return pbState{me: me, data: map[string]string{}, seen: map[int64]int64{}}
	// END SOLUTION
	// STUB: return pbState{}
}

// currentView returns the view the server acts in.
func (s *pbState) currentView() viewservice.View {
	// BEGIN SOLUTION
	return s.view
	// END SOLUTION
	// STUB: return viewservice.View{}
}

// pingViewnum returns the view number to ping the view service with: 0
// until the server has heard of a view; then the number of its view, but a
// primary acks a view only once its backup, if it has one, holds the state.
func (s *pbState) pingViewnum() uint {
	// BEGIN SOLUTION
	return s.acked
	// END SOLUTION
	// STUB: return 0
}

// handleView moves the server to view v, the view service's reply to a
// ping, if v is newer than the view it acts in.
func (s *pbState) handleView(v viewservice.View) {
	// BEGIN SOLUTION
	if v.Viewnum <= s.view.Viewnum {
		return
	}
	switch {
	case v.Primary == s.me:
		// The primary of a view was primary or backup of the view before,
		// holding the state if anyone did; the primary of view 1 starts the
		// service, with the empty state.
		s.hasState = s.hasState || v.Viewnum == 1
		s.synced = v.Backup == ""
	case v.Backup == s.me:
		// A new view needs a new transfer, which may come before or after
		// this server hears of the view.
		s.hasState, s.synced = false, false
	default:
		s.hasState, s.synced = false, false
		s.data, s.seen = map[string]string{}, map[int64]int64{}
	}
	s.view = v
	if v.Primary != s.me || s.hasState && s.synced {
		s.acked = v.Viewnum
	}
	// END SOLUTION
}

// startOp decides what the server does with a client's operation: refuse
// it (ErrWrongServer) unless it is the primary of its view, holds the
// state, and its backup holds it too; answer a Put or Append done before
// with OK; apply it at once if there is no backup; else forward it.
func (s *pbState) startOp(op Op) opStep {
	// BEGIN SOLUTION
	switch {
	case s.view.Primary != s.me || !s.hasState || !s.synced:
		return opStep{done: true, status: ErrWrongServer}
	case s.isDuplicate(op):
		// Done before: the backup has it too, since the primary applies an
		// operation only after the backup did.
		return opStep{done: true, status: OK}
	case s.view.Backup == "":
		value, status := s.apply(op)
		return opStep{done: true, value: value, status: status}
	}
	return opStep{
		backup:  s.view.Backup,
		forward: ForwardArgs{Viewnum: s.view.Viewnum, Primary: s.me, Op: op},
	}
	// END SOLUTION
	// STUB: return opStep{done: true, status: ErrWrongServer}
}

// finishOp applies a forwarded operation once the backup has answered it
// with backupStatus ("" if no answer came before the view ended), and
// returns the answer for the client. It applies the operation only if the
// backup applied it and the server still acts in the view it forwarded in.
func (s *pbState) finishOp(step opStep, backupStatus Err) (string, Err) {
	// BEGIN SOLUTION
	if s.view.Viewnum != step.forward.Viewnum {
		return "", ErrWrongServer // a newer view: another server may be primary
	}
	switch backupStatus {
	case OK:
		return s.apply(step.forward.Op)
	case ErrNoState:
		s.synced = false // the backup lost the state (it restarted): send it again
	}
	return "", ErrWrongServer
	// END SOLUTION
	// STUB: return "", ErrWrongServer
}

// handleForward applies an operation the primary forwarded, as the backup,
// and returns the answer for the primary: OK once applied (a Put or Append
// at most once, however often it is sent), ErrNoState if the server does not
// hold the state of the sender's view, ErrWrongServer if the sender is not
// the primary of the view the server acts in, or the server not its backup.
func (s *pbState) handleForward(args *ForwardArgs) Err {
	// BEGIN SOLUTION
	switch {
	case args.Viewnum < s.view.Viewnum:
		return ErrWrongServer // from an older view: its sender is primary no more
	case args.Viewnum == s.view.Viewnum && (s.view.Backup != s.me || s.view.Primary != args.Primary):
		return ErrWrongServer
	case args.Viewnum > s.view.Viewnum || !s.hasState:
		return ErrNoState
	}
	s.apply(args.Op)
	return OK
	// END SOLUTION
	// STUB: return ErrWrongServer
}

// needsTransfer reports whether the server is a primary whose backup lacks
// the state.
func (s *pbState) needsTransfer() bool {
	// BEGIN SOLUTION
	return s.view.Primary == s.me && s.hasState && !s.synced && s.view.Backup != ""
	// END SOLUTION
	// STUB: return false
}

// stateToSend returns the transfer that gives the backup the whole state,
// and the backup's name, if the backup needs it (see needsTransfer). The
// transfer holds a copy of the state: the server may change its own before
// the transfer is sent.
func (s *pbState) stateToSend() (string, TransferArgs, bool) {
	// BEGIN SOLUTION
	if !s.needsTransfer() {
		return "", TransferArgs{}, false
	}
	return s.view.Backup, TransferArgs{
		Viewnum: s.view.Viewnum, Primary: s.me, Backup: s.view.Backup,
		Data: maps.Clone(s.data), Seen: maps.Clone(s.seen),
	}, true
	// END SOLUTION
	// STUB: return "", TransferArgs{}, false
}

// transferDone notes the backup's answer to a transfer stateToSend made
// (backupStatus, or "" if no answer came). Once the backup has the state,
// the primary may forward to it, and acks its view.
func (s *pbState) transferDone(args *TransferArgs, backupStatus Err) {
	// BEGIN SOLUTION
	if backupStatus == OK && args.Viewnum == s.view.Viewnum && s.needsTransfer() {
		s.synced = true
		s.acked = s.view.Viewnum
	}
	// END SOLUTION
}

// handleTransfer takes the whole state from the primary, as its new backup,
// and returns the answer for the primary: OK if the server now holds the
// state of the transfer's view, ErrWrongServer if the transfer is for an
// older view than the one the server acts in, or for another server.
func (s *pbState) handleTransfer(args *TransferArgs) Err {
	// BEGIN SOLUTION
	switch {
	case args.Backup != s.me || args.Viewnum < s.view.Viewnum:
		return ErrWrongServer
	case args.Viewnum == s.view.Viewnum && s.hasState:
		// Taken already: a repeat whose first reply was lost, or a late
		// copy. Taking it again would undo the forwards applied since.
		return OK
	}
	// The primary learned this view from the view service: adopt it.
	s.view = viewservice.View{Viewnum: args.Viewnum, Primary: args.Primary, Backup: s.me}
	s.hasState, s.synced = true, false
	s.data, s.seen = args.Data, args.Seen
	if s.data == nil { // gob sends an empty map as nothing at all
		s.data = map[string]string{}
	}
	if s.seen == nil {
		s.seen = map[int64]int64{}
	}
	s.acked = args.Viewnum
	return OK
	// END SOLUTION
	// STUB: return ErrWrongServer
}

// BEGIN SOLUTION

// isDuplicate reports whether op is a Put or Append the server has applied
// before. A clerk has one operation outstanding at a time, with increasing
// numbers, so its latest applied number is all the server needs to keep.
func (s *pbState) isDuplicate(op Op) bool {
	return op.Kind != OpGet && op.Seq <= s.seen[op.ClientID]
}

// apply performs op on the state, at most once for a Put or an Append, and
// returns a Get's result.
func (s *pbState) apply(op Op) (string, Err) {
	if op.Kind == OpGet {
		v, ok := s.data[op.Key]
		if !ok {
			return "", ErrNoKey
		}
		return v, OK
	}
	if s.isDuplicate(op) {
		return "", OK
	}
	if op.Kind == OpAppend {
		s.data[op.Key] += op.Value
	} else {
		s.data[op.Key] = op.Value
	}
	s.seen[op.ClientID] = op.Seq
	return "", OK
}

// END SOLUTION
