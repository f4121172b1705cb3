package pbservice

import (
	"fmt"
	"sync"
	"time"

	"pblab/labrpc"
	"pblab/labsync"
	"pblab/viewservice"
)

// PBServer is one key/value server. The view service says, view by view,
// whether it is the primary, the backup, or neither. The primary serves the
// clerks and forwards every operation to the backup; the backup applies what
// the primary forwards, and takes over if the primary fails.
type PBServer struct {
	// mu guards the server's state. It is a labsync.Mutex, so that it may be
	// held across an RPC (the primary holds it while it forwards an
	// operation) without freezing the tests' virtual clock.
	mu   labsync.Mutex
	net  *labrpc.Network
	me   string
	vs   *viewservice.Clerk // pings the view service under the name me
	end  *labrpc.ClientEnd  // calls other servers under the name me
	done chan struct{}      // closed by Kill
	once sync.Once

	// BEGIN SOLUTION
	view   viewservice.View  // the view this server acts in
	ready  bool              // it holds the service's state: see maybeChangeView
	synced bool              // as primary: the backup of view has the state
	data   map[string]string // the key/value state
	seen   map[int64]int64   // the duplicate table: each client's latest applied Put/Append Seq

	// The ticker pings while an operation may hold mu for long (a forward
	// that the backup does not answer), so it shares what it learns under a
	// lock of its own, which nobody holds across a call or a sleep.
	pingMu  sync.Mutex
	latest  viewservice.View // the newest view the view service has sent
	acked   uint             // the view number to ping with
	newView chan struct{}    // wakes viewChanger after each ping
	// END SOLUTION
}

// Get is the RPC a clerk sends the primary to read a key. A server that is
// not the primary answers ErrWrongServer.
func (pb *PBServer) Get(args *GetArgs, reply *GetReply) error {
	// BEGIN SOLUTION
	pb.mu.Lock()
	defer pb.mu.Unlock()
	if !pb.maybeActAsPrimary() {
		reply.Err = ErrWrongServer
		return nil
	}
	// A Get is forwarded too: the backup's acceptance proves that no newer
	// view has a new primary that could have written since.
	op := Op{Kind: OpGet, Key: args.Key, ClientID: args.ClientID, Seq: args.Seq}
	if err := pb.sendForward(op); err != OK {
		reply.Err = err
		return nil
	}
	reply.Value, reply.Err = pb.apply(op)
	// Testing debugOn first spares this path, taken by every operation, the
	// allocations of debugf's arguments while logging is off.
	if debugOn {
		debugf(topicOp, pb.me, "Get(%q) #%d of client %d: %s", op.Key, op.Seq, op.ClientID, reply.Err)
	}
	// END SOLUTION
	return nil
}

// PutAppend is the RPC a clerk sends the primary to Put or Append. A server
// that is not the primary answers ErrWrongServer.
func (pb *PBServer) PutAppend(args *PutAppendArgs, reply *PutAppendReply) error {
	// BEGIN SOLUTION
	pb.mu.Lock()
	defer pb.mu.Unlock()
	if !pb.maybeActAsPrimary() {
		reply.Err = ErrWrongServer
		return nil
	}
	op := Op{Kind: args.Op, Key: args.Key, Value: args.Value, ClientID: args.ClientID, Seq: args.Seq}
	if op.Kind != OpPut && op.Kind != OpAppend {
		reply.Err = Err(fmt.Sprintf("pbservice: unknown operation %q", op.Kind))
		return nil
	}
	if pb.isDuplicate(op) {
		// Done before: the backup has it too, since the primary applies an
		// operation only after the backup did.
		debugf(topicDup, pb.me, "%s(%q) #%d of client %d: done before", op.Kind, op.Key, op.Seq, op.ClientID)
		reply.Err = OK
		return nil
	}
	if err := pb.sendForward(op); err != OK {
		reply.Err = err
		return nil
	}
	_, reply.Err = pb.apply(op)
	if debugOn {
		debugf(topicOp, pb.me, "%s(%q, %q) #%d of client %d: %s", op.Kind, op.Key, op.Value, op.Seq, op.ClientID, reply.Err)
	}
	// END SOLUTION
	return nil
}

