// Package faults is labrpc's fault seam: the description of one call that
// the network decides faults for, the fate it decides, and a way to hand
// those decisions to a scheduler instead of the network's seeded random
// streams.
//
// By default a labrpc.Network draws each call's fate from the random stream
// of the call's link (see labrpc's package doc). A tool that must choose the
// faults itself, such as a searcher that replays or shrinks a fault
// schedule, installs a Policy on a network it made:
//
//	net := labrpc.MakeNetwork()
//	if err := faults.Install(net, policy); err != nil { ... }
//
// The package is internal: installing a policy is for the lab's tools, not
// part of labrpc's contract with the code a student writes.
package faults

import "time"

// Call describes one call as it is sent: who calls whom, and the network's
// switches at that moment.
type Call struct {
	ID     uint64 // numbered from 1 in the order calls are sent, as in the journal
	From   string // the caller's name; "" is an anonymous caller
	To     string // the server called
	Method string // "Service.Method"

	Reliable       bool // Network.Reliable
	LongDelays     bool // Network.LongDelays
	LongReordering bool // Network.LongReordering
	LateRequests   bool // Network.LateRequests
	Reachable      bool // the request could be delivered when it was sent
}

// Fate is what the network does to one call. The zero Fate delivers the
// request and the reply at once and loses neither; each field adds one
// fault. For a call that is not Reachable only FailAfter matters.
type Fate struct {
	// RequestDelay is how long the request travels before it reaches
	// the server. It arrives only if the two can still talk then.
	RequestDelay time.Duration
	// DropRequest loses the request: the handler never runs.
	DropRequest bool
	// DropReply loses the reply: the handler ran, but Call returns false.
	DropReply bool
	// HoldReply is how long the reply is held back after the handler
	// returns; 0 sends it at once. A reply held back arrives only if the
	// two can still talk when it is released.
	HoldReply time.Duration
	// FailAfter is how long a call that cannot be delivered when it is
	// sent takes to fail.
	FailAfter time.Duration

	// DeliverLate, for a lost request (DropRequest), is when the request
	// reaches the server after all, counted from when it was sent; 0 loses
	// it for good. Its Call has returned false by then: it is never
	// delivered before the moment it was lost.
	DeliverLate time.Duration
	// Repeat, for a request that reaches the server, is when it reaches it
	// a second time, counted from when it was sent, and never before the
	// first time; 0 delivers it once.
	//
	// A late or repeated request goes only to the server incarnation the
	// call was sent to (a restarted server never receives them), and only
	// if the two can still talk when it arrives. Its handler runs; its
	// reply goes nowhere.
	Repeat time.Duration
}

// A Policy decides the fate of every call on the network it is installed
// on. The network calls Decide once per call, as the call is sent, one call
// at a time and in the order of the calls' IDs, with its own lock held:
// Decide must return without waiting and without calling the network.
type Policy interface {
	Decide(c Call) Fate
}

// Install makes p decide the fate of every call later made on net, which
// must be a *labrpc.Network; a nil p gives the decisions back to the
// network's seeded streams. While a policy decides, those streams are not
// drawn from. Install returns an error, and changes nothing, if net is not a
// *labrpc.Network.
//
// labrpc sets Install when it is initialised, so it is set in any program
// that has a network to pass it.
var Install func(net any, p Policy) error
