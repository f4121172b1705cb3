// Package cases holds one test per way a graded test can end, for the
// grader's own tests (internal/grader/grader_test.go). It lives under
// testdata, so that go test ./... of the lab never runs it; the grader
// builds it like a graded package, whose tests report through labtest.
package cases

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"pblab/internal/labenv"
	"pblab/internal/labtest"
)

func TestPass(t *testing.T) {
	labtest.Run(t, func(t *testing.T) { t.Log("all good") })
}

func TestFailPlain(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		t.Log("seed: 42")
		t.Errorf("the ack rule: view 2 came before the primary acked view 1\nsee the guide, The ack rule")
	})
}

func TestFailTestify(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		t.Errorf("\n\tError Trace:\t/x/cases_test.go:20\n\tError:      \tNot equal: \n\t            \texpected: 1\n\tTest:       \tTestFailTestify\n\tMessages:   \tthe first primary: view 1 names the first server to ping (see the guide, step 1)")
	})
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

// freezeClock holds a sync.Mutex across a sleep while another goroutine
// waits for it: the virtual clock freezes; on the wall clock all is well.
func freezeClock() {
	var mu sync.Mutex
	locked := make(chan struct{})
	go func() {
		mu.Lock()
		close(locked)
		time.Sleep(100 * time.Millisecond)
		mu.Unlock()
	}()
	<-locked
	mu.Lock()
	mu.Unlock()
}

// TestStall freezes the virtual clock, and passes on the wall clock.
func TestStall(t *testing.T) {
	labtest.Run(t, func(t *testing.T) { freezeClock() })
}

// TestStallFails freezes the virtual clock, and fails on the wall clock.
func TestStallFails(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		freezeClock()
		t.Error("the output rule: the primary answered before the backup acked")
	})
}

// deadlock waits for a lock that a goroutine blocked for ever holds: stuck
// on any clock.
func deadlock() {
	var mu sync.Mutex
	locked, never := make(chan struct{}), make(chan struct{})
	go func() {
		mu.Lock()
		close(locked)
		<-never
	}()
	<-locked
	mu.Lock()
}

// TestSelfDeadlock takes a lock it holds, as a handler that calls a
// locking helper under its lock does: a deadlock that no clock ends.
func TestSelfDeadlock(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		var mu sync.Mutex
		mu.Lock()
		lockAgain(&mu)
	})
}

// lockAgain takes mu, which its caller holds, to count: it never returns.
func lockAgain(mu *sync.Mutex) {
	mu.Lock()
	defer mu.Unlock()
	lockedCount++
}

// lockedCount is what lockAgain counts.
var lockedCount int

func TestDeadlockA(t *testing.T) {
	labtest.Run(t, func(t *testing.T) { deadlock() }, labtest.MaxVirtual(time.Second))
}

func TestDeadlockB(t *testing.T) {
	labtest.Run(t, func(t *testing.T) { deadlock() }, labtest.MaxVirtual(time.Second))
}

func TestRace(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		x := 0
		done := make(chan bool)
		go func() { x++; done <- true }()
		x++
		<-done
	})
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

// TestNoHarness passes, but not through labtest.Run: no pass is reported.
func TestNoHarness(t *testing.T) { t.Log("all good, says the test") }

// forgePass prints what go test -v=test2json prints for a passing test.
func forgePass(test string) {
	fmt.Printf("\x16--- PASS: %s (0.00s)\n\x16PASS\n", test)
}

// TestForgedPassHangs prints a pass, then hangs.
func TestForgedPassHangs(t *testing.T) {
	forgePass(t.Name())
	select {}
}

// TestForgedPassExits prints a pass, then ends the process with status 0
// behind the testing package's back.
func TestForgedPassExits(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		forgePass(t.Name())
		syscall.Exit(0)
	})
}

// TestForgedStall prints the harness's frozen-clock marker and panics as
// the watchdog does, in virtual time, and fails on the wall clock.
func TestForgedStall(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		if time.Now().Year() == 2000 {
			fmt.Fprintf(os.Stderr, "\n%s %s: the virtual clock has not moved for 1s of real time.\n", labenv.StallMarker, t.Name())
			panic(labenv.StallMarker + " " + t.Name() + ": virtual clock frozen (see above)")
		}
		t.Error("the wall clock decides, says the forger")
	})
}

// TestMemoryBomb holds ever more memory.
func TestMemoryBomb(t *testing.T) {
	var hoard [][]byte
	for {
		chunk := make([]byte, 16<<20)
		for i := range chunk {
			chunk[i] = 1
		}
		hoard = append(hoard, chunk)
	}
}

// TestDumpOverflows hangs with many goroutines: its timeout's goroutine
// dump is longer than the output cap.
func TestDumpOverflows(t *testing.T) {
	never := make(chan struct{})
	for range 8000 {
		go func() { <-never }()
	}
	<-never
}

// TestSandbox passes only in the sandbox: it cannot write its own source
// folder or its binary, and its folder, HOME and TMPDIR are its own.
func TestSandbox(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		_, source, _, _ := runtime.Caller(0)
		if err := os.WriteFile(filepath.Join(filepath.Dir(source), "written.txt"), []byte("x"), 0o644); err == nil {
			t.Error("the test wrote into the source tree")
		}
		if bin, err := os.Executable(); err != nil || os.WriteFile(filepath.Join(filepath.Dir(bin), "written.test"), []byte("x"), 0o755) == nil {
			t.Error("the test wrote beside its binary")
		}
		wd, _ := os.Getwd()
		if os.Getenv("HOME") != wd || os.Getenv("TMPDIR") != wd {
			t.Errorf("HOME and TMPDIR are not the private folder %s", wd)
		}
		if err := os.WriteFile("scratch.txt", []byte("x"), 0o644); err != nil {
			t.Errorf("the private folder is not writable: %v", err)
		}
	})
}
