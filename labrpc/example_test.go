package labrpc_test

import (
	"fmt"
	"strings"
	"sync"

	"pblab/labrpc"
)

// Counter is a service: its RPC methods take a pointer to the args and a
// pointer to the reply.
type Counter struct {
	mu    sync.Mutex
	total int
}

type AddArgs struct{ Delta int }

type AddReply struct{ Total int }

// Add adds args.Delta to the counter and replies with the new total.
func (c *Counter) Add(args *AddArgs, reply *AddReply) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total += args.Delta
	reply.Total = c.total
}

// A server, a client, and one call.
func Example() {
	net := labrpc.MakeNetwork()
	defer net.Cleanup()
	if err := net.AddServer("counter", &Counter{}); err != nil {
		fmt.Println(err)
		return
	}

	end := net.MakeEnd("client")
	var reply AddReply // a fresh reply for every call
	ok := end.Call("counter", "Counter.Add", &AddArgs{Delta: 5}, &reply)
	fmt.Println(ok, reply.Total)
	// Output: true 5
}

// AddServer says which rule a service breaks.
func ExampleNetwork_AddServer() {
	net := labrpc.MakeNetwork()
	defer net.Cleanup()
	err := net.AddServer("counter", Counter{}) // not a pointer
	fmt.Println(err)
	// Output: labrpc: AddServer "counter": service labrpc_test.Counter: a service must be a non-nil pointer, such as &ViewServer{}
}

// Only names in the same group can talk; a name in no group reaches
// everyone.
func ExampleNetwork_Partition() {
	net := labrpc.MakeNetwork()
	defer net.Cleanup()
	_ = net.AddServer("counter", &Counter{})
	add := func(from string) bool {
		return net.MakeEnd(from).Call("counter", "Counter.Add", &AddArgs{Delta: 1}, &AddReply{})
	}

	net.Partition([]string{"counter", "c1"}, []string{"c2"})
	fmt.Println("c1:", add("c1"), "c2:", add("c2"), "c3:", add("c3"))
	net.Heal()
	fmt.Println("c2 after Heal:", add("c2"))
	// Output:
	// c1: true c2: false c3: true
	// c2 after Heal: true
}

// Cut cuts one direction of one link: calls from s1 to the counter fail,
// while the counter's calls to s1, and other names' calls to the counter,
// still work.
func ExampleNetwork_Cut() {
	net := labrpc.MakeNetwork()
	defer net.Cleanup()
	_ = net.AddServer("counter", &Counter{})
	_ = net.AddServer("s1", &Counter{})
	add := func(from, to string) bool {
		return net.MakeEnd(from).Call(to, "Counter.Add", &AddArgs{Delta: 1}, &AddReply{})
	}

	net.Cut("s1", "counter")
	fmt.Println("s1 to counter:", add("s1", "counter"), "counter to s1:", add("counter", "s1"), "s2 to counter:", add("s2", "counter"))
	net.Mend("s1", "counter")
	fmt.Println("s1 to counter after Mend:", add("s1", "counter"))
	// Output:
	// s1 to counter: false counter to s1: true s2 to counter: true
	// s1 to counter after Mend: true
}

// DeleteServer is a crash; AddServer under the same name is a restart, with
// a fresh state. Ends made under the crashed name before the crash stay
// dead.
func ExampleNetwork_DeleteServer() {
	net := labrpc.MakeNetwork()
	defer net.Cleanup()
	_ = net.AddServer("counter", &Counter{})
	_ = net.AddServer("peer", &Counter{})
	client := net.MakeEnd("client")
	zombie := net.MakeEnd("counter") // the counter's own end, to call its peer

	var reply AddReply
	client.Call("counter", "Counter.Add", &AddArgs{Delta: 5}, &reply)
	fmt.Println("before the crash:", reply.Total)

	net.DeleteServer("counter")
	fmt.Println("crashed:", client.Call("counter", "Counter.Add", &AddArgs{Delta: 1}, &AddReply{}))

	_ = net.AddServer("counter", &Counter{})
	reply = AddReply{}
	client.Call("counter", "Counter.Add", &AddArgs{Delta: 1}, &reply)
	fmt.Println("restarted:", reply.Total)
	fmt.Println("zombie end:", zombie.Call("peer", "Counter.Add", &AddArgs{Delta: 1}, &AddReply{}))
	// Output:
	// before the crash: 5
	// crashed: false
	// restarted: 1
	// zombie end: false
}

// The counts of calls and bytes.
func ExampleNetwork_GetCount() {
	net := labrpc.MakeNetwork()
	defer net.Cleanup()
	_ = net.AddServer("counter", &Counter{})
	end := net.MakeEnd("client")
	for range 3 {
		end.Call("counter", "Counter.Add", &AddArgs{Delta: 1}, &AddReply{})
	}
	fmt.Println(net.GetCount("counter"), net.GetCount("unknown"), net.GetTotalCount(), net.GetTotalBytes() > 0)
	// Output: 3 0 3 true
}

// The journal records what became of every message.
func ExampleNetwork_Journal() {
	net := labrpc.MakeNetwork()
	defer net.Cleanup()
	net.Record(true)
	_ = net.AddServer("counter", &Counter{})
	net.MakeEnd("client").Call("counter", "Counter.Add", &AddArgs{Delta: 2}, &AddReply{})
	net.DeleteServer("counter")
	net.Note("tester", "counter crashed")

	for _, e := range net.Journal().Events {
		// e.String() also shows the time; here it would change every run.
		if e.Call == 0 {
			fmt.Println(strings.TrimSpace(fmt.Sprintf("%-7s %s %s", e.Kind, e.From, e.Detail)))
		} else {
			fmt.Println(strings.TrimSpace(fmt.Sprintf("%-7s #%d %s -> %s %s %s", e.Kind, e.Call, e.From, e.To, e.Method, e.Detail)))
		}
	}
	// Output:
	// start   counter
	// send    #1 client -> counter Counter.Add {Delta:2}
	// deliver #1 client -> counter Counter.Add
	// reply   #1 client -> counter Counter.Add {Total:2}
	// crash   counter
	// note    tester counter crashed
}
