package labrpc_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/labtest"
	"pblab/labrpc"
)

// Plumbed has fields gob does not send: a channel and a function.
type Plumbed struct {
	N    int
	Done chan struct{}
	Then func()
}

// OnlyPlumbing has no field gob sends at all.
type OnlyPlumbing struct {
	Done chan struct{}
}

// Wrapped holds a struct with no field gob sends, which gob refuses.
type Wrapped struct {
	N     int
	Inner OnlyPlumbing
}

// Plumbing is a service for the checks of fields gob does not send.
type Plumbing struct{}

func (*Plumbing) Plumbed(args *Plumbed, reply *Plumbed) {
	reply.N = args.N
	reply.Done = make(chan struct{})
}

func (*Plumbing) Only(args *OnlyPlumbing, reply *OnlyPlumbing) { reply.Done = args.Done }

func (*Plumbing) Wrapped(args *Wrapped, reply *Wrapped) { reply.N = args.N }

// A field of chan or func type is dropped by gob as an unexported field
// is: the network says so once per type. A struct inside a message with no
// field gob sends makes the call fail, and the log says why in words that
// do not claim the struct has no exported field.
func TestChanAndFuncFields(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		logs := captureLog(t)
		net := labtest.NewNetwork(t)
		require.NoError(t, net.AddServer("server", &Plumbing{}))
		end := net.MakeEnd("client")

		for i := range 3 {
			var reply Plumbed
			require.True(t, end.Call("server", "Plumbing.Plumbed", &Plumbed{N: i, Done: make(chan struct{}), Then: func() {}}, &reply),
				"a call with a chan field still succeeds (%s)", docEncoding)
			assert.Equal(t, i, reply.N, "the other fields are sent (%s)", docEncoding)
			assert.Nil(t, reply.Done, "a chan field arrives as nil (%s)", docEncoding)
		}
		assert.Equal(t, 1, logs.Count("labrpc_test.Plumbed has field(s) of chan or func type labrpc_test.Plumbed.Done (chan struct {}), labrpc_test.Plumbed.Then (func())"),
			"a message type's chan and func fields are reported once (%s); log:\n%s", docEncoding, logs)

		var only OnlyPlumbing
		require.True(t, end.Call("server", "Plumbing.Only", &OnlyPlumbing{Done: make(chan struct{})}, &only),
			"a message with no field gob sends arrives as its zero value (%s)", docEncoding)
		assert.Nil(t, only.Done, "a chan field arrives as nil (%s)", docEncoding)
		assert.Equal(t, 1, logs.Count("labrpc_test.OnlyPlumbing has field(s) of chan or func type"), "reported once (%s); log:\n%s", docEncoding, logs)

		for range 2 {
			assert.False(t, end.Call("server", "Plumbing.Wrapped", &Wrapped{N: 1}, &Wrapped{}),
				"a message holding a struct gob cannot send fails (%s)", docEncoding)
		}
		assert.Equal(t, 1, logs.Count("gob cannot send the struct labrpc_test.OnlyPlumbing inside labrpc_test.Wrapped: it has no field gob sends"),
			"the failure is said once, naming the struct (%s); log:\n%s", docEncoding, logs)
		assert.NotContains(t, logs.String(), "has no exported fields", "the log must not claim an exported field is missing (%s)", docEncoding)
	})
}

// Big is a service whose replies are as big as asked.
type Big struct{ ran int }

func (b *Big) Make(args *Args, reply *Reply) {
	b.ran++
	reply.S = strings.Repeat("x", args.N)
}

// A request or a reply over MaxMessageSize is not sent: the call fails,
// and the log says so once per method and direction. A message just under
// the cap goes through.
func TestMessageSize(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		logs := captureLog(t)
		net := labtest.NewNetwork(t)
		big := &Big{}
		require.NoError(t, net.AddServer("server", big))
		end := net.MakeEnd("client")

		huge := strings.Repeat("x", labrpc.MaxMessageSize)
		before := net.GetTotalBytes()
		for range 2 {
			assert.False(t, end.Call("server", "Big.Make", &Args{S: huge}, &Reply{}), "args over MaxMessageSize: the call fails (%s)", docSize)
		}
		assert.Zero(t, big.ran, "args over MaxMessageSize: the handler never runs (%s)", docSize)
		assert.Less(t, net.GetTotalBytes()-before, int64(1000), "args over MaxMessageSize are not sent (%s)", docSize)
		assert.Equal(t, 1, logs.Count(`labrpc: Call("server", "Big.Make"): the args are 32.0 MB encoded, more than MaxMessageSize (32.0 MB): the call fails`),
			"args over MaxMessageSize: one line on the log, naming the call (%s); log:\n%s", docSize, logs)

		for range 2 {
			assert.False(t, end.Call("server", "Big.Make", &Args{N: labrpc.MaxMessageSize}, &Reply{}), "a reply over MaxMessageSize: the call fails (%s)", docSize)
		}
		assert.Equal(t, 2, big.ran, "a reply over MaxMessageSize: the handler ran (%s)", docSize)
		assert.Equal(t, 1, logs.Count(`labrpc: Call("server", "Big.Make"): the reply is`),
			"a reply over MaxMessageSize: one line on the log, naming the call (%s); log:\n%s", docSize, logs)

		var reply Reply
		require.True(t, end.Call("server", "Big.Make", &Args{N: 6 << 20}, &reply), "a 6 MB reply is under the cap (%s)", docSize)
		assert.Len(t, reply.S, 6<<20, "a message under the cap arrives whole (%s)", docSize)

		var fails []string
		for _, e := range net.Journal().Events {
			if e.Kind == labrpc.EventFail {
				fails = append(fails, e.Detail)
			}
		}
		assert.Equal(t, []string{
			"the args are 32.0 MB, more than MaxMessageSize", "the args are 32.0 MB, more than MaxMessageSize",
			"the reply is 32.0 MB, more than MaxMessageSize", "the reply is 32.0 MB, more than MaxMessageSize",
		}, fails, "the journal says why each call failed (%s)", docJournal)
	})
}

