package labrpc_test

import (
	"bytes"
	"encoding/gob"
	"sync"
	"sync/atomic"
	"testing"

	"pblab/labrpc"
)

// The benchmarks measure a reliable call with a small struct argument,
// side by side with its floor: what any in-process RPC with copying must
// pay (a channel round trip between two goroutines, and a gob stream
// encode+decode of the argument and of the reply). They run on the wall
// clock, outside any bubble: go test -run '^$' -bench . ./labrpc

// BenchArgs and BenchReply are the benchmarks' small messages.
type BenchArgs struct {
	N int
	S string
}

type BenchReply struct {
	N int
	S string
}

// Bench is the benchmarks' service.
type Bench struct{}

func (*Bench) Echo(args *BenchArgs, reply *BenchReply) {
	reply.N = args.N + 1
	reply.S = args.S
}

func benchNetwork(b *testing.B) *labrpc.Network {
	b.Helper()
	net := labrpc.MakeNetwork()
	b.Cleanup(net.Cleanup)
	if err := net.AddServer("server", &Bench{}); err != nil {
		b.Fatal(err)
	}
	return net
}

// BenchmarkCall is one caller making reliable calls, one after the other.
func BenchmarkCall(b *testing.B) {
	net := benchNetwork(b)
	end := net.MakeEnd("client")
	args := BenchArgs{S: "key-0001"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		args.N = i
		var reply BenchReply
		if !end.Call("server", "Bench.Echo", &args, &reply) || reply.N != i+1 {
			b.Fatalf("call %d failed: reply %+v", i, reply)
		}
	}
}

// BenchmarkCallParallel is 8 callers, each with its own end, sharing b.N
// calls; ns/op is the inverse of the network's throughput.
func BenchmarkCallParallel(b *testing.B) {
	const callers = 8
	net := benchNetwork(b)
	var next atomic.Int64
	var failed atomic.Bool
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for c := range callers {
		end := net.MakeEnd("client-" + string(rune('a'+c)))
		wg.Go(func() {
			args := BenchArgs{S: "key-0001"}
			for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
				args.N = int(i)
				var reply BenchReply
				if !end.Call("server", "Bench.Echo", &args, &reply) || reply.N != args.N+1 {
					failed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	if failed.Load() {
		b.Fatal("a call failed on a reliable network")
	}
}

// BenchmarkFloor is the floor of a call: a request and a reply passed
// between two goroutines over channels, the argument and the reply each
// copied through a long-lived gob stream.
func BenchmarkFloor(b *testing.B) {
	var argBuf, replyBuf bytes.Buffer
	argEnc, argDec := gob.NewEncoder(&argBuf), gob.NewDecoder(&argBuf)
	replyEnc, replyDec := gob.NewEncoder(&replyBuf), gob.NewDecoder(&replyBuf)

	requests := make(chan *BenchArgs)
	replies := make(chan *BenchReply)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for args := range requests {
			replies <- &BenchReply{N: args.N + 1, S: args.S}
		}
	}()

	args := BenchArgs{S: "key-0001"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		args.N = i
		var argCopy BenchArgs
		if err := argEnc.Encode(&args); err != nil {
			b.Fatal(err)
		}
		if err := argDec.Decode(&argCopy); err != nil {
			b.Fatal(err)
		}
		requests <- &argCopy
		reply := <-replies
		var replyCopy BenchReply
		if err := replyEnc.Encode(reply); err != nil {
			b.Fatal(err)
		}
		if err := replyDec.Decode(&replyCopy); err != nil {
			b.Fatal(err)
		}
		if replyCopy.N != i+1 {
			b.Fatalf("reply %+v", replyCopy)
		}
	}
	close(requests)
	<-done
}
