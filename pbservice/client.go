package pbservice

import (
	"time"

	"pblab/labrpc"
	"pblab/viewservice"
)

// This file is yours to complete: docs/part-b-pbservice.md, step 6.

// A Clerk is a client of the key/value service. It finds the primary through
// the view service, sends it each operation, and tries again until the
// operation is done. A Clerk runs one operation at a time: it is not safe for
// concurrent use, and each client goroutine of a test has its own.
type Clerk struct {
	// Set by MakeClerk (start.go); keep these fields.
	vs  *viewservice.Clerk // asks the view service who is primary
	end *labrpc.ClientEnd  // calls the key/value servers
	id  int64              // this clerk's client id, random: no other clerk has it

	// BEGIN SOLUTION
	seq     int64  // the number of its latest operation
	primary string // the primary as last learned, "" if unknown
	// END SOLUTION
}

// pause waits between two tries of an operation. Do not change it: a clerk
// that tries again without waiting floods the network, and in the tests'
// virtual time it keeps the clock from ever moving.
func (ck *Clerk) pause() {
	time.Sleep(viewservice.PingInterval)
}

// Get returns the current value of key, or "" if the key was never set. It
// keeps trying until the primary answers with the value or with ErrNoKey.
func (ck *Clerk) Get(key string) string {
	// BEGIN SOLUTION
	ck.seq++
	args := GetArgs{Key: key, ClientID: ck.id, Seq: ck.seq}
	for {
		var reply GetReply
		if ck.callPrimary("PBServer.Get", &args, &reply) {
			switch reply.Err {
			case OK:
				return reply.Value
			case ErrNoKey:
				return ""
			}
		}
		debugf(topicClerk, ck.end.Name(), "Get(%q) #%d at %q: no answer (%q); asking the view service", key, ck.seq, ck.primary, reply.Err)
		ck.forgetPrimary()
		ck.pause()
	}
	// END SOLUTION
	// STUB: return ""
}

// PutAppend sets key to value (op "Put") or appends value to key's current
// value (op "Append"). It keeps trying until the primary reports the
// operation done, and the operation takes effect exactly once.
func (ck *Clerk) PutAppend(key string, value string, op string) {
	// BEGIN SOLUTION
	ck.seq++
	args := PutAppendArgs{Key: key, Value: value, Op: op, ClientID: ck.id, Seq: ck.seq}
	for {
		var reply PutAppendReply
		if ck.callPrimary("PBServer.PutAppend", &args, &reply) && reply.Err == OK {
			return
		}
		debugf(topicClerk, ck.end.Name(), "%s(%q) #%d at %q: no answer (%q); asking the view service", op, key, ck.seq, ck.primary, reply.Err)
		ck.forgetPrimary()
		ck.pause()
	}
	// END SOLUTION
}

// BEGIN SOLUTION

// callPrimary calls method on the primary, asking the view service for it
// first if the clerk does not know it. It reports whether a reply came.
func (ck *Clerk) callPrimary(method string, args, reply any) bool {
	if ck.primary == "" {
		ck.primary = ck.vs.Primary()
		if ck.primary == "" {
			return false
		}
	}
	return ck.end.Call(ck.primary, method, args, reply)
}

// forgetPrimary drops the cached primary after a failure (no reply, or
// ErrWrongServer), so that the next try asks the view service again.
func (ck *Clerk) forgetPrimary() {
	ck.primary = ""
}

// END SOLUTION

// Put sets key to value. It returns once the service has done it.
func (ck *Clerk) Put(key string, value string) {
	ck.PutAppend(key, value, "Put")
}

// Append appends value to key's current value ("" if the key was never set).
// It returns once the service has done it.
func (ck *Clerk) Append(key string, value string) {
	ck.PutAppend(key, value, "Append")
}
