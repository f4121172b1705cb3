package labsync_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/labtest"
	"pblab/labsync"
)

// The mutex excludes: many goroutines adding to a plain counter under it
// lose no update, and the race detector (go test -race) sees no race.
func TestMutualExclusion(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		const goroutines, adds = 8, 500
		var mu labsync.Mutex // the zero value, first used by all at once
		counter := 0
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				for range adds {
					mu.Lock()
					counter++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		assert.Equal(t, goroutines*adds, counter, "labsync.Mutex must let one goroutine in at a time")
	})
}

// TryLock locks an unlocked mutex, and only an unlocked one.
func TestTryLock(t *testing.T) {
	var mu labsync.Mutex
	require.True(t, mu.TryLock(), "TryLock of an unlocked mutex locks it")
	assert.False(t, mu.TryLock(), "TryLock of a locked mutex fails")
	mu.Unlock()
	assert.True(t, mu.TryLock(), "TryLock after Unlock locks it again")
	mu.Unlock()
	mu.Lock()
	assert.False(t, mu.TryLock(), "TryLock fails while Lock holds it")
	mu.Unlock()
}

// Unlocking an unlocked mutex is a run-time error, as for sync.Mutex.
func TestUnlockOfUnlocked(t *testing.T) {
	var mu labsync.Mutex
	assert.PanicsWithValue(t, "labsync: unlock of unlocked mutex", mu.Unlock, "Unlock of a new mutex")
	require.True(t, mu.TryLock(), "TryLock of an unlocked mutex locks it")
	mu.Unlock()
	assert.PanicsWithValue(t, "labsync: unlock of unlocked mutex", mu.Unlock, "a second Unlock")
}

// The point of labsync.Mutex: held across a sleep (or an RPC) while others
// wait for it, it lets virtual time go on, where sync.Mutex would freeze it.
func TestHeldAcrossSleep(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		var mu labsync.Mutex
		start := time.Now()
		var got [3]time.Duration
		var wg sync.WaitGroup
		mu.Lock()
		for i := range got {
			wg.Go(func() {
				mu.Lock()
				defer mu.Unlock()
				got[i] = time.Since(start)
				time.Sleep(100 * time.Millisecond)
			})
		}
		time.Sleep(100 * time.Millisecond)
		mu.Unlock()
		wg.Wait()
		assert.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond, "each holder slept 100ms while the others waited")
		for i, d := range got {
			assert.GreaterOrEqual(t, d, 100*time.Millisecond, "waiter %d got the lock only after the first holder's sleep", i)
		}
	})
}

// A server holds its labsync.Mutex across a slow step; a second request
// waits for it.
func ExampleMutex() {
	var mu labsync.Mutex
	var log []string
	var wg sync.WaitGroup
	mu.Lock()
	wg.Go(func() {
		mu.Lock() // waits until the first holder is done
		defer mu.Unlock()
		log = append(log, "second")
	})
	time.Sleep(10 * time.Millisecond) // a slow step, lock held
	log = append(log, "first")
	mu.Unlock()
	wg.Wait()
	fmt.Println(log)
	// Output: [first second]
}
