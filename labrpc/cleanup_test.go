package labrpc_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/labtest"
)

// Cleanup ends everything: calls in flight return false at once, whatever
// they wait for (a handler, a failure delay, a held reply), and a retry
// loop ends because its next Call ends its goroutine. labtest.Run then
// checks that no goroutine is left (synctest in virtual time, goleak on the
// wall clock): the network's own workers must be gone too.
func TestCleanup(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		svc := addSvc(t, net, "server")
		labtest.Teardown(t, func() { close(svc.release) })
		addSvc(t, net, "crashed")
		net.DeleteServer("crashed")
		net.LongDelays(true)
		net.LongReordering(true)
		end := net.MakeEnd("client")

		type result struct {
			what string
			ok   bool
			at   time.Time
		}
		results := make(chan result, 100)
		var wg sync.WaitGroup
		call := func(what, server, svcMeth string, n int) {
			wg.Go(func() {
				ok := end.Call(server, svcMeth, &Args{N: n}, &Reply{})
				results <- result{what, ok, time.Now()}
			})
		}
		call("a hanging handler", "server", "Svc.Hang", 0)
		for i := range 10 {
			call("a call to a crashed server (LongDelays)", "crashed", "Svc.Echo", i)
			call("a held reply (LongReordering)", "server", "Svc.Echo", 100+i)
		}

		retrying := make(chan struct{})
		go func() {
			defer close(retrying)
			for {
				end.Call("server", "Svc.Echo", &Args{N: 1000}, &Reply{})
				time.Sleep(10 * time.Millisecond)
			}
		}()

		<-svc.hanging
		time.Sleep(100 * time.Millisecond)
		var before int
		for len(results) > 0 {
			<-results // calls that ended before Cleanup
			before++
		}
		cleanedUp := time.Now()
		net.Cleanup()
		net.Cleanup() // idempotent

		wg.Wait()
		close(results)
		var inFlight int
		for r := range results {
			inFlight++
			assert.False(t, r.ok, "Cleanup: %s in flight must return false (%s)", r.what, docCleanup)
			assert.Less(t, r.at.Sub(cleanedUp), 500*time.Millisecond, "Cleanup: %s in flight must return at once (%s)", r.what, docCleanup)
		}
		require.Greater(t, inFlight, 10, "the test needs calls in flight at Cleanup (%d had ended)", before)

		select {
		case <-retrying:
		case <-time.After(time.Second):
			require.Fail(t, "Cleanup: a retry loop must end: the next Call must end its goroutine", docCleanup)
		}
	})
}