// BEGIN SOLUTION

// forwardRetry is how long the primary waits before it sends a forward again
// after the backup did not answer.
const forwardRetry = 10 * time.Millisecond

// Forward is the RPC the primary sends its backup: apply this operation
// before I answer the client. The backup accepts it only from the primary of
// the view it acts in, and only once it has the state.
func (pb *PBServer) Forward(args *ForwardArgs, reply *ForwardReply) error {
	pb.mu.Lock()
	defer pb.mu.Unlock()
	if pb.killed() || !pb.ready || pb.view.Backup != pb.me ||
		args.Viewnum != pb.view.Viewnum || args.Primary != pb.view.Primary {
		debugf(topicFwd, pb.me, "refused %s(%q) from %s for view %d: I act in view %d (%s, %s), holding the state: %v",
			args.Op.Kind, args.Op.Key, args.Primary, args.Viewnum, pb.view.Viewnum, pb.view.Primary, pb.view.Backup, pb.ready)
		reply.Err = ErrWrongServer
		return nil
	}
	pb.apply(args.Op) // applies a Put/Append only once, however often it is sent
	if debugOn {
		debugf(topicFwd, pb.me, "applied %s(%q) #%d of client %d from primary %s in view %d",
			args.Op.Kind, args.Op.Key, args.Op.Seq, args.Op.ClientID, args.Primary, args.Viewnum)
	}
	reply.Err = OK
	return nil
}

// Transfer is the RPC the primary sends a new backup: here is the whole
// state. It replaces whatever the backup had, and makes it ready to accept
// forwards in that view and, later, to act as primary.
func (pb *PBServer) Transfer(args *TransferArgs, reply *TransferReply) error {
	pb.mu.Lock()
	defer pb.mu.Unlock()
	if pb.killed() || args.Backup != pb.me || args.Viewnum < pb.view.Viewnum {
		debugf(topicXfer, pb.me, "refused the state from %s for view %d: I act in view %d", args.Primary, args.Viewnum, pb.view.Viewnum)
		reply.Err = ErrWrongServer // meant for an older view, or another server
		return nil
	}
	// The primary learned this view from the view service, so it is at least
	// as new as the one the backup acts in: adopt it.
	pb.view = viewservice.View{Viewnum: args.Viewnum, Primary: args.Primary, Backup: args.Backup}
	pb.ready, pb.synced = true, false
	// gob sends an empty map as nothing at all.
	pb.data, pb.seen = args.Data, args.Seen
	if pb.data == nil {
		pb.data = map[string]string{}
	}
	if pb.seen == nil {
		pb.seen = map[int64]int64{}
	}
	pb.setAcked(args.Viewnum)
	debugf(topicView, pb.me, "view %d: backup of %s, with the state (%d keys) it sent", args.Viewnum, args.Primary, len(pb.data))
	reply.Err = OK
	return nil
}

// maybeActAsPrimary reports whether the server may serve a client now: it is
// the primary of its view, holds the state, and its backup (if any) holds it
// too. It first moves to a newer view if the ticker has seen one, and sends
// the state to a new backup if it has not yet. Called with mu held.
func (pb *PBServer) maybeActAsPrimary() bool {
	pb.maybeChangeView()
	return !pb.killed() && pb.ready && pb.synced && pb.view.Primary == pb.me
}

// isDuplicate reports whether op is a Put/Append the server has applied
// before. A clerk has one operation outstanding at a time, with increasing
// numbers, so its latest applied number is all the server needs to keep.
func (pb *PBServer) isDuplicate(op Op) bool {
	return op.Kind != OpGet && op.Seq <= pb.seen[op.ClientID]
}

