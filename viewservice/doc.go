// Package viewservice is the lab's view service (Part A): the single
// arbiter that decides, in numbered views, which key/value server is the
// primary and which is the backup, so that two primaries never act at once.
//
// # The protocol
//
// Every key/value server pings the view service once per PingInterval with
// the number of the latest view it has seen (0 when it has just started),
// and gets the current view back. Clerks ask for the view with Get, which is
// not a ping and changes nothing. A View is a number, a primary and a backup
// ("" for none); the view service moves to view i+1 only for a reason, and
// view i+1 differs from view i.
//
// # The rules
//
//   - Before any ping the view is view 0, with no primary and no backup.
//   - The first server to ping becomes the primary of view 1.
//   - The primary of view i+1 is the primary or the backup of view i: only
//     they hold the state. An idle server (pinging, in no role) and a
//     restarted server never become primary directly.
//   - A server that has missed DeadPings ping intervals in a row is dead.
//     A dead primary is replaced by the backup; a dead backup is dropped.
//   - A Ping(0) from the primary or the backup of the current view, once it
//     has been told its role, means it crashed and restarted: it has lost
//     its state, and is treated as dead in that role.
//   - When there is no backup, a live idle server becomes the backup. When
//     the primary or the backup is replaced, a live idle server fills the
//     backup's place in the same view change.
//   - The ack rule: the view service does not leave view i until the
//     primary of view i has pinged with number i, even if it believes the
//     primary or the backup has died.
//
// # The files
//
// common.go (the types and constants) and client.go (the Clerk) are given.
// server.go holds the ViewServer, which owns the mutex, the ticker and Kill,
// and the viewState, which holds the rules as a synchronous function of a
// ping or a tick; the tests drive viewState directly as well as over the
// network. The guide, docs/part-a-viewservice.md, takes a student through
// server.go one rule at a time.
package viewservice
