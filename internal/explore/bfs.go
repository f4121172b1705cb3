package explore

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The breadth-first search that Part A's check and the core's share. A
// state is the path of events that leads to it from the root; the search
// goes level by level, so the first violation it meets is at the shortest
// depth there is. Each level's states are expanded by several workers at
// once, each with its own expand function (and so its own encoder and
// scratch space); the set of states seen is shared.

// An expandFunc expands the state that path leads to: it applies each
// event possible there to a copy, checks the rules, and calls visit with
// the event and the identity (a fingerprint) of the state it leads to.
// visit reports whether that state is new; the function may then check
// more of it. It returns the first violation it meets, which stops the
// search.
type expandFunc[E, V any] func(path []E, visit func(e E, key uint64) bool) *V

// A bfsNode is one state of the search, as the event that led to it from
// its parent; the root is nil.
type bfsNode[E any] struct {
	parent *bfsNode[E]
	event  E
	depth  int
}

// path returns the events from the root to n.
func (n *bfsNode[E]) path() []E {
	if n == nil {
		return nil
	}
	events := make([]E, n.depth)
	for p := n; p != nil; p = p.parent {
		events[p.depth-1] = p.event
	}
	return events
}

// A bfs says how to search.
type bfs struct {
	Workers  int       // expanders at once; 0: GOMAXPROCS
	Deadline time.Time // the zero time for none
	MaxDepth int       // 0 for no bound
	// MaxStates stops the search once it has seen this many states; 0
	// for no bound.
	MaxStates int
	// Progress, if set, is called about once a second with the depth
	// being tried and the states seen so far.
	Progress func(depth, states int)
}

// A bfsOutcome is what a search found.
type bfsOutcome[V any] struct {
	Depth     int  // every path of at most Depth events was tried
	States    int  // distinct states seen, the root included
	Exhausted bool // every reachable state was seen
	Violation *V
}

// visitedSet is the set of states seen, in shards so that workers seldom
// wait for each other.
type visitedSet struct {
	shards [64]struct {
		sync.Mutex
		m map[uint64]struct{}
	}
}

func newVisitedSet() *visitedSet {
	v := &visitedSet{}
	for i := range v.shards {
		v.shards[i].m = map[uint64]struct{}{}
	}
	return v
}

// add adds key, and reports whether it was new.
func (v *visitedSet) add(key uint64) bool {
	s := &v.shards[key%uint64(len(v.shards))]
	s.Lock()
	defer s.Unlock()
	if _, seen := s.m[key]; seen {
		return false
	}
	s.m[key] = struct{}{}
	return true
}

// runBFS searches from the root, whose identity is rootKey, with one
// expand function per worker from newExpand.
func runBFS[E, V any](cfg bfs, rootKey uint64, newExpand func() expandFunc[E, V]) (out bfsOutcome[V]) {
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	expanders := make([]expandFunc[E, V], workers)
	for i := range expanders {
		expanders[i] = newExpand()
	}
	visited := newVisitedSet()
	visited.add(rootKey)
	var states atomic.Int64
	states.Store(1)
	var depthNow atomic.Int64
	stopProgress := make(chan struct{})
	if cfg.Progress != nil {
		go func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-stopProgress:
					return
				case <-t.C:
					cfg.Progress(int(depthNow.Load()), int(states.Load()))
				}
			}
		}()
	}
	defer close(stopProgress)
	defer func() { out.States = int(states.Load()) }()

	expired := func() bool {
		return !cfg.Deadline.IsZero() && time.Now().After(cfg.Deadline) ||
			cfg.MaxStates > 0 && states.Load() >= int64(cfg.MaxStates)
	}
	frontier := []*bfsNode[E]{nil}
	for depth := 0; len(frontier) > 0; depth++ {
		out.Depth = depth
		if cfg.MaxDepth > 0 && depth >= cfg.MaxDepth {
			return out
		}
		depthNow.Store(int64(depth + 1))
		var (
			next      = make([][]*bfsNode[E], workers)
			taken     atomic.Int64
			stop      atomic.Bool
			mu        sync.Mutex
			violation *V
			wg        sync.WaitGroup
		)
		for w := range workers {
			wg.Go(func() {
				for !stop.Load() {
					i := int(taken.Add(1)) - 1
					if i >= len(frontier) {
						return
					}
					if expired() {
						stop.Store(true)
						return
					}
					node := frontier[i]
					visit := func(e E, key uint64) bool {
						if !visited.add(key) {
							return false
						}
						states.Add(1)
						next[w] = append(next[w], &bfsNode[E]{parent: node, event: e, depth: depth + 1})
						return true
					}
					if v := expanders[w](node.path(), visit); v != nil {
						mu.Lock()
						if violation == nil {
							violation = v
						}
						mu.Unlock()
						stop.Store(true)
					}
				}
			})
		}
		wg.Wait()
		if violation != nil {
			out.Violation = violation
			return out
		}
		if expired() {
			return out
		}
		frontier = frontier[:0:0]
		for _, n := range next {
			frontier = append(frontier, n...)
		}
		out.Depth = depth + 1
	}
	out.Exhausted = true
	return out
}