// apply performs op on the state, at most once for a Put or an Append, and
// returns a Get's result. Called with mu held.
func (pb *PBServer) apply(op Op) (string, Err) {
	if op.Kind == OpGet {
		v, ok := pb.data[op.Key]
		if !ok {
			return "", ErrNoKey
		}
		return v, OK
	}
	if pb.isDuplicate(op) {
		return "", OK
	}
	if op.Kind == OpAppend {
		pb.data[op.Key] += op.Value
	} else {
		pb.data[op.Key] = op.Value
	}
	pb.seen[op.ClientID] = op.Seq
	return "", OK
}

// sendForward sends op to the backup of the view and waits until the backup
// has applied it. It returns OK once it has (or at once if there is no
// backup), and ErrWrongServer if the backup refused it or the view changed:
// either way the primary must not apply op, and the clerk will try again.
//
// A call that gets no reply proves nothing: the backup may have applied op
// and only the reply been lost. So the primary may neither apply op alone
// nor give up while its view stands; it keeps sending, and the backup's
// duplicate table makes the repeats harmless. Called with mu held.
func (pb *PBServer) sendForward(op Op) Err {
	if pb.view.Backup == "" {
		return OK
	}
	args := ForwardArgs{Viewnum: pb.view.Viewnum, Primary: pb.me, Op: op}
	for {
		var reply ForwardReply
		if pb.end.Call(pb.view.Backup, "PBServer.Forward", &args, &reply) {
			if reply.Err == OK {
				return OK
			}
			return ErrWrongServer
		}
		if !pb.sleep(forwardRetry) || pb.latestView().Viewnum != pb.view.Viewnum {
			return ErrWrongServer
		}
	}
}

// sendTransfer sends the whole state to the backup of the view. On success
// the primary may forward to it, and acknowledges the view. Called with mu
// held, so that no operation slips between the snapshot and the forwards
// that follow it.
func (pb *PBServer) sendTransfer() {
	args := TransferArgs{
		Viewnum: pb.view.Viewnum, Primary: pb.me, Backup: pb.view.Backup,
		Data: pb.data, Seen: pb.seen, // labrpc copies them before Call returns
	}
	var reply TransferReply
	if pb.end.Call(pb.view.Backup, "PBServer.Transfer", &args, &reply) && reply.Err == OK {
		pb.synced = true
		pb.setAcked(pb.view.Viewnum)
	}
	debugf(topicXfer, pb.me, "state (%d keys) to new backup %s in view %d: ok=%v %s", len(pb.data), pb.view.Backup, pb.view.Viewnum, pb.synced, reply.Err)
}

// maybeChangeView moves the server to the newest view the ticker has seen, if
// it is newer than the one it acts in, and as primary sends the state to a
// backup that does not have it yet. Called with mu held.
//
// A server holds the state (ready) if it is the first primary of all (view
// 1, when the state is empty), or once a primary has sent it the state; it
// keeps it while it stays backup or becomes primary. A server that holds no
// state must never act as primary, even if a view names it: it is a
// restarted server, or a backup that never got the transfer.
func (pb *PBServer) maybeChangeView() {
	if pb.killed() {
		return
	}
	v := pb.latestView()
	if v.Viewnum > pb.view.Viewnum {
		switch {
		case v.Primary == pb.me:
			if v.Viewnum == 1 {
				pb.ready = true
			}
			pb.synced = v.Backup == ""
		case v.Backup == pb.me:
			// A new view needs a new transfer, which may come before or
			// after this server hears of the view.
			pb.ready, pb.synced = false, false
		default:
			pb.ready, pb.synced = false, false
			pb.data, pb.seen = map[string]string{}, map[int64]int64{}
		}
		pb.view = v
		debugf(topicView, pb.me, "view %d: primary %s, backup %s; holding the state: %v", v.Viewnum, v.Primary, orNone(v.Backup), pb.ready)
		// A primary acks a view once its backup has the state; any other
		// server just says which view it has seen.
		if v.Primary != pb.me || (pb.ready && pb.synced) {
			pb.setAcked(v.Viewnum)
		}
	}
	if pb.view.Primary == pb.me && pb.ready && !pb.synced {
		pb.sendTransfer()
	}
}

