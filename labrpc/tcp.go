package labrpc

import (
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"reflect"
	"sync"
	"time"

	"pblab/internal/wire"
)

// DialTimeout bounds how long a call to another process waits for a
// connection to it.
const DialTimeout = time.Second

// DialTCP sets whether calls to a name that has no server on n go to
// another process over TCP (true), the name being that process's address
// ("127.0.0.1:7001"), or fail as calls to an unknown name do (false, the
// default). Connections are made when first needed, and made again after
// one fails. See the package doc, "Across processes".
func (n *Network) DialTCP(yes bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.dialTCP = yes
}

// ServeTCP makes the servers of n reachable from other processes: it
// listens on addr ("127.0.0.1:7001") and serves every call that arrives
// as a call from an end of the caller's name on n, so n's faults apply to
// it. Other processes reach a server by its name, so a server that other
// processes call must be named by the address it is served at.
//
// stop closes the listener and every connection, so that calls in flight
// from other processes fail at their callers; handlers still running here
// go on to their end. Cleanup stops it too. ServeTCP returns an error, and
// serves nothing, if it cannot listen on addr or the network has been
// cleaned up.
func (n *Network) ServeTCP(addr string) (stop func(), err error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("labrpc: ServeTCP %q: %w", addr, err)
	}
	rs := rpc.NewServer()
	if err := rs.RegisterName(wire.Service, &bridge{n: n}); err != nil {
		l.Close()
		return nil, fmt.Errorf("labrpc: ServeTCP %q: %w", addr, err)
	}
	s := &tcpServer{l: l, rpc: rs, conns: map[net.Conn]bool{}, accepting: make(chan struct{})}
	n.mu.Lock()
	if n.closed() {
		n.mu.Unlock()
		l.Close()
		return nil, fmt.Errorf("labrpc: ServeTCP %q: %w", addr, ErrCleanedUp)
	}
	if n.listeners == nil {
		n.listeners = map[*tcpServer]bool{}
	}
	n.listeners[s] = true
	n.mu.Unlock()
	go s.accept()
	return func() {
		n.mu.Lock()
		delete(n.listeners, s)
		n.mu.Unlock()
		s.stop()
	}, nil
}

// A tcpServer serves one ServeTCP listener: one goroutine accepts
// connections, and net/rpc serves each on goroutines of its own.
type tcpServer struct {
	l         net.Listener
	rpc       *rpc.Server
	accepting chan struct{} // closed when the accept loop has ended
	once      sync.Once

	mu    sync.Mutex
	conns map[net.Conn]bool // open connections; nil once stopped
}

// accept serves each connection until the listener is closed.
func (s *tcpServer) accept() {
	defer close(s.accepting)
	for {
		conn, err := s.l.Accept()
		if err != nil {
			return
		}
		if !s.track(conn) {
			conn.Close()
			return
		}
		go func() {
			s.rpc.ServeConn(boundedConn{conn})
			s.untrack(conn)
		}()
	}
}

// track notes an open connection; it reports false once stopped.
func (s *tcpServer) track(conn net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil {
		return false
	}
	s.conns[conn] = true
	return true
}

func (s *tcpServer) untrack(conn net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, conn)
}

// stop closes the listener and every connection, and waits for the accept
// loop to end. It may be called more than once.
func (s *tcpServer) stop() {
	s.once.Do(func() {
		s.l.Close()
		s.mu.Lock()
		conns := s.conns
		s.conns = nil
		s.mu.Unlock()
		for conn := range conns {
			conn.Close()
		}
		<-s.accepting
	})
}

// bridge is the net/rpc service that ServeTCP registers: every call from
// another process comes through its one method.
type bridge struct{ n *Network }

// Call serves one call from another process.
func (b *bridge) Call(req *wire.Request, reply *wire.Reply) error {
	*reply = b.n.serveRemote(req)
	return nil
}

// serveRemote serves a call that came from another process, as a call
// from an end of the caller's name on this network, and returns what to
// send back. It goes through the same steps as Call, this network's
// faults included, but takes its args encoded and returns its reply
// encoded; it never forwards the call to a third process.
func (n *Network) serveRemote(req *wire.Request) wire.Reply {
	if n.closed() {
		return wire.Reply{}
	}
	e := n.remoteCaller(req.From)
	c := &call{n: n, e: e, p: n.plan(e, req.Server, req.Method, false), server: req.Server, svcMeth: req.Method, rec: n.recording.Load()}
	m, argv, mistake := c.decodeRemote(req)
	if mistake != nil {
		c.sent(reflect.Value{}, len(req.Args))
		n.warnOnce("remote mistake "+req.Server+" "+req.Method+" "+mistake.Error(),
			"labrpc: Call(%q, %q) from %q in another process: %v", req.Server, req.Method, req.From, mistake)
		c.fail(EventFail, mistake.Error())
		return wire.Reply{Mistake: mistake.Error()}
	}
	if m == nil { // the server crashed: the call fails as any call to it
		c.sent(reflect.Value{}, len(req.Args))
		c.deliverRequest(nil, reflect.Value{})
		return wire.Reply{}
	}
	n.warnUnsent(m.argCodec)
	c.sent(argv.Elem(), len(req.Args))

	if !c.deliverRequest(m, argv) {
		return wire.Reply{}
	}
	replyv, ok, why := n.runHandler(c.p.srv, m, argv)
	if !ok {
		c.fail(EventFail, why)
		return wire.Reply{}
	}
	if !c.deliverReply() {
		return wire.Reply{}
	}
	n.warnUnsent(m.replyCodec)
	data, err := m.replyCodec.encode(replyv.Elem())
	if err != nil {
		c.failToCopy("reply", m.replyType, err)
		return wire.Reply{}
	}
	n.totalBytes.Add(int64(len(data)))
	if c.rec {
		c.message(EventReply, len(data), replyv.Elem())
	}
	return wire.Reply{OK: true, Reply: data}
}

