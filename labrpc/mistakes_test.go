package labrpc_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"pblab/internal/labtest"
	"pblab/labrpc"
)

// A call to a server, service or method that does not exist returns false,
// says why once on the log, and stops nothing.
func TestUnknownServerServiceMethod(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		logs := captureLog(t)
		net := labtest.NewNetwork(t)
		svc := addSvc(t, net, "server")
		end := net.MakeEnd("client")

		for _, c := range []struct{ server, svcMeth, log string }{
			{"nobody", "Svc.Echo", `no server called "nobody" was ever added`},
			{"server", "Nope.Echo", `server "server" has no service "Nope"; it has Svc`},
			{"server", "Svc.Nope", `service "Svc" of server "server" has no RPC method "Nope"; it has Echo, EchoValue, Fail, Hang, Keep, Scribble`},
			{"server", "Svc.Kill", `has no RPC method "Kill"`},
			{"server", "Echo", `"Echo" is not of the form "Service.Method"`},
		} {
			for range 2 {
				assert.False(t, end.Call(c.server, c.svcMeth, newArgs(1), &Reply{}),
					"a call to %s on %q must return false (%s)", c.svcMeth, c.server, docContract)
			}
			assert.Equal(t, 1, logs.Count(c.log),
				"a call to %s on %q must say why on the log, once: %q (%s); log:\n%s", c.svcMeth, c.server, c.log, docContract, logs)
		}
		assert.Zero(t, svc.Total(), "no handler may run for a mistaken call (%s)", docContract)
		assert.True(t, end.Call("server", "Svc.Echo", newArgs(1), &Reply{}), "the network must go on working after mistaken calls (%s)", docContract)
	})
}

// Args or reply of the wrong type make Call return false, with the reason
// on the log; the handler never runs.
func TestWrongTypes(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		logs := captureLog(t)
		net := labtest.NewNetwork(t)
		svc := addSvc(t, net, "server")
		end := net.MakeEnd("client")

		var reply Reply
		var nilArgs *Args
		for _, c := range []struct {
			name        string
			args, reply any
			log         string
		}{
			{"args of another type", "hello", &Reply{}, "args has type string, but the handler takes *labrpc_test.Args"},
			{"nil args pointer", nilArgs, &Reply{}, "args is a nil *labrpc_test.Args"},
			{"nil args", nil, &Reply{}, "args has type <nil>"},
			{"reply not a pointer", newArgs(1), reply, "reply has type labrpc_test.Reply, but the handler needs a non-nil *labrpc_test.Reply"},
			{"reply of another type", newArgs(1), &Args{}, "reply has type *labrpc_test.Args"},
			{"nil reply", newArgs(1), nil, "reply has type <nil>"},
		} {
			assert.False(t, end.Call("server", "Svc.Echo", c.args, c.reply), "%s: Call must return false (%s)", c.name, docCalls)
			assert.Contains(t, logs.String(), c.log, "%s: Call must say why on the log (%s)", c.name, docCalls)
		}
		assert.Zero(t, svc.Total(), "no handler may run for a call with wrong types (%s)", docCalls)
	})
}

// NoRPCs has methods, but none of them is an RPC method.
type NoRPCs struct{}

func (*NoRPCs) Kill()        {}
func (*NoRPCs) Name() string { return "" }

type ValueReply struct{}

func (*ValueReply) M(args *Args, reply Reply) {}

type IntResult struct{}

func (*IntResult) M(args *Args, reply *Reply) int { return 0 }

type TwoResults struct{}

func (*TwoResults) M(args *Args, reply *Reply) (int, error) { return 0, nil }

// Two types named Svc, from the server's point of view the same service.
type sameName = Svc