// A partition that lists a name in two groups is refused, with one line on
// the log, and the network stays as it was.
func TestPartitionNameInTwoGroups(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		logs := captureLog(t)
		net := labtest.NewNetwork(t)
		addSvc(t, net, "a")
		addSvc(t, net, "b")
		net.Partition([]string{"a"}, []string{"b"})
		net.Partition([]string{"a", "c"}, []string{"b", "a"})
		assert.Equal(t, 1, logs.Count(`labrpc: Partition: "a" is in group 1 and in group 2, but a name may be in one group only; the partition is refused`),
			"a name in two groups: one line on the log (%s); log:\n%s", docPartit, logs)
		assert.False(t, net.MakeEnd("a").Call("b", "Svc.Echo", newArgs(1), &Reply{}), "a refused partition leaves the old one in force (%s)", docPartit)
		net.Partition([]string{"a", "a"}, []string{"b"})
		assert.Equal(t, 1, logs.Count("labrpc: Partition:"), "a name twice in the same group is no mistake (%s); log:\n%s", docPartit, logs)

		var partitions int
		for _, e := range net.Journal().Events {
			if e.Kind == labrpc.EventPartition {
				partitions++
			}
		}
		assert.Equal(t, 2, partitions, "a refused partition is not journaled (%s)", docJournal)
	})
}

// A network that has been cleaned up takes no new server, from AddServer
// or from a Host.
func TestAddServerAfterCleanup(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		net.Cleanup()
		err := net.AddServer("server", newSvc())
		if assert.Error(t, err, "AddServer after Cleanup must fail (%s)", docCleanup) {
			assert.Equal(t, `labrpc: AddServer "server": the network has been cleaned up (Cleanup); no server can join it`, err.Error(),
				"the error says why (%s)", docCleanup)
		}
		assert.Error(t, net.Host("server").AddServer(newSvc()), "Host.AddServer after Cleanup must fail (%s)", docCleanup)
	})
}

// DeleteServer of a name that no server and no end ever had says so once;
// a name that only made ends is no mistake (its ends die).
func TestDeleteServerUnknownName(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		logs := captureLog(t)
		net := labtest.NewNetwork(t)
		addSvc(t, net, "server")
		net.MakeEnd("clerk")
		for range 2 {
			net.DeleteServer("nobody")
		}
		net.DeleteServer("clerk")
		net.DeleteServer("server")
		net.DeleteServer("server") // crashed already, but it existed
		assert.Equal(t, 1, logs.Count(`labrpc: DeleteServer("nobody"): no server of that name was ever added, and no end calls under it: nothing to crash`),
			"DeleteServer of a name never seen: one line on the log (%s); log:\n%s", docFailStop, logs)
		assert.Equal(t, 1, logs.Count("labrpc: DeleteServer"), "DeleteServer of a known name says nothing (%s); log:\n%s", docFailStop, logs)
	})
}

// A handler that outlives HandlerTimeout is named on the log, once per
// handler.
func TestHandlerTimeoutLog(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		logs := captureLog(t)
		net := labtest.NewNetwork(t)
		svc := addSvc(t, net, "server")
		labtest.Teardown(t, func() { close(svc.release) })
		end := net.MakeEnd("client")
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Go(func() {
				assert.False(t, end.Call("server", "Svc.Hang", newArgs(i), &Reply{}), "a call whose handler never returns fails (%s)", docContract)
			})
		}
		wg.Wait()
		assert.Equal(t, 1, logs.Count(`labrpc: the handler Svc.Hang on server "server" has not returned after HandlerTimeout (10s)`),
			"a handler timeout: one line on the log, naming the server and the handler (%s); log:\n%s", docContract, logs)
	}, labtest.MaxVirtual(time.Minute))
}
