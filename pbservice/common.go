package pbservice

// The values of Err, and the types that clerks and servers share. The types
// below and the fields given in them are used by the tests: keep them. Add
// the fields your design needs inside them.
//
// Every field of an RPC argument or reply must start with a capital letter:
// labrpc copies messages with encoding/gob, which drops lower-case fields.

// The values of Err.
const (
	OK             = "OK"
	ErrNoKey       = "ErrNoKey"       // Get of a key that was never set
	ErrWrongServer = "ErrWrongServer" // the server is not the primary: ask the view service
	// ErrNoState is a backup's answer to a forwarded operation when it does
	// not hold the state of the primary's view (it restarted, or has not
	// received the state yet): the primary must send it the state again.
	ErrNoState = "ErrNoState"
)

// Err is the outcome of an operation, as a server reports it.
type Err string

// The kinds of operation an Op carries.
const (
	OpGet    = "Get"
	OpPut    = "Put"
	OpAppend = "Append"
)

// An Op is one client operation, as a server handles it and as the primary
// forwards it to the backup. An Append carries its argument, never the
// value it produces. ClientID and Seq identify the operation across the
// clerk's retries: the clerk that sent it (chosen at random), and that
// clerk's number for it.
type Op struct {
	Kind     string // OpGet, OpPut or OpAppend
	Key      string
	Value    string // the value to Put, or to append
	ClientID int64
	Seq      int64
}

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

// ForwardArgs is the argument of PBServer.Forward: the primary asks its
// backup to apply an operation before the primary applies it and answers
// the client.
type ForwardArgs struct {
	// BEGIN SOLUTION
	Viewnum uint   // the view the primary sends it in
	Primary string // the sender
	Op      Op
	// END SOLUTION
}

// ForwardReply is the reply of PBServer.Forward: OK if the backup applied
// the operation (or had applied it before), ErrNoState if it lacks the
// state, ErrWrongServer if it refused the sender as its primary.
type ForwardReply struct {
	Err Err
}

// TransferArgs is the argument of PBServer.Transfer: the primary gives its
// new backup the whole state.
type TransferArgs struct {
	// BEGIN SOLUTION
	Viewnum uint // the view the backup joined in
	Primary string
	Backup  string
	Data    map[string]string
	Seen    map[int64]int64 // the duplicate table: each client's latest applied Seq
	// END SOLUTION
}

// TransferReply is the reply of PBServer.Transfer: OK if the backup now
// holds the state, ErrWrongServer if it refused it.
type TransferReply struct {
	Err Err
}
