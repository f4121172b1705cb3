package labrpc_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/labtest"
)

func newArgs(n int) *Args {
	return &Args{N: n, S: "hello", Xs: []int{1, 2, 3}, M: map[string]int{"k": 1}, P: &Inner{V: 7}}
}

// The caller's args are copied when Call sends them: changing them after
// Call returns changes nothing the handler holds, and a handler that writes
// to its args changes nothing the caller holds.
func TestDeepCopyArgs(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		svc := addSvc(t, net, "server")
		end := net.MakeEnd("client")

		args := newArgs(1)
		var reply Reply
		require.True(t, end.Call("server", "Svc.Keep", args, &reply), "a reliable call must succeed (%s)", docContract)
		args.N, args.S, args.Xs[0], args.M["k"], args.P.V = 99, "changed", 99, 99, 99
		svc.mu.Lock()
		kept := *svc.lastArgs
		svc.mu.Unlock()
		assert.Equal(t, *newArgs(1), kept,
			"deep copy: the handler's args changed when the caller changed its own after the call; args must be copied (%s)", docEncoding)

		args = newArgs(2)
		reply = Reply{}
		require.True(t, end.Call("server", "Svc.Scribble", args, &reply), "a reliable call must succeed (%s)", docContract)
		assert.Equal(t, newArgs(2), args,
			"deep copy: a handler that writes to its args changed the caller's args; args must be copied (%s)", docEncoding)
		assert.Equal(t, Reply{N: 2, S: "hello", Xs: []int{1, 2, 3}}, reply, "the reply must be what the handler set (%s)", docContract)
	})
}

// The reply is copied too: a handler that keeps its reply and changes it
// later changes nothing the caller holds, and the other way round.
func TestDeepCopyReply(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		svc := addSvc(t, net, "server")
		end := net.MakeEnd("client")

		var reply Reply
		require.True(t, end.Call("server", "Svc.Keep", newArgs(3), &reply), "a reliable call must succeed (%s)", docContract)
		want := Reply{N: 3, S: "hello", Xs: []int{1, 2, 3}, M: map[string]int{"k": 1}, P: &Inner{V: 7}}
		require.Equal(t, want, reply, "the reply must be what the handler set (%s)", docContract)

		svc.mu.Lock()
		kept := svc.lastReply
		kept.N, kept.Xs[0], kept.M["k"], kept.P.V = -1, -1, -1, -1
		svc.mu.Unlock()
		assert.Equal(t, want, reply,
			"deep copy: the handler changed the reply it kept and the caller's reply changed too; replies must be copied (%s)", docEncoding)

		reply.Xs[1], reply.M["k"] = 42, 42
		svc.mu.Lock()
		defer svc.mu.Unlock()
		assert.Equal(t, -1, kept.M["k"], "deep copy: changing the caller's reply changed the handler's (%s)", docEncoding)
		assert.Equal(t, []int{-1, 2, 3}, kept.Xs, "deep copy: changing the caller's reply changed the handler's (%s)", docEncoding)
	})
}

// A handler may take its args by value.
func TestArgsByValue(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		addSvc(t, net, "server")
		end := net.MakeEnd("client")
		for _, args := range []any{newArgs(4), *newArgs(4)} {
			var reply Reply
			assert.True(t, end.Call("server", "Svc.EchoValue", args, &reply), "a handler taking args by value accepts %T (%s)", args, docCalls)
			assert.Equal(t, 4, reply.N, "the reply must be what the handler set (%s)", docContract)
		}
	})
}

// Hidden has an unexported field: gob does not send it.
type Hidden struct {
	Shown  int
	hidden int
}

// Stamped has a time.Time, whose fields are unexported but which gob
// encodes through its own methods: no warning.
type Stamped struct {
	At time.Time
}

// Enc is a service for the encoding checks.
type Enc struct{}

func (*Enc) Hide(args *Hidden, reply *Hidden) {
	reply.Shown = args.Shown
	reply.hidden = 5
}

// HiddenReply is a reply type with an unexported field.
type HiddenReply struct {
	Shown int
	count int
}

func (*Enc) Count(args *Args, reply *HiddenReply) {
	reply.Shown = args.N
	reply.count = args.N
}

func (*Enc) Stamp(args *Stamped, reply *Stamped) { reply.At = args.At.Add(time.Hour) }

// Half sets only Shown, and sets it to zero: the classic stale-reply case.
func (*Enc) Half(args *Args, reply *Reply) {
	reply.N = 0
	reply.S = "fresh"
}

// The two classic student bugs are reported once per type: an unexported
// field (it arrives as zero) and a reply that is not the zero value (fields
// the handler leaves at zero keep their old value).
func TestEncodingWarnings(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		logs := captureLog(t)
		net := labtest.NewNetwork(t)
		require.NoError(t, net.AddServer("server", &Enc{}))
		end := net.MakeEnd("client")

		for i := range 3 {
			var reply Hidden
			require.True(t, end.Call("server", "Enc.Hide", &Hidden{Shown: i, hidden: 9}, &reply),
				"a call with an unexported field still succeeds (%s)", docEncoding)
			assert.Equal(t, Hidden{Shown: i}, reply,
				"encoding: an unexported field must arrive as its zero value, as on a real wire (%s)", docEncoding)
		}
		assert.Equal(t, 1, logs.Count("labrpc_test.Hidden has unexported field(s) labrpc_test.Hidden.hidden"),
			"encoding: the unexported-field warning must be printed exactly once per type (%s); log:\n%s", docEncoding, logs)

		for range 2 {
			var reply HiddenReply
			require.True(t, end.Call("server", "Enc.Count", newArgs(8), &reply), "a reliable call must succeed (%s)", docContract)
			assert.Equal(t, HiddenReply{Shown: 8}, reply,
				"encoding: an unexported reply field must arrive as its zero value (%s)", docEncoding)
		}
		assert.Equal(t, 1, logs.Count("labrpc_test.HiddenReply has unexported field(s) labrpc_test.HiddenReply.count"),
			"encoding: a reply type's unexported fields must be reported too, once (%s); log:\n%s", docEncoding, logs)

		for range 3 {
			reply := Reply{N: 41, S: "stale"}
			require.True(t, end.Call("server", "Enc.Half", newArgs(1), &reply), "a reliable call must succeed (%s)", docContract)
			assert.Equal(t, Reply{N: 41, S: "fresh"}, reply,
				"encoding: gob does not send zero fields, so a reused reply keeps the stale N (%s)", docEncoding)
		}
		assert.Equal(t, 1, logs.Count("the reply *labrpc_test.Reply is not the zero value"),
			"encoding: the non-zero-reply warning must be printed exactly once per type (%s); log:\n%s", docEncoding, logs)

		var stamped Stamped
		at := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		require.True(t, end.Call("server", "Enc.Stamp", &Stamped{At: at}, &stamped), "a reliable call must succeed (%s)", docContract)
		assert.True(t, at.Add(time.Hour).Equal(stamped.At), "a time.Time must survive the copy (%s)", docEncoding)
		assert.NotContains(t, logs.String(), "Stamped",
			"encoding: a type that gob encodes through its own methods (time.Time) must not be reported (%s)", docEncoding)
	})
}
