// Package labrpc is an in-process RPC network that loses, delays and
// reorders messages like a bad real one. Every server and client of the lab
// talks through it; nothing else connects them.
//
// # Names and calls
//
// A Network holds servers by name. A server is one or more services: any
// value whose type has RPC methods, registered by reflection with AddServer.
// A caller holds a ClientEnd made under its own name (MakeEnd) and calls
//
//	ok := end.Call("vs", "ViewServer.Ping", &args, &reply)
//
// where "ViewServer" is the receiver's type name and "Ping" the method.
//
// # RPC methods
//
// An exported method with exactly two arguments is an RPC method and must
// have one of these shapes:
//
//	func (r *T) M(args *A, reply *R)
//	func (r *T) M(args *A, reply *R) error
//
// The args may also be a value (args A); the reply must be a pointer.
// AddServer refuses a service that breaks this rule, or that has no RPC
// method at all, with an error naming the method and the rule. Exported
// methods with any other number of arguments (Kill, say) are not RPCs and are
// ignored. A handler that returns a non-nil error sends no reply: the caller's
// Call returns false.
//
// # The failure contract
//
// Call returns true only if the handler ran and its reply reached the caller.
// False means the outcome is unknown: the request may have been lost, or the
// handler may have run and only its reply been lost. A caller that retries
// must therefore be ready for the handler to run twice.
//
// Call always returns. It returns false, without stopping the program and
// with one line on the log saying why, for a call to a server name that was
// never added, to an unknown service or method, or with args or reply of the
// wrong type. It returns false if the handler has not finished within
// HandlerTimeout; the handler goes on running, and its reply is dropped. The
// log names such a handler and its server, once per handler.
//
// # Faults
//
//   - Reliable(false): each request is delayed by up to ShortDelay; then
//     DropPercent of requests are lost (the handler never runs) and
//     DropPercent of replies are lost (the handler ran). ReliableTo("vs",
//     true) keeps every call to vs reliable all the same.
//   - A call that cannot be delivered (the server is crashed, the two names
//     are partitioned apart) fails after a random delay of up to
//     FailDelay, or up to LongFailDelay with LongDelays(true).
//   - LongReordering(true): two replies in three are held back by
//     200 ms to 2.2 s, so replies arrive out of order.
//   - Partition(groups...): only members of the same group can talk; a name
//     in no group (anonymous callers included) reaches everyone. A name may
//     be in one group only: a partition that lists one in two groups is
//     refused, with a line on the log. Heal undoes the partition.
//   - Cut("s1", "vs") cuts one direction of one link: calls made under
//     the name s1 to the server vs fail as across a partition, while calls
//     from vs to s1, and every other link, still work. Cutting both
//     directions takes two cuts. Mend undoes one cut, Heal undoes them all;
//     a cut outlives crashes and restarts of either name.
//   - LinkDelay("s1", "vs", d): every request from s1 to vs travels d
//     longer, on top of the delays above; d = 0 removes it. Heal keeps it.
//   - LateRequests(true): LatePercent of the requests an unreliable network
//     loses reach the handler late after all, after their Call has returned
//     false; RepeatPercent of delivered requests reach the handler a second
//     time. Either comes within LateBound of the request being sent, the
//     handler runs, and the reply goes nowhere. Such a request goes only to
//     the server incarnation it was sent to (a restarted server never
//     receives its predecessor's messages, as a new process never receives
//     a dead one's connections), and only if the link is up when it
//     arrives: neither end crashed, no partition or cut between them.
//
// A request or a reply arrives only if the two names can still talk when it
// arrives, however long it travelled: crashes, partitions and cuts reach
// calls in flight.
//
// Without LateRequests, the network never delivers a request twice:
// duplicates come only from callers that retry.
//
// # Crashes are fail-stop
//
// DeleteServer(name) crashes a server: later calls to it fail, and replies
// of calls in flight to it are lost; a name that no server and no end ever
// had is reported on the log, once. Ends made under that name before the
// delete are dead too, so a crashed server that is still running can neither
// hear nor speak, even after a new server of the same name has been added
// with AddServer (a restart, which starts from empty state). Unregister does
// the same for the one server a given receiver belongs to; a server's Kill
// method uses it, so that killing an old server never touches its successor.
//
// # Encoding
//
// Every request and every reply is deep-copied through encoding/gob, so
// caller and handler never share memory. Two classic mistakes are reported
// once per type and network, on the log:
//
//   - a struct with unexported (lower-case) fields, or fields of chan or
//     func type: gob does not send them, so they arrive as their zero
//     value. A struct inside a message that has no other field cannot be
//     sent at all: the call fails;
//   - a reply that is not the zero value before the call: gob does not send
//     zero fields, so any field the handler leaves at zero keeps the caller's
//     old value. Pass a fresh reply to every Call.
//
// A request or a reply whose encoding is over MaxMessageSize (32 MB) is not
// sent: the call fails, and the log says so, once per method.
//
// # Time
//
// A call on a reliable network takes no time: delivery is immediate, and
// only the faults above sleep. Tests run in virtual time (testing/synctest),
// where the clock moves only while every goroutine is blocked, so a loop
// that calls in a tight circle, never sleeping, keeps the clock still. The
// lab's loops all sleep: servers ping from a ticker, clerks sleep between
// tries, and tests that run clients "for 5 seconds" sleep between
// operations. The network never holds a lock across a sleep or a call.
//
// # Randomness and replay
//
// Every random decision (delays, drops, reordering, late and repeated
// requests) derives from one seed per network, taken from LABRPC_SEED if it
// is set and at random otherwise; Seed reports it. Each link — a caller name
// and a server name — has a random stream of its own, seeded from the seed
// and the two names, and a second one for late and repeated requests, drawn
// from only while LateRequests is on. A call's faults are all decided as it
// is sent, from the same number of values drawn from its link's streams in
// the same order. So the same seed and the same sequence of calls on a link
// give the same fault decisions on it, however the calls of other links
// interleave, and turning LateRequests on changes none of the other faults.
// Calls on one link from concurrent goroutines may still be ordered
// differently from run to run. Reliable, LongDelays, LongReordering,
// LateRequests and LinkDelay apply to the calls sent after them; crashes,
// partitions and cuts reach calls in flight too.
//
// # Cleanup
//
// Cleanup ends the network: calls in flight return false at once, late and
// repeated requests still on their way are never delivered, any later Call
// ends its calling goroutine (runtime.Goexit), so that a clerk retrying
// forever cannot outlive its test, and AddServer returns an error. Deferred
// calls run as usual.
//
// Handlers run on the server's worker goroutines, never on the caller's.
// A worker waits for the next request once its handler returns; idle
// workers end when their server crashes (DeleteServer, Unregister) or the
// network is cleaned up. A handler that never returns keeps its worker, so
// a test must let every handler return before it ends.
//
// # The journal
//
// With Record(true) the network writes a journal of everything that happens
// to a message — sent, delivered, dropped (request or reply), replied,
// failed, delivered late or again — and of crashes, restarts, partitions,
// heals, cuts, mends and link delays, each with its (virtual) time, the two
// names, the method and the size on the wire. Journal returns it; tests
// draw message diagrams of failing runs from it. Recording is off by
// default and costs one atomic load per call when off. Every call's events
// start with EventSend and end with one of EventReply, EventDropRequest,
// EventDropReply or EventFail; with LateRequests, a call may also have an
// EventDeliverLate after its EventDropRequest, or an EventDeliverAgain after
// its EventDeliver, before or after its end. See EventKind.
//
// Detail renders a message for a person to read. A program that needs facts
// about messages sets a describer with Describe: a function that the
// network calls with each send's args and each reply, as typed values, and
// whose result it keeps in the event's Info (the diagram of a test learns
// the views a view service handed out this way). The network fills Info
// itself for a partition (its groups, as [][]string) and a link delay (a
// time.Duration).
//
// # Across processes
//
// A network can also reach servers of other processes over TCP, carried by
// the standard library's net/rpc (gob over TCP). A server that other
// processes call is named by its address, and its process serves it there:
//
//	net := labrpc.MakeNetwork()
//	net.DialTCP(true) // a name with no server here is an address to dial
//	pb := pbservice.StartServer(net, "127.0.0.1:7000", "127.0.0.1:7001")
//	stop, err := net.ServeTCP("127.0.0.1:7001") // other processes reach pb there
//
// With DialTCP(true), a call to a name with no server on the network is
// sent to the process listening at that name, over one connection per
// address, made when first needed and made again after it fails. The
// contract is the same: Call returns true only if the handler ran and its
// reply came back, and false when the outcome is unknown. A process that
// died (kill -9) or stopped serving is a crash: a call to it fails at once,
// as the connection is refused, and a call in flight fails as soon as its
// connection closes. A call returns false if it cannot connect within
// DialTimeout, finish sending within HandlerTimeout (the other process has
// stopped reading), or get its answer within HandlerTimeout of sending.
//
// Faults apply on both sides. The calling network decides every call's
// fate as for a call in the process (Reliable, LongReordering, partitions,
// cut links, link delays, late and repeated requests, all by name), and
// the serving network serves the call as one from an end of the caller's
// name, with its own faults. The args and the reply travel encoded as for
// a call in the process, but the types are the two processes' own, and
// gob matches their fields by name: a call whose args do not fit the
// handler fails, and both processes say why on their log, once.
//
// # Counting
//
// GetCount(name) counts the requests delivered to handlers of servers
// called name, across crashes and restarts (lost requests do not count,
// requests whose reply was lost do, late and repeated deliveries each
// count, and so do calls from other processes); GetTotalCount counts every
// call, made here or served for another process;
// GetTotalBytes adds the encoded size of every request sent and of every
// reply delivered.
package labrpc
