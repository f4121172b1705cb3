package pbservice

// The values of Err, and the RPC argument and reply types that clerks and
// servers share. The four types below and the fields given in them are used
// by the tests: keep them. Add the fields your design needs inside them, and
// your own RPC types (for forwarding and state transfer) at the end.
//
// Every field of an RPC argument or reply must start with a capital letter:
// labrpc copies messages with encoding/gob, which drops lower-case fields.

// The values of Err.
const (
	OK             = "OK"
	ErrNoKey       = "ErrNoKey"       // Get of a key that was never set
	ErrWrongServer = "ErrWrongServer" // the server is not the primary: ask the view service
)

// Err is the outcome of an operation, as a server reports it.
type Err string

// PutAppendArgs is the argument of PBServer.PutAppend.
type PutAppendArgs struct {
	Key   string
	Value string
	Op    string // "Put" or "Append"
	// BEGIN SOLUTION
	ClientID int64 // the clerk that sent it, chosen at random
	Seq      int64 // the clerk's number for this operation; retries reuse it
	// END SOLUTION
}

// PutAppendReply is the reply of PBServer.PutAppend.
type PutAppendReply struct {
	Err Err
}

// GetArgs is the argument of PBServer.Get.
type GetArgs struct {
	Key string
	// BEGIN SOLUTION
	ClientID int64
	Seq      int64
	// END SOLUTION
}

// GetReply is the reply of PBServer.Get.
type GetReply struct {
	Err   Err
	Value string
}

// BEGIN SOLUTION

// The kinds of operation an Op carries.
const (
	OpGet    = "Get"
	OpPut    = "Put"
	OpAppend = "Append"
)

// An Op is one client operation, as the primary forwards it to the backup.
// An Append carries its argument, never the value it produces.
type Op struct {
	Kind     string // OpGet, OpPut or OpAppend
	Key      string
	Value    string
	ClientID int64
	Seq      int64
}

// ForwardArgs is the argument of PBServer.Forward: the primary of view
// Viewnum asks its backup to apply Op before it answers the client.
type ForwardArgs struct {
	Viewnum uint
	Primary string // the sender
	Op      Op
}

// ForwardReply is the reply of PBServer.Forward. Err is OK if the backup
// applied the operation (or had applied it before), ErrWrongServer if it
// refused it because it is not the backup of that view under that primary.
type ForwardReply struct {
	Err Err
}

// TransferArgs is the argument of PBServer.Transfer: the primary of view
// Viewnum gives Backup, its new backup, the whole state.
type TransferArgs struct {
	Viewnum uint
	Primary string
	Backup  string
	Data    map[string]string
	Seen    map[int64]int64 // the duplicate table: each client's latest applied Seq
}

// TransferReply is the reply of PBServer.Transfer.
type TransferReply struct {
	Err Err
}

// END SOLUTION