// decodeRemote finds the handler of req, a call from another process, and
// decodes the args for it; the error says what the caller got wrong. A
// server that crashed is no mistake: the call fails as any call to it.
func (c *call) decodeRemote(req *wire.Request) (*method, reflect.Value, error) {
	p := &c.p
	if p.srv == nil {
		if !p.everAdded {
			return nil, reflect.Value{}, fmt.Errorf("no server called %q was ever added here", req.Server)
		}
		return nil, reflect.Value{}, nil
	}
	m, err := p.srv.lookup(req.Method)
	if err != nil {
		return nil, reflect.Value{}, err
	}
	argv := reflect.New(m.argType)
	if err := m.argCodec.decode(argv, req.Args); err != nil {
		return nil, reflect.Value{}, fmt.Errorf("the args do not decode as the handler's %s: %v", m.argType, err)
	}
	return m, argv, nil
}

// remoteCaller returns an end for a caller of another process: it calls
// under the caller's name, so partitions and cuts of that name apply.
func (n *Network) remoteCaller(name string) *ClientEnd {
	n.mu.Lock()
	defer n.mu.Unlock()
	return &ClientEnd{net: n, name: name, epoch: n.epochs[name]}
}

// callRemote carries out a call to a server of another process, whose
// name is its address. This network decides the call's fate as it does
// any call's; the serving network adds its own.
func (c *call) callRemote(args, reply any) bool {
	n := c.n
	replyv := reflect.ValueOf(reply)
	if !replyv.IsValid() || replyv.Kind() != reflect.Pointer || replyv.IsNil() {
		return c.failMistake(fmt.Sprintf("reply has type %T, but it must be a non-nil pointer", reply))
	}
	n.warnReplyNotZero(c.server, c.svcMeth, replyv)
	src := reflect.Indirect(reflect.ValueOf(args))
	if !src.IsValid() {
		return c.failMistake(fmt.Sprintf("args is a nil %T", args))
	}
	argCodec := n.codec.forType(src.Type())
	n.warnUnsent(argCodec)
	data, err := argCodec.encode(src)
	if err != nil {
		c.sent(src, 0)
		return c.failToCopy("args", src.Type(), err)
	}
	c.sent(src, len(data))

	req := &wire.Request{From: c.e.name, Server: c.server, Method: c.svcMeth, Args: data}
	answer, ok := c.deliverRemote(req)
	if !ok {
		return false
	}
	if !answer.OK {
		if answer.Mistake != "" {
			n.warnOnce("remote "+c.server+" "+c.svcMeth+" "+answer.Mistake,
				"labrpc: Call(%q, %q): the server's process says: %s", c.server, c.svcMeth, answer.Mistake)
		}
		return c.fail(EventFail, "failed in the server's process")
	}
	if !c.deliverReply() {
		return false
	}
	replyCodec := n.codec.forType(replyv.Type().Elem())
	n.warnUnsent(replyCodec)
	if err := replyCodec.decode(replyv, answer.Reply); err != nil {
		return c.failToCopy("reply", replyv.Type(), err)
	}
	n.totalBytes.Add(int64(len(answer.Reply)))
	if c.rec {
		c.message(EventReply, len(answer.Reply), replyv.Elem())
	}
	return true
}

// failMistake fails a call that was wrong from the start, and says why on the
// log, once.
func (c *call) failMistake(why string) bool {
	c.n.warnOnce("mistake "+c.server+" "+c.svcMeth+" "+why, "labrpc: Call(%q, %q): %s", c.server, c.svcMeth, why)
	c.sent(reflect.Value{}, 0)
	return c.fail(EventFail, why)
}

