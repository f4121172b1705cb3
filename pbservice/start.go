package pbservice

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"time"

	"pblab/labrpc"
	"pblab/viewservice"
)

// StartServer and MakeClerk, and the goroutine and Kill that come with a
// server. Given: do not change this file. The grader uses its own copy of
// it, so your code gets a server's or clerk's own place on the network
// (a labrpc.Host, its ends) and never the network itself, whose fault
// controls belong to the tests.

// StartServer starts a key/value server called me on net; vshost is the
// view service's name. On a network already cleaned up (the test is over)
// the server starts killed.
func StartServer(net *labrpc.Network, vshost string, me string) *PBServer {
	host := net.Host(me)
	pb := &PBServer{
		me:    me,
		vs:    viewservice.MakeClerk(net, me, vshost),
		end:   host.MakeEnd(),
		host:  host,
		done:  make(chan struct{}),
		state: newPBState(me),
	}
	if err := host.AddServer(pb); err != nil {
		if errors.Is(err, labrpc.ErrCleanedUp) {
			pb.Kill() // the test is over: the server starts dead
			return pb
		}
		panic(fmt.Sprintf("pbservice: StartServer: %v", err))
	}
	go pb.ticker()
	return pb
}

// ticker calls tick every PingInterval until Kill.
func (pb *PBServer) ticker() {
	t := time.NewTicker(viewservice.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-pb.done:
			return
		case <-t.C:
			pb.tick()
		}
	}
}

// Kill crashes the server: it leaves the network at once (calls to it fail,
// and its own calls fail), and its goroutines stop. Tests call it.
func (pb *PBServer) Kill() {
	pb.once.Do(func() {
		pb.host.Crash()
		close(pb.done)
	})
}

// killed reports whether Kill has been called. Long loops in the server
// check it, so that a killed server's goroutines end.
func (pb *PBServer) killed() bool {
	select {
	case <-pb.done:
		return true
	default:
		return false
	}
}

// MakeClerk returns a clerk that calls under the name me, for the service
// whose view service is called vshost.
func MakeClerk(net *labrpc.Network, vshost string, me string) *Clerk {
	return &Clerk{
		vs:  viewservice.MakeClerk(net, me, vshost),
		end: net.MakeEnd(me),
		id:  nrand(),
	}
}

// nrand returns a random number in [0, 2^62). Drawn once per clerk, it makes
// a client id that no other clerk has, with very high probability.
func nrand() int64 {
	limit := big.NewInt(int64(1) << 62)
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		panic("pbservice: no randomness: " + err.Error())
	}
	return n.Int64()
}
