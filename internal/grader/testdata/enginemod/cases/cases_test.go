// Package cases holds one test per way a graded test can end, for the
// grader's own tests (internal/grader/grader_test.go). It is a module of its
// own so that go test ./... of the lab never runs it.
package cases

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestPass(t *testing.T) { t.Log("all good") }

func TestFailPlain(t *testing.T) {
	t.Log("seed: 42")
	t.Errorf("the ack rule: view 2 came before the primary acked view 1\nsee the guide, The ack rule")
}

func TestFailTestify(t *testing.T) {
	t.Errorf("\n\tError Trace:\t/x/cases_test.go:20\n\tError:      \tNot equal: \n\t            \texpected: 1\n\tTest:       \tTestFailTestify\n\tMessages:   \tthe first primary: view 1 names the first server to ping (see the guide, step 1)")
}

func TestPanicGoroutine(t *testing.T) {
	done := make(chan bool)
	go func() {
		var m map[string]int
		m["x"] = 1
		done <- true
	}()
	<-done
}

func TestExit(t *testing.T) { os.Exit(3) }

func TestExit0(t *testing.T) { os.Exit(0) }

func TestHang(t *testing.T) { select {} }

func TestFlood(t *testing.T) {
	line := strings.Repeat("x", 1023)
	for i := 0; i < 1<<20; i++ {
		fmt.Println(line)
	}
}

// TestStall freezes "virtual time" unless it runs on the wall clock, as a
// test whose code holds a sync.Mutex across an RPC does.
func TestStall(t *testing.T) {
	if os.Getenv("PBLAB_REALTIME") == "1" {
		return
	}
	fmt.Fprintln(os.Stderr, "\npblab: STALL: TestStall: the virtual clock has not moved for 1s of real time.")
	panic("pblab: STALL: TestStall: virtual clock frozen (see above)")
}

// TestStallFails stalls in virtual time and fails on the wall clock.
func TestStallFails(t *testing.T) {
	if os.Getenv("PBLAB_REALTIME") == "1" {
		t.Fatal("the output rule: the primary answered before the backup acked")
	}
	fmt.Fprintln(os.Stderr, "\npblab: STALL: TestStallFails: the virtual clock has not moved for 1s of real time.")
	panic("pblab: STALL: TestStallFails: virtual clock frozen (see above)")
}

func TestRace(t *testing.T) {
	x := 0
	done := make(chan bool)
	go func() { x++; done <- true }()
	x++
	<-done
}

func TestLeak(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		go func() {
			for {
				time.Sleep(time.Second)
			}
		}()
	})
}
