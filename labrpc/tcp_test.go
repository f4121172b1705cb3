package labrpc_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/tcptest"
	"pblab/labrpc"
)

// These tests connect two networks of this process over TCP on the
// loopback interface, as two processes would be. They run on the wall
// clock, outside labtest.Run: a goroutine waiting on a socket is not
// blocked as the virtual clock understands it, so in a bubble the clock
// would never move. TestMain checks that none leaves a goroutine behind.

const docTCP = "docs/labrpc.md#across-processes"

// tcpServerNet returns a network that serves a Svc called by its address
// over TCP, and the Svc.
func tcpServerNet(t *testing.T, addr string) (*labrpc.Network, *Svc, func()) {
	t.Helper()
	n := labrpc.MakeNetwork()
	t.Cleanup(n.Cleanup)
	svc := addSvc(t, n, addr)
	stop, err := n.ServeTCP(addr)
	require.NoError(t, err, "ServeTCP(%q) on a free port must succeed (%s)", addr, docTCP)
	return n, svc, stop
}

// tcpClientNet returns a network that sends calls to names it has no
// server of over TCP.
func tcpClientNet(t *testing.T) *labrpc.Network {
	t.Helper()
	n := labrpc.MakeNetwork()
	t.Cleanup(n.Cleanup)
	n.DialTCP(true)
	return n
}

// A call to another process works as a call in this one: the handler gets
// a copy of the args, the caller a copy of the reply, and a handler that
// returns an error makes the call fail.
func TestTCPCall(t *testing.T) {
	addr := tcptest.FreeAddr(t)
	server, svc, _ := tcpServerNet(t, addr)
	client := tcpClientNet(t)
	end := client.MakeEnd("client")

	args := newArgs(1)
	var reply Reply
	require.True(t, end.Call(addr, "Svc.Echo", args, &reply), "a call over TCP to a running server must succeed (%s)", docTCP)
	assert.Equal(t, Reply{N: 1, S: "hello", Xs: []int{1, 2, 3}, M: map[string]int{"k": 1}, P: &Inner{V: 7}}, reply,
		"the reply crosses the connection whole (%s)", docTCP)
	var byValue Reply
	assert.True(t, end.Call(addr, "Svc.EchoValue", *newArgs(2), &byValue), "args may be passed by value (%s)", docTCP)
	assert.Equal(t, 2, byValue.N, "the reply of a handler taking its args by value (%s)", docTCP)

	assert.True(t, end.Call(addr, "Svc.Fail", newArgs(4), &Reply{}), "a handler that returns nil replies (%s)", docTCP)
	assert.False(t, end.Call(addr, "Svc.Fail", newArgs(5), &Reply{}), "a handler that returns an error sends no reply (%s)", docTCP)

	anonymous := client.MakeEnd("")
	assert.True(t, anonymous.Call(addr, "Svc.Echo", newArgs(6), &Reply{}), "an anonymous end calls over TCP too (%s)", docTCP)

	assert.Equal(t, 5, svc.Total(), "each call ran its handler once (%s)", docTCP)
	assert.Equal(t, 5, server.GetCount(addr), "the serving network counts what it delivered (%s)", docCounts)
	assert.Zero(t, client.GetCount(addr), "the calling network has no server of that name to count for (%s)", docCounts)
	assert.Equal(t, 5, client.GetTotalCount(), "the calling network counts every call it made (%s)", docCounts)
}

// Without DialTCP, a name with no server here is an unknown name, even if
// it is an address some process serves.
func TestTCPOffByDefault(t *testing.T) {
	addr := tcptest.FreeAddr(t)
	_, svc, _ := tcpServerNet(t, addr)
	client := labrpc.MakeNetwork()
	t.Cleanup(client.Cleanup)
	logs := captureLog(t)

	assert.False(t, client.MakeEnd("client").Call(addr, "Svc.Echo", newArgs(1), &Reply{}),
		"without DialTCP, a call to a name with no server here fails (%s)", docTCP)
	assert.Zero(t, svc.Total(), "without DialTCP, nothing goes over TCP (%s)", docTCP)
	assert.Equal(t, 1, logs.Count("was ever added"), "the unknown name is reported once (%s)", docContract)
}

