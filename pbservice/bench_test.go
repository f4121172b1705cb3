package pbservice

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"pblab/labrpc"
	"pblab/viewservice"
)

// BenchmarkOps measures the service's throughput on a reliable network, on
// the wall clock (not in virtual time): a primary, a backup, and 1 or 8
// clerks, each doing Puts and Gets in turn on keys of its own. Every
// operation is a call from the clerk to the primary plus a forward to the
// backup. It reports ops/s; with -benchmem, allocs/op counts everything an
// operation allocates, on the clerk, the network and both servers.
//
//	go test -run '^$' -bench Ops -benchmem ./pbservice
func BenchmarkOps(b *testing.B) {
	net := labrpc.MakeNetwork()
	defer net.Cleanup()
	vs := viewservice.StartServer(net, "vs")
	defer vs.Kill()
	s1 := StartServer(net, "vs", "s1")
	defer s1.Kill()
	waitForView(b, net, func(v viewservice.View) bool { return v.Primary == "s1" })
	s2 := StartServer(net, "vs", "s2")
	defer s2.Kill()
	waitForView(b, net, func(v viewservice.View) bool { return v.Primary == "s1" && v.Backup == "s2" })
	time.Sleep(3 * viewservice.PingInterval) // the primary sends the state and acks the view

	clerks := 0
	for _, n := range []int{1, 8} {
		b.Run(fmt.Sprintf("clerks=%d", n), func(b *testing.B) {
			cks := make([]*Clerk, n)
			for i := range cks {
				clerks++
				cks[i] = MakeClerk(net, "vs", "bench"+strconv.Itoa(clerks))
				cks[i].Put(strconv.Itoa(clerks), "") // learn the primary
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for i, ck := range cks {
				ops := b.N / n
				if i < b.N%n {
					ops++
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					key := "k" + strconv.Itoa(i)
					for j := range ops {
						if j%2 == 0 {
							ck.Put(key, "v")
						} else {
							ck.Get(key)
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
		})
	}
}

// waitForView polls the view service until cond holds, for up to 5 s.
func waitForView(b *testing.B, net *labrpc.Network, cond func(viewservice.View) bool) {
	b.Helper()
	ck := viewservice.MakeClerk(net, "", "vs")
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if v, ok := ck.Get(); ok && cond(v) {
			return
		}
	}
	b.Fatal("the view service never formed the view the benchmark needs")
}
