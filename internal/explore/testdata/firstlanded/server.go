package pbservice

// The reference Part B as it first landed (commit 3c8c29f), carried onto
// today's skeleton (a core, pbState, and a shell, PBServer) with its
// algorithm and its locking unchanged: one labsync.Mutex guards the whole
// server and is held across forwards and transfers, and the Forward and
// Transfer handlers take it too; a backup that lacks the state refuses a
// forward like any stranger (ErrWrongServer), so the primary never sends
// the state again. It has the two liveness bugs the explorer must find:
// two servers that wait on each other's locks (an old primary that rejoins
// as backup), and a backup restarted before its first ping in its role,
// which is never sent the state again. The explorer's tests lay it over
// pbservice/server.go with go's -overlay; it is not part of the lab.
//
// With resendState set to true, the second hole is closed as today's
// reference closes it (a backup that lacks the state says so, ErrNoState,
// and the primary sends it again), and only the lock cycle remains.

import (
	"sync"
	"time"

	"pblab/labrpc"
	"pblab/labsync"
	"pblab/viewservice"
)

type PBServer struct {
	me    string
	vs    *viewservice.Clerk
	end   *labrpc.ClientEnd
	host  *labrpc.Host
	done  chan struct{}
	once  sync.Once
	state pbState

	// mu guards state. It is held across an RPC (the primary holds it
	// while it forwards an operation, and while it sends the state).
	mu labsync.Mutex

	// The ticker pings while an operation may hold mu for long, so it
	// shares what it learns under a lock of its own.
	pingMu  sync.Mutex
	latest  viewservice.View // the newest view the view service has sent
	acked   uint             // the view number to ping with
	newView chan struct{}    // wakes viewChanger after each ping
	started sync.Once        // starts viewChanger at the first tick
}

func (pb *PBServer) Get(args *GetArgs, reply *GetReply) error {
	op := Op{Kind: OpGet, Key: args.Key, ClientID: args.ClientID, Seq: args.Seq}
	reply.Value, reply.Err = pb.serve(op)
	return nil
}

func (pb *PBServer) PutAppend(args *PutAppendArgs, reply *PutAppendReply) error {
	op := Op{Kind: args.Op, Key: args.Key, Value: args.Value, ClientID: args.ClientID, Seq: args.Seq}
	_, reply.Err = pb.serve(op)
	return nil
}

// serve runs a client's operation under mu, forward included.
func (pb *PBServer) serve(op Op) (string, Err) {
	pb.mu.Lock()
	defer pb.mu.Unlock()
	if pb.killed() {
		return "", ErrWrongServer
	}
	pb.maybeChangeView()
	step := pb.state.startOp(op)
	if step.done {
		return step.value, step.status
	}
	return pb.state.finishOp(step, pb.sendForward(step.backup, &step.forward))
}

func (pb *PBServer) Forward(args *ForwardArgs, reply *ForwardReply) error {
	pb.mu.Lock()
	defer pb.mu.Unlock()
	if pb.killed() {
		reply.Err = ErrWrongServer
		return nil
	}
	reply.Err = pb.state.handleForward(args)
	return nil
}

func (pb *PBServer) Transfer(args *TransferArgs, reply *TransferReply) error {
	pb.mu.Lock()
	defer pb.mu.Unlock()
	if pb.killed() {
		reply.Err = ErrWrongServer
		return nil
	}
	reply.Err = pb.state.handleTransfer(args)
	pb.publishAck()
	return nil
}

func (pb *PBServer) tick() {
	pb.started.Do(func() {
		pb.newView = make(chan struct{}, 1)
		go pb.viewChanger()
	})
	pb.pingMu.Lock()
	acked := pb.acked
	pb.pingMu.Unlock()
	v, err := pb.vs.Ping(acked)
	if err != nil {
		return
	}
	pb.pingMu.Lock()
	if v.Viewnum > pb.latest.Viewnum {
		pb.latest = v
	}
	pb.pingMu.Unlock()
	select {
	case pb.newView <- struct{}{}:
	default:
	}
}

const forwardRetry = 10 * time.Millisecond

// resendState closes the second hole (see the top of the file).
const resendState = false

// sendForward sends args to the backup until it answers, with mu held: OK
// if it applied the operation, ErrWrongServer if it refused it or the
// ticker has seen a newer view.
func (pb *PBServer) sendForward(backup string, args *ForwardArgs) Err {
	for {
		var reply ForwardReply
		if pb.end.Call(backup, "PBServer.Forward", args, &reply) {
			if reply.Err == OK || reply.Err == ErrNoState {
				return reply.Err
			}
			return ErrWrongServer
		}
		if !pb.sleep(forwardRetry) || pb.latestView().Viewnum != pb.state.view.Viewnum {
			return ErrWrongServer
		}
	}
}

// maybeChangeView moves to the newest view the ticker has seen, and as
// primary sends the state to a backup that lacks it, with mu held.
func (pb *PBServer) maybeChangeView() {
	pb.state.handleView(pb.latestView())
	pb.publishAck()
	if backup, args, ok := pb.state.stateToSend(); ok {
		var reply TransferReply
		status := Err("")
		if pb.end.Call(backup, "PBServer.Transfer", &args, &reply) {
			status = reply.Err
		}
		pb.state.transferDone(&args, status)
		pb.publishAck()
	}
}

