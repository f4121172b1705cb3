package viewservice

import "time"

// Do not change this file: the tests and Part B rely on it.

// PingInterval is how often every key/value server pings the view service.
const PingInterval = 100 * time.Millisecond

// DeadPings is how many ping intervals a server may miss in a row before the
// view service considers it dead.
const DeadPings = 5

// A View names the primary and the backup, under a number that goes up by
// one each time either changes. "" means no server in that role.
type View struct {
	Viewnum uint
	Primary string
	Backup  string
}

// PingArgs is the argument of ViewServer.Ping: a server says it is alive
// and which view it has seen, 0 if it has just started.
type PingArgs struct {
	Me      string
	Viewnum uint
}

// PingReply carries the view service's current view.
type PingReply struct {
	View View
}

// GetArgs is the argument of ViewServer.Get, which asks for the current view
// without counting as a ping.
type GetArgs struct{}

// GetReply carries the view service's current view.
type GetReply struct {
	View View
}
