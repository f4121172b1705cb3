// Package labsync provides a mutual exclusion lock for the lab's servers
// that works with the tests' virtual clock.
//
// The tests run in virtual time (testing/synctest): the clock moves only
// while every goroutine is blocked in a way the runtime can see through — on
// a channel, a sleep, a timer. A goroutine waiting in sync.Mutex.Lock is not
// such a goroutine, so if one goroutine holds a sync.Mutex across a sleep or
// an RPC (which may sleep on an unreliable network) while another waits for
// it, the clock stops and the test cannot go on. labsync.Mutex has the same
// methods as sync.Mutex, but its waiters wait on a channel, so holding it
// across a call is as safe in virtual time as it is on the wall clock.
package labsync

import "sync/atomic"

// A Mutex is a mutual exclusion lock. The zero value is an unlocked mutex.
// A Mutex must not be copied after first use.
type Mutex struct {
	// ch holds one token while the mutex is locked. It is made on first use,
	// so that a zero Mutex works and the channel belongs to the test that
	// uses it.
	ch atomic.Pointer[chan struct{}]
}

func (m *Mutex) token() chan struct{} {
	if ch := m.ch.Load(); ch != nil {
		return *ch
	}
	ch := make(chan struct{}, 1)
	m.ch.CompareAndSwap(nil, &ch)
	return *m.ch.Load()
}

// Lock locks m, waiting until it is unlocked if it is locked.
func (m *Mutex) Lock() {
	m.token() <- struct{}{}
}

// TryLock locks m if it is unlocked and reports whether it did.
func (m *Mutex) TryLock() bool {
	select {
	case m.token() <- struct{}{}:
		return true
	default:
		return false
	}
}

// Unlock unlocks m. Unlocking an unlocked mutex is a run-time error, as it
// is for sync.Mutex.
func (m *Mutex) Unlock() {
	select {
	case <-m.token():
	default:
		panic("labsync: unlock of unlocked mutex")
	}
}
