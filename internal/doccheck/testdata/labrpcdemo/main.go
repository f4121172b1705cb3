// Command labrpcdemo makes the mistakes and the runs that docs/labrpc.md
// shows, so that the docs check can run it and compare what it prints with
// the page:
//
//	go run ./internal/doccheck/testdata/labrpcdemo mistakes
//	LABRPC_SEED=1 go run ./internal/doccheck/testdata/labrpcdemo journal
package main

import (
	"fmt"
	"os"
	"strings"

	"pblab/labrpc"
)

// ViewServer is a service whose Ping breaks the rule for replies: the
// reply must be a pointer.
type ViewServer struct{}

type PingArgs struct{ Me string }

type PingReply struct{ Viewnum uint }

func (vs *ViewServer) Ping(args *PingArgs, reply PingReply) {}

// KV is a well-formed service.
type KV struct{ data map[string]string }

// PutAppendArgs has a field that gob does not send.
type PutAppendArgs struct {
	Key   string
	value string
}

type GetArgs struct{ Key string }

type GetReply struct {
	Err   string
	Value string
}

type PutArgs struct{ Key, Value string }

type PutReply struct{ Err string }

func (kv *KV) PutAppend(args *PutAppendArgs, reply *PutReply) { reply.Err = "OK" }

func (kv *KV) Put(args *PutArgs, reply *PutReply) {
	kv.data[args.Key] = args.Value
	reply.Err = "OK"
}

func (kv *KV) Get(args *GetArgs, reply *GetReply) {
	reply.Value, reply.Err = kv.data[args.Key], "OK"
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: labrpcdemo mistakes|journal")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "mistakes":
		mistakes()
	case "journal":
		journal()
	default:
		fmt.Fprintf(os.Stderr, "labrpcdemo: unknown demo %q\n", os.Args[1])
		os.Exit(2)
	}
}

// mistakes makes each classic mistake once; labrpc logs each.
func mistakes() {
	net := labrpc.MakeNetwork()
	defer net.Cleanup()
	fmt.Println(net.AddServer("vs", &ViewServer{}))
	if err := net.AddServer("p1", &KV{data: map[string]string{}}); err != nil {
		panic(err)
	}
	end := net.MakeEnd("ck1")
	end.Call("p1", "KV.Pong", &GetArgs{}, &GetReply{})
	end.Call("p1", "KV.PutAppend", &PutAppendArgs{Key: "a", value: "x"}, &PutReply{})
	reply := GetReply{Err: "ErrWrongServer"}
	end.Call("p1", "KV.Get", &GetArgs{Key: "a"}, &reply)
	end.Call("p1", "KV.Put", &PutArgs{Key: "a", Value: strings.Repeat("x", 50<<20)}, &PutReply{})
}

// journal records a few calls, a lost reply, a crash and a note, and
// prints the journal.
func journal() {
	net := labrpc.MakeNetwork()
	defer net.Cleanup()
	net.Record(true)
	for _, name := range []string{"p1", "p2"} {
		if err := net.AddServer(name, &KV{data: map[string]string{}}); err != nil {
			panic(err)
		}
	}
	end := net.MakeEnd("ck1")
	put := func(server, value string) bool {
		return end.Call(server, "KV.Put", &PutArgs{Key: "a", Value: value}, &PutReply{})
	}
	put("p1", "x")
	net.Reliable(false)
	for i := 0; put("p1", fmt.Sprint("y", i)); i++ {
	}
	net.Reliable(true)
	net.DeleteServer("p2")
	put("p2", "z")
	net.Note("tester", "view 4: primary p1, no backup")
	for _, e := range net.Journal().Events {
		fmt.Println(e)
	}
}