// A caller's mistakes are reported on both sides, once, and the call
// fails: a server the other process does not have, a method its server
// does not have, a name that is not an address.
func TestTCPMistakes(t *testing.T) {
	addr := tcptest.FreeAddr(t)
	_, svc, _ := tcpServerNet(t, addr)
	client := tcpClientNet(t)
	end := client.MakeEnd("client")
	logs := captureLog(t)

	for range 2 {
		assert.False(t, end.Call(addr, "Svc.Nope", newArgs(1), &Reply{}), "a call to an unknown method fails (%s)", docTCP)
	}
	assert.Equal(t, 1, logs.Count(`from "client" in another process: service "Svc" of server "`+addr+`" has no RPC method "Nope"`),
		"the serving process says once what was wrong:\n%s", logs)
	assert.Equal(t, 1, logs.Count(`the server's process says: service "Svc"`), "the caller says once what was wrong:\n%s", logs)

	assert.False(t, end.Call("vs", "Svc.Echo", newArgs(1), &Reply{}), "a call to a name that is no address fails (%s)", docTCP)
	assert.Equal(t, 1, logs.Count(`Call("vs", "Svc.Echo"): no server of that name here, and it is not an address`),
		"a name that is not an address is reported:\n%s", logs)

	assert.False(t, end.Call(addr, "Svc.Echo", newArgs(1), Reply{}), "a reply that is not a pointer fails the call (%s)", docCalls)
	assert.Zero(t, svc.Total(), "no mistaken call ran a handler (%s)", docTCP)
}

// A process that stops serving is a crash: calls to it fail at once, and
// a call in flight fails as soon as the connection closes. A process that
// serves the same address again is reached again.
func TestTCPCrashAndRestart(t *testing.T) {
	addr := tcptest.FreeAddr(t)
	server, svc, stop := tcpServerNet(t, addr)
	client := tcpClientNet(t)
	end := client.MakeEnd("client")
	require.True(t, end.Call(addr, "Svc.Echo", newArgs(1), &Reply{}), "a call over TCP to a running server must succeed (%s)", docTCP)

	result := make(chan bool)
	go func() { result <- end.Call(addr, "Svc.Hang", newArgs(2), &Reply{}) }()
	<-svc.hanging
	stop()
	server.DeleteServer(addr)
	close(svc.release)
	select {
	case ok := <-result:
		assert.False(t, ok, "a call in flight to a process that stopped serving fails (%s)", docTCP)
	case <-time.After(labrpc.HandlerTimeout / 2):
		t.Fatalf("a call in flight to a process that stopped serving must fail when its connection closes (%s)", docTCP)
	}
	for i := range 3 {
		assert.False(t, end.Call(addr, "Svc.Echo", newArgs(3+i), &Reply{}), "a call to a process that stopped serving fails (%s)", docTCP)
	}

	_, restarted, _ := tcpServerNet(t, addr)
	assert.True(t, end.Call(addr, "Svc.Echo", newArgs(10), &Reply{}), "a process serving the address again is reached again (%s)", docTCP)
	assert.Equal(t, 1, restarted.Total(), "the restarted process ran the call (%s)", docTCP)
}

// A server that crashed in a process that still serves is a crash like
// any other: calls to it from other processes fail, and nothing else does.
func TestTCPServerCrashed(t *testing.T) {
	addr := tcptest.FreeAddr(t)
	server, svc, _ := tcpServerNet(t, addr)
	end := tcpClientNet(t).MakeEnd("client")
	require.True(t, end.Call(addr, "Svc.Echo", newArgs(1), &Reply{}), "a call over TCP to a running server must succeed (%s)", docTCP)
	logs := captureLog(t)

	server.DeleteServer(addr)
	assert.False(t, end.Call(addr, "Svc.Echo", newArgs(2), &Reply{}), "a call to a crashed server of another process fails (%s)", docFailStop)
	assert.Equal(t, 1, svc.Total(), "a crashed server's handlers never run (%s)", docFailStop)
	assert.Empty(t, logs.String(), "a crash is not a mistake: nothing to report (%s)", docTCP)

	addSvc(t, server, addr)
	assert.True(t, end.Call(addr, "Svc.Echo", newArgs(3), &Reply{}), "a server restarted in the same process is reached again (%s)", docTCP)
}

// The calling network's faults apply to calls that leave it: a partition
// or a cut link fails them without sending them, and an unreliable
// network loses some requests and some replies.
func TestTCPCallerFaults(t *testing.T) {
	t.Setenv("LABRPC_SEED", lossySeed)
	addr := tcptest.FreeAddr(t)
	_, svc, _ := tcpServerNet(t, addr)
	client := tcpClientNet(t)
	end := client.MakeEnd("client")

	client.Partition([]string{"client"}, []string{addr})
	assert.False(t, end.Call(addr, "Svc.Echo", newArgs(1), &Reply{}), "a partition fails a call to another process (%s)", docPartit)
	client.Heal()
	client.Cut("client", addr)
	assert.False(t, end.Call(addr, "Svc.Echo", newArgs(2), &Reply{}), "a cut link fails a call to another process (%s)", docLinks)
	client.Heal()
	assert.Zero(t, svc.Total(), "a call across a partition or a cut link is never sent (%s)", docTCP)
	require.True(t, end.Call(addr, "Svc.Echo", newArgs(3), &Reply{}), "after Heal, calls go through again (%s)", docTCP)

	client.Reliable(false)
	checkLossy(t, end, addr, svc, "the calling network")
}