// AddServer refuses a service that breaks the rules, with an error naming
// the rule, and changes nothing.
func TestAddServerErrors(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		addSvc(t, net, "running")
		var nilSvc *Svc
		for _, c := range []struct {
			name     string
			server   string
			services []any
			err      string
		}{
			{"no RPC methods", "s", []any{&NoRPCs{}}, "service NoRPCs has no RPC methods"},
			{"reply not a pointer", "s", []any{&ValueReply{}}, "method M: the reply (second argument) must be a pointer"},
			{"int result", "s", []any{&IntResult{}}, "method M: an RPC method returns nothing or an error, not (int)"},
			{"two results", "s", []any{&TwoResults{}}, "method M: an RPC method returns nothing or an error, not (int, error)"},
			{"nil service", "s", []any{nil}, "a service must be a non-nil pointer"},
			{"nil pointer service", "s", []any{nilSvc}, "a service must be a non-nil pointer"},
			{"service not a pointer", "s", []any{Svc{}}, "a service must be a non-nil pointer"},
			{"no services", "s", nil, "no services given"},
			{"empty name", "", []any{newSvc()}, "a server needs a name"},
			{"duplicate service", "s", []any{newSvc(), &sameName{}}, `two services are named "Svc"`},
			{"duplicate name", "running", []any{newSvc()}, "already running"},
		} {
			err := net.AddServer(c.server, c.services...)
			if assert.Error(t, err, "%s: AddServer must refuse it (%s)", c.name, docCalls) {
				assert.Contains(t, err.Error(), c.err, "%s: the error must name the rule (%s)", c.name, docCalls)
				assert.Contains(t, err.Error(), "labrpc: AddServer", "%s: the error must say where it comes from (%s)", c.name, docCalls)
			}
		}
		assert.False(t, net.MakeEnd("").Call("s", "Svc.Echo", newArgs(1), &Reply{}), "a refused AddServer must add nothing (%s)", docCalls)
		assert.True(t, net.MakeEnd("").Call("running", "Svc.Echo", newArgs(1), &Reply{}),
			"a refused AddServer of a running name must leave that server alone (%s)", docCalls)
	})
}

// A handler that returns a non-nil error sends no reply: Call returns
// false. A nil error is a normal reply.
func TestHandlerError(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		svc := addSvc(t, net, "server")
		end := net.MakeEnd("client")

		var reply Reply
		assert.True(t, end.Call("server", "Svc.Fail", &Args{N: 2}, &reply), "a handler returning nil must reply (%s)", docCalls)
		assert.Equal(t, 2, reply.N, "a handler returning nil must reply (%s)", docCalls)
		assert.False(t, end.Call("server", "Svc.Fail", &Args{N: 3}, &Reply{}), "a handler returning an error must make Call return false (%s)", docCalls)
		assert.Equal(t, 1, svc.Runs(3), "the handler that returned an error did run (%s)", docCalls)

		var failed []labrpc.Event
		for _, e := range net.Journal().Events {
			if e.Kind == labrpc.EventFail {
				failed = append(failed, e)
			}
		}
		if assert.Len(t, failed, 1, "the journal must show the failed call (%s)", docJournal) {
			assert.Equal(t, "handler returned error: odd", failed[0].Detail, "the journal must say why it failed (%s)", docJournal)
		}
	})
}

// A handler that never returns cannot hold its caller: Call returns false
// after HandlerTimeout.
func TestHangingHandler(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		svc := addSvc(t, net, "server")
		// Let the handler return when the test ends, or its worker would
		// outlive the test.
		labtest.Teardown(t, func() { close(svc.release) })
		end := net.MakeEnd("client")

		start := time.Now()
		ok := end.Call("server", "Svc.Hang", newArgs(1), &Reply{})
		took := time.Since(start)
		assert.False(t, ok, "a call whose handler never returns must return false (%s)", docContract)
		assert.GreaterOrEqual(t, took, labrpc.HandlerTimeout, "Call must wait HandlerTimeout for a slow handler (%s)", docContract)
		assert.Less(t, took, labrpc.HandlerTimeout+time.Second, "Call must give up on a hanging handler after HandlerTimeout (%s)", docContract)
		assert.True(t, end.Call("server", "Svc.Echo", newArgs(2), &Reply{}),
			"a hanging handler must not block other calls to its server (%s)", docContract)
	}, labtest.MaxVirtual(time.Minute))
}