func (pb *PBServer) latestView() viewservice.View {
	pb.pingMu.Lock()
	defer pb.pingMu.Unlock()
	return pb.latest
}

// publishAck gives the ticker the view number to ping with.
func (pb *PBServer) publishAck() {
	pb.pingMu.Lock()
	defer pb.pingMu.Unlock()
	pb.acked = pb.state.pingViewnum()
}

// viewChanger moves the server to each new view the ticker learns, under
// mu, until Kill.
func (pb *PBServer) viewChanger() {
	for {
		select {
		case <-pb.done:
			return
		case <-pb.newView:
		}
		pb.mu.Lock()
		if !pb.killed() {
			pb.maybeChangeView()
		}
		pb.mu.Unlock()
	}
}

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

type pbState struct {
	me     string
	view   viewservice.View
	ready  bool // holds the service's state
	synced bool // as primary: the backup has the state
	acked  uint
	data   map[string]string
	seen   map[int64]int64
}

type opStep struct {
	done   bool
	value  string
	status Err

	backup  string
	forward ForwardArgs
}

func newPBState(me string) pbState {
	return pbState{me: me, data: map[string]string{}, seen: map[int64]int64{}}
}

func (s *pbState) currentView() viewservice.View { return s.view }

func (s *pbState) pingViewnum() uint { return s.acked }

func (s *pbState) handleView(v viewservice.View) {
	if v.Viewnum <= s.view.Viewnum {
		return
	}
	switch {
	case v.Primary == s.me:
		if v.Viewnum == 1 {
			s.ready = true
		}
		s.synced = v.Backup == ""
	case v.Backup == s.me:
		s.ready, s.synced = false, false
	default:
		s.ready, s.synced = false, false
		s.data, s.seen = map[string]string{}, map[int64]int64{}
	}
	s.view = v
	if v.Primary != s.me || s.ready && s.synced {
		s.acked = v.Viewnum
	}
}

func (s *pbState) startOp(op Op) opStep {
	switch {
	case !s.ready || !s.synced || s.view.Primary != s.me:
		return opStep{done: true, status: ErrWrongServer}
	case op.Kind != OpPut && op.Kind != OpAppend && op.Kind != OpGet:
		return opStep{done: true, status: Err("pbservice: unknown operation " + op.Kind)}
	case s.isDuplicate(op):
		return opStep{done: true, status: OK}
	case s.view.Backup == "":
		value, status := s.apply(op)
		return opStep{done: true, value: value, status: status}
	}
	return opStep{backup: s.view.Backup, forward: ForwardArgs{Viewnum: s.view.Viewnum, Primary: s.me, Op: op}}
}

func (s *pbState) finishOp(step opStep, backupStatus Err) (string, Err) {
	if backupStatus == ErrNoState && resendState {
		s.synced = false
	}
	if backupStatus != OK {
		return "", ErrWrongServer
	}
	return s.apply(step.forward.Op)
}

func (s *pbState) handleForward(args *ForwardArgs) Err {
	fromMyPrimary := args.Viewnum == s.view.Viewnum && s.view.Backup == s.me && args.Primary == s.view.Primary
	if resendState && (args.Viewnum > s.view.Viewnum || fromMyPrimary && !s.ready) {
		return ErrNoState
	}
	if !s.ready || s.view.Backup != s.me || args.Viewnum != s.view.Viewnum || args.Primary != s.view.Primary {
		return ErrWrongServer
	}
	s.apply(args.Op)
	return OK
}

func (s *pbState) needsTransfer() bool {
	return s.view.Primary == s.me && s.ready && !s.synced
}

func (s *pbState) stateToSend() (string, TransferArgs, bool) {
	if !s.needsTransfer() {
		return "", TransferArgs{}, false
	}
	return s.view.Backup, TransferArgs{
		Viewnum: s.view.Viewnum, Primary: s.me, Backup: s.view.Backup,
		Data: s.data, Seen: s.seen, // labrpc copies them before Call returns
	}, true
}

func (s *pbState) transferDone(args *TransferArgs, backupStatus Err) {
	if backupStatus == OK {
		s.synced = true
		s.acked = s.view.Viewnum
	}
}

func (s *pbState) handleTransfer(args *TransferArgs) Err {
	if args.Backup != s.me || args.Viewnum < s.view.Viewnum {
		return ErrWrongServer
	}
	s.view = viewservice.View{Viewnum: args.Viewnum, Primary: args.Primary, Backup: args.Backup}
	s.ready, s.synced = true, false
	s.data, s.seen = args.Data, args.Seen
	if s.data == nil {
		s.data = map[string]string{}
	}
	if s.seen == nil {
		s.seen = map[int64]int64{}
	}
	s.acked = args.Viewnum
	return OK
}

func (s *pbState) isDuplicate(op Op) bool {
	return op.Kind != OpGet && op.Seq <= s.seen[op.ClientID]
}

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
