// Package wire holds the two messages that carry a labrpc call from one
// process to another. labrpc's Network.ServeTCP serves them with the
// standard library's net/rpc, one generic service for every call: a Request
// names the server and the method, and carries the call's args; the Reply
// carries the handler's reply back. net/rpc encodes both with gob over TCP;
// the args and the reply inside them are bytes that labrpc's own codec
// wrote, so that the service need not know the lab's types.
//
// The package is internal: only labrpc speaks it.
package wire

// The net/rpc service and method that serve every call.
const (
	Service = "Labrpc"
	Method  = Service + ".Call"
)

// Request is one call sent to another process.
type Request struct {
	From   string // the caller's name; "" is an anonymous caller
	Server string // the server called, which is also the address the call went to
	Method string // "Service.Method"
	Args   []byte // the args, as labrpc's codec encodes them
}

// Reply is what came of one Request.
type Reply struct {
	// OK is set if the handler ran and its reply is in Reply.
	OK    bool
	Reply []byte
	// Mistake, when the call failed, says why if the caller is to blame:
	// no such server or method, args that do not fit the handler. Other
	// failures (a crash, a lost message, a handler that returned an error)
	// leave it empty, as an in-process call says nothing of them either.
	Mistake string
}