// deliverRemote carries req to the server's process as the call's fate
// says, and returns what came back; if nothing came, it journals why. It
// sends the late or repeated requests the fate asks for.
func (c *call) deliverRemote(req *wire.Request) (*wire.Reply, bool) {
	f := &c.p.fate
	if !c.p.reachable {
		if !c.n.wait(f.FailAfter) {
			return nil, c.fail(EventFail, "network cleaned up")
		}
		return nil, c.fail(EventFail, "unreachable")
	}
	if f.RequestDelay > 0 && !c.n.wait(f.RequestDelay) {
		return nil, c.fail(EventFail, "network cleaned up")
	}
	if f.DropRequest {
		c.fail(EventDropRequest, "")
		if f.DeliverLate > 0 {
			c.resendRemote(EventDeliverLate, f.DeliverLate-f.RequestDelay, req)
		}
		return nil, false
	}
	if !c.stillReachable() {
		return nil, c.fail(EventFail, "unreachable")
	}
	if f.Repeat > 0 {
		c.resendRemote(EventDeliverAgain, f.Repeat-f.RequestDelay, req)
	}
	answer, err := c.n.sendTCP(req)
	if err != nil {
		return nil, c.fail(EventFail, err.Error())
	}
	return answer, true
}

// resendRemote sends req once more, after the given time, on a goroutine
// of its own that ends when the reply comes (it goes nowhere), when the
// send fails, or at Cleanup. It is sent only if the link is up then.
func (c *call) resendRemote(kind EventKind, after time.Duration, req *wire.Request) {
	n, e, id := c.n, c.e, c.p.id
	go func() {
		if !n.wait(after) {
			return
		}
		n.mu.Lock()
		up := n.linkUpLocked(e, req.Server)
		n.mu.Unlock()
		if !up {
			return
		}
		if n.recording.Load() {
			n.journal.add(Event{Time: time.Now(), Kind: kind, Call: id, From: e.name, To: req.Server, Method: req.Method})
		}
		_, _ = n.sendTCP(req)
	}()
}

// errRemoteTimeout is the error of a call to another process that had no
// answer within HandlerTimeout.
var errRemoteTimeout = fmt.Errorf("no answer from the server's process within HandlerTimeout (%v)", HandlerTimeout)

// sendTCP sends req to the process at req.Server and waits for its
// answer, or until Cleanup. Each step is bounded: connecting by
// DialTimeout, sending by HandlerTimeout (boundedConn), and the wait for
// the answer by HandlerTimeout. A connection that fails is dropped, so
// that the next call connects again.
func (n *Network) sendTCP(req *wire.Request) (*wire.Reply, error) {
	client, err := n.clients.client(req.Server)
	if err != nil {
		if isNotAddress(err) {
			n.warnOnce("address "+req.Server, "labrpc: Call(%q, %q): no server of that name here, and it is not an address to dial (host:port): %v",
				req.Server, req.Method, err)
		}
		return nil, err
	}
	var answer wire.Reply
	sent := client.Go(wire.Method, req, &answer, make(chan *rpc.Call, 1))
	timeout := time.NewTimer(HandlerTimeout)
	defer timeout.Stop()
	select {
	case <-sent.Done:
		if sent.Error != nil {
			var remote rpc.ServerError
			if !errors.As(sent.Error, &remote) {
				n.clients.drop(req.Server, client)
			}
			return nil, sent.Error
		}
		return &answer, nil
	case <-timeout.C:
		return nil, errRemoteTimeout
	case <-n.done:
		return nil, errors.New("network cleaned up")
	}
}

// isNotAddress reports whether a dial failed because the name it was given
// is not a TCP address at all.
func isNotAddress(err error) bool {
	var addrErr *net.AddrError
	return errors.As(err, &addrErr)
}

// A boundedConn is a connection whose every write must finish within
// HandlerTimeout: a peer that stops reading (a stopped process) fails the
// write, and with it the call, instead of blocking it for good.
type boundedConn struct{ net.Conn }

func (c boundedConn) Write(p []byte) (int, error) {
	if err := c.SetWriteDeadline(time.Now().Add(HandlerTimeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// tcpClients are a network's connections to other processes, one per
// address, each shared by every call to that address.
type tcpClients struct {
	mu      sync.Mutex
	clients map[string]*rpc.Client
	closed  bool
}

// client returns the connection to addr, dialing it if there is none.
func (t *tcpClients) client(addr string) (*rpc.Client, error) {
	t.mu.Lock()
	c := t.clients[addr]
	t.mu.Unlock()
	if c != nil {
		return c, nil
	}
	conn, err := net.DialTimeout("tcp", addr, DialTimeout)
	if err != nil {
		return nil, err
	}
	c = rpc.NewClient(boundedConn{conn})
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		c.Close()
		return nil, errors.New("network cleaned up")
	}
	if other := t.clients[addr]; other != nil {
		c.Close() // another call connected meanwhile: share its connection
		return other, nil
	}
	if t.clients == nil {
		t.clients = map[string]*rpc.Client{}
	}
	t.clients[addr] = c
	return c, nil
}

// drop closes c, the connection to addr, after it failed, so that the next
// call to addr connects again.
func (t *tcpClients) drop(addr string, c *rpc.Client) {
	t.mu.Lock()
	if t.clients[addr] == c {
		delete(t.clients, addr)
	}
	t.mu.Unlock()
	c.Close()
}

// closeAll closes every connection, for good.
func (t *tcpClients) closeAll() {
	t.mu.Lock()
	clients := t.clients
	t.clients = nil
	t.closed = true
	t.mu.Unlock()
	for _, c := range clients {
		c.Close()
	}
}