// noteView records a view the view service sent, if it is newer than any
// before.
func (pb *PBServer) noteView(v viewservice.View) {
	pb.pingMu.Lock()
	defer pb.pingMu.Unlock()
	if v.Viewnum > pb.latest.Viewnum {
		pb.latest = v
	}
}

// latestView returns the newest view the view service has sent.
func (pb *PBServer) latestView() viewservice.View {
	pb.pingMu.Lock()
	defer pb.pingMu.Unlock()
	return pb.latest
}

// setAcked sets the view number the ticker pings with.
func (pb *PBServer) setAcked(viewnum uint) {
	pb.pingMu.Lock()
	defer pb.pingMu.Unlock()
	pb.acked = viewnum
}

// viewChanger moves the server to each new view the ticker learns, under mu,
// until Kill. It runs apart from the ticker because it may wait for mu while
// an operation forwards, and the ticker must go on pinging meanwhile: if it
// stopped, the view service would think the primary dead as well.
func (pb *PBServer) viewChanger() {
	for {
		select {
		case <-pb.done:
			return
		case <-pb.newView:
		}
		pb.mu.Lock()
		pb.maybeChangeView()
		pb.mu.Unlock()
	}
}

// orNone names an empty role "none" in logs.
func orNone(name string) string {
	if name == "" {
		return "none"
	}
	return name
}

// sleep waits for d, or until Kill; it reports whether the server still runs.
func (pb *PBServer) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-pb.done:
		return false
	}
}

// END SOLUTION

// tick is called once every PingInterval. It pings the view service, and
// moves to a new view if there is one: as primary with a new backup, it
// sends the backup the whole state.
func (pb *PBServer) tick() {
	// BEGIN SOLUTION
	pb.pingMu.Lock()
	acked := pb.acked
	pb.pingMu.Unlock()
	v, err := pb.vs.Ping(acked)
	if err != nil {
		return // the next tick pings again
	}
	pb.noteView(v)
	select {
	case pb.newView <- struct{}{}:
	default: // viewChanger is busy, and will look at the latest view anyway
	}
	// END SOLUTION
}

// StartServer starts a key/value server called me on net; vshost is the
// view service's name. Do not change the given lines: tests rely on them.
func StartServer(net *labrpc.Network, vshost string, me string) *PBServer {
	pb := &PBServer{
		net:  net,
		me:   me,
		vs:   viewservice.MakeClerk(net, me, vshost),
		end:  net.MakeEnd(me),
		done: make(chan struct{}),
	}
	// BEGIN SOLUTION
	pb.data = map[string]string{}
	pb.seen = map[int64]int64{}
	pb.newView = make(chan struct{}, 1)
	go pb.viewChanger()
	// END SOLUTION
	if err := net.AddServer(me, pb); err != nil {
		panic(fmt.Sprintf("pbservice: StartServer: %v", err))
	}
	go pb.ticker()
	return pb
}

// ticker calls tick every PingInterval until Kill. Do not change it.
func (pb *PBServer) ticker() {
	t := time.NewTicker(viewservice.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-pb.done:
			return
		case <-t.C:
			pb.tick()
		}
	}
}

// Kill crashes the server: it leaves the network at once (calls to it fail,
// and its own calls fail), and its goroutines stop. Tests call it. Do not
// change it.
func (pb *PBServer) Kill() {
	pb.once.Do(func() {
		pb.net.Unregister(pb)
		close(pb.done)
	})
}

// killed reports whether Kill has been called. Long loops in the server
// check it, so that a killed server's goroutines end.
func (pb *PBServer) killed() bool {
	select {
	case <-pb.done:
		return true
	default:
		return false
	}
}