// The serving network's faults apply to the calls it serves for other
// processes, as to its own.
func TestTCPServerFaults(t *testing.T) {
	t.Setenv("LABRPC_SEED", lossySeed)
	addr := tcptest.FreeAddr(t)
	server, svc, _ := tcpServerNet(t, addr)
	end := tcpClientNet(t).MakeEnd("client")

	server.Reliable(false)
	checkLossy(t, end, addr, svc, "the serving network")

	server.Reliable(true)
	server.Partition([]string{"client"}, []string{addr})
	assert.False(t, end.Call(addr, "Svc.Echo", newArgs(1000), &Reply{}), "the serving network's partition fails the call (%s)", docPartit)
	assert.Zero(t, svc.Runs(1000), "a call across the serving network's partition never runs (%s)", docPartit)
}

// lossySeed fixes the seed of the networks of the tests of lossy calls:
// their calls are made one after the other, so their fates are the same
// every run.
const lossySeed = "6824"

// With LateRequests, the calling network sends some requests to the other
// process again, and some lost ones late: handlers run twice, or run for a
// call that returned false, within LateBound.
func TestTCPLateRequests(t *testing.T) {
	t.Setenv("LABRPC_SEED", lossySeed)
	addr := tcptest.FreeAddr(t)
	_, svc, _ := tcpServerNet(t, addr)
	client := tcpClientNet(t)
	client.Reliable(false)
	client.LateRequests(true)
	client.Record(true)
	end := client.MakeEnd("client")
	const calls = 100
	for i := range calls {
		end.Call(addr, "Svc.Echo", newArgs(i), &Reply{})
	}
	time.Sleep(labrpc.LateBound + time.Second)

	sentAgain := map[labrpc.EventKind]int{}
	for _, e := range client.Journal().Events {
		sentAgain[e.Kind]++
	}
	assert.Positive(t, sentAgain[labrpc.EventDeliverLate], "some lost requests were sent late (%s)", docLate)
	assert.Positive(t, sentAgain[labrpc.EventDeliverAgain], "some requests were sent a second time (%s)", docLate)
	twice := 0
	for i := range calls {
		if svc.Runs(i) > 1 {
			twice++
		}
		assert.LessOrEqual(t, svc.Runs(i), 2, "a request reaches the handler twice at most (%s)", docLate)
	}
	assert.Positive(t, twice, "some requests reached the other process's handler twice (%s)", docLate)
}

// checkLossy makes 100 calls, each with its own args.N from 100 on,
// through an unreliable network (which): some fail, most do not, and some
// of those that fail ran their handler (the reply was lost).
func checkLossy(t *testing.T, end *labrpc.ClientEnd, addr string, svc *Svc, which string) {
	t.Helper()
	const calls = 100
	failed, ranAnyway := 0, 0
	for i := 100; i < 100+calls; i++ {
		if !end.Call(addr, "Svc.Echo", newArgs(i), &Reply{}) {
			failed++
			if svc.Runs(i) > 0 {
				ranAnyway++
			}
		}
	}
	assert.Positive(t, failed, "an unreliable network, %s, fails some calls between processes (%s)", which, docFaults)
	assert.Less(t, failed, calls/2, "an unreliable network, %s, delivers most calls (%s)", which, docFaults)
	assert.Positive(t, ranAnyway, "an unreliable network, %s, loses some replies of handlers that ran (%s)", which, docFaults)
}

// Cleanup ends both sides: a call in flight from a network cleaned up
// returns false at once, and a network cleaned up serves no more.
func TestTCPCleanup(t *testing.T) {
	addr := tcptest.FreeAddr(t)
	server, svc, _ := tcpServerNet(t, addr)
	client := tcpClientNet(t)
	end := client.MakeEnd("client")

	result := make(chan bool)
	go func() { result <- end.Call(addr, "Svc.Hang", newArgs(1), &Reply{}) }()
	<-svc.hanging
	client.Cleanup()
	assert.False(t, <-result, "Cleanup makes a call in flight to another process return false (%s)", docCleanup)
	close(svc.release)

	server.Cleanup()
	other := tcpClientNet(t).MakeEnd("client")
	assert.False(t, other.Call(addr, "Svc.Echo", newArgs(2), &Reply{}), "a network cleaned up serves no more (%s)", docCleanup)
	_, err := server.ServeTCP(tcptest.FreeAddr(t))
	assert.ErrorIs(t, err, labrpc.ErrCleanedUp, "a network cleaned up cannot serve again (%s)", docCleanup)
}

// ServeTCP says why it cannot serve an address.
func TestServeTCPBadAddress(t *testing.T) {
	addr := tcptest.FreeAddr(t)
	tcpServerNet(t, addr)
	n := labrpc.MakeNetwork()
	t.Cleanup(n.Cleanup)
	_, err := n.ServeTCP(addr)
	require.Error(t, err, "ServeTCP on an address in use fails (%s)", docTCP)
	assert.Contains(t, err.Error(), `labrpc: ServeTCP "`+addr+`"`, "the error says where it comes from")
}
