package labrpc_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/labtest"
)

// DeleteServer is a crash: later calls to the server fail, and its handlers
// are never run again.
func TestDeleteServer(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		svc := addSvc(t, net, "server")
		end := net.MakeEnd("client")
		require.True(t, end.Call("server", "Svc.Echo", newArgs(1), &Reply{}), "a reliable call must succeed (%s)", docContract)

		net.DeleteServer("server")
		for i := range 5 {
			assert.False(t, end.Call("server", "Svc.Echo", newArgs(2+i), &Reply{}), "fail-stop: a call to a deleted server must fail (%s)", docFailStop)
		}
		assert.Equal(t, 1, svc.Total(), "fail-stop: a deleted server's handlers must not run (%s)", docFailStop)
		assert.Equal(t, 1, net.GetCount("server"), "fail-stop: calls to a deleted server are not delivered (%s)", docCounts)
	})
}

// A call in flight when its server crashes returns false at once, even
// though its handler is still running.
func TestDeleteServerInFlight(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		svc := addSvc(t, net, "server")
		labtest.Teardown(t, func() { close(svc.release) })
		end := net.MakeEnd("client")

		result := make(chan bool)
		go func() { result <- end.Call("server", "Svc.Hang", newArgs(1), &Reply{}) }()
		<-svc.hanging
		start := time.Now()
		net.DeleteServer("server")
		assert.False(t, <-result, "fail-stop: a call in flight to a server that crashed must return false (%s)", docFailStop)
		assert.Less(t, time.Since(start), time.Second,
			"fail-stop: a call in flight must fail as soon as its server crashes, not after the handler timeout (%s)", docFailStop)
	})
}

// Ends made under a name before it crashed are dead: the crashed server,
// still running, can neither hear nor speak, even after a new server of the
// same name started. Ends made after the crash work.
func TestZombieEnds(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		addSvc(t, net, "vs")
		addSvc(t, net, "p1")
		zombie := net.MakeEnd("p1")
		require.True(t, zombie.Call("vs", "Svc.Echo", newArgs(1), &Reply{}), "a reliable call must succeed (%s)", docContract)

		net.DeleteServer("p1")
		assert.False(t, zombie.Call("vs", "Svc.Echo", newArgs(2), &Reply{}),
			"fail-stop: an end made under a crashed server's name must not reach anyone (%s)", docFailStop)

		addSvc(t, net, "p1") // a restart
		assert.False(t, zombie.Call("vs", "Svc.Echo", newArgs(3), &Reply{}),
			"fail-stop: a zombie end must stay dead after a server of the same name restarted (%s)", docFailStop)
		assert.True(t, net.MakeEnd("p1").Call("vs", "Svc.Echo", newArgs(4), &Reply{}),
			"fail-stop: an end made after the restart must work (%s)", docFailStop)
		assert.True(t, net.MakeEnd("").Call("p1", "Svc.Echo", newArgs(5), &Reply{}),
			"fail-stop: the restarted server must be reachable (%s)", docFailStop)
	})
}

// A restart is AddServer under a deleted name: the new server gets the
// calls, and starts from its own (empty) state.
func TestRestart(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		old := addSvc(t, net, "server")
		end := net.MakeEnd("client")
		require.True(t, end.Call("server", "Svc.Echo", newArgs(1), &Reply{}), "a reliable call must succeed (%s)", docContract)

		err := net.AddServer("server", newSvc())
		require.Error(t, err, "AddServer of a running name must fail (%s)", docFailStop)
		assert.Contains(t, err.Error(), "already running", "the error must say why (%s)", docCalls)

		net.DeleteServer("server")
		restarted := addSvc(t, net, "server")
		assert.True(t, end.Call("server", "Svc.Echo", newArgs(2), &Reply{}), "a call to a restarted server must succeed (%s)", docFailStop)
		assert.Equal(t, 1, old.Total(), "fail-stop: the crashed incarnation must not serve calls after the restart (%s)", docFailStop)
		assert.Equal(t, 1, restarted.Total(), "the restarted incarnation serves the calls (%s)", docFailStop)
		assert.Equal(t, 0, restarted.Runs(1), "a restart starts from empty state (%s)", docFailStop)
	})
}

// Unregister(rcvr) crashes the server rcvr belongs to, and only while that
// incarnation runs: killing an old server never touches its successor.
func TestUnregister(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		end := net.MakeEnd("client")
		first := addSvc(t, net, "server")
		net.Unregister(first)
		assert.False(t, end.Call("server", "Svc.Echo", newArgs(1), &Reply{}), "fail-stop: Unregister must crash the server (%s)", docFailStop)

		second := addSvc(t, net, "server")
		net.Unregister(first) // the old incarnation's Kill, late
		assert.True(t, end.Call("server", "Svc.Echo", newArgs(2), &Reply{}),
			"fail-stop: Unregister of an old incarnation must not crash its successor (%s)", docFailStop)
		net.Unregister(newSvc()) // never added
		assert.True(t, end.Call("server", "Svc.Echo", newArgs(3), &Reply{}),
			"Unregister of a receiver that was never added must change nothing (%s)", docFailStop)

		net.Unregister(second)
		assert.False(t, end.Call("server", "Svc.Echo", newArgs(4), &Reply{}), "fail-stop: Unregister must crash the running incarnation (%s)", docFailStop)
		assert.Equal(t, 2, second.Total(), "the second incarnation served two calls (%s)", docFailStop)
	})
}
