// Package cmd holds the lab's commands, which run the student's own
// viewservice and pbservice packages as real processes, talking over TCP
// (labrpc's ServeTCP and DialTCP), with kill -9 as the crash:
//
//	viewd -addr HOST:PORT [-http HOST:PORT]                 the view service, and its live page
//	pbd -addr HOST:PORT -vs HOST:PORT [-unreliable]         one key/value server
//	pbc -vs HOST:PORT put K V | append K V | get K | view   a clerk, one operation per run
//
// docs/real-processes.md walks through a session in three terminals.
//
// The package has no code of its own. Its test is the end-to-end test of
// the commands: it builds them, starts viewd and two pbd on free loopback
// ports, writes through pbc, kills the primary with kill -9, reads
// everything back, restarts the dead server, waits for it to become
// backup, kills the other and reads again; and it runs several pbc
// appenders while the primary is killed, checking that every append is
// applied exactly once. It takes a few seconds of real time, and is
// skipped with -short, or where the commands cannot be built or started:
//
//	go test -v ./cmd
package cmd
