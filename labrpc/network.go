package labrpc

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"math"
	mathrand "math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"pblab/internal/faults"
)

// Fault parameters. They are those of MIT 6.824's labrpc, so the lab's timing
// assumptions carry over.
const (
	// ShortDelay bounds the random delay of every request on an unreliable
	// network.
	ShortDelay = 27 * time.Millisecond
	// DropPercent is the share of requests, and of replies, that an
	// unreliable network loses.
	DropPercent = 10
	// FailDelay bounds how long a call that cannot be delivered takes to
	// fail.
	FailDelay = 100 * time.Millisecond
	// LongFailDelay replaces FailDelay with LongDelays(true).
	LongFailDelay = 7 * time.Second
	// HandlerTimeout is how long Call waits for a handler before it gives up
	// and returns false.
	HandlerTimeout = 10 * time.Second
)

// Late and repeated requests, with LateRequests(true).
const (
	// LateBound bounds how long after it was sent a request may arrive
	// late, or arrive again.
	LateBound = 2 * time.Second
	// LatePercent is the share of lost requests that arrive late instead.
	LatePercent = 50
	// RepeatPercent is the share of delivered requests that arrive a
	// second time.
	RepeatPercent = 10
)

// MaxMessageSize bounds the encoded size of a request or a reply. A call
// whose args or reply are bigger fails: Call returns false and says so on
// the log.
const MaxMessageSize = 32 << 20

// ErrCleanedUp is the error AddServer returns once Cleanup has ended the
// network: no server can join it.
var ErrCleanedUp = errors.New("the network has been cleaned up (Cleanup); no server can join it")

// Network is a set of named servers and the lossy links between them. All of
// its methods are safe for concurrent use.
type Network struct {
	seed  int64
	done  chan struct{} // closed by Cleanup
	codec codec

	recording atomic.Bool
	journal   journal

	// topology counts the changes to who can reach whom (crashes,
	// restarts, partitions, heals), so that a call in flight can tell
	// without taking the lock that nothing has changed since it was sent.
	topology   atomic.Uint64
	totalBytes atomic.Int64
	waiters    sync.Pool // of *waiter
	clients    tcpClients

	mu             sync.Mutex
	links          map[link]*mathrand.Rand // the fault stream of each caller-server pair
	lateLinks      map[link]*mathrand.Rand // the stream of late faults of each pair
	policy         faults.Policy           // decides each call's fate instead of links, if set
	reliable       bool
	reliableTo     map[string]bool // servers every call to which is reliable, set by ReliableTo
	longDelays     bool
	longReordering bool
	lateRequests   bool
	dialTCP        bool                     // calls to names with no server here go over TCP
	listeners      map[*tcpServer]bool      // what ServeTCP serves, until stopped
	servers        map[string]*server       // running servers by name
	epochs         map[string]int           // DeleteServer count per name; ends of an older epoch are dead
	callers        map[string]bool          // names ends were made under
	groups         map[string]int           // partition group of each listed name
	cuts           map[link]bool            // links cut by Cut
	delays         map[link]time.Duration   // delays added by LinkDelay
	counts         map[string]*atomic.Int64 // requests delivered per server name, for every name ever added
	totalCount     int
	warned         map[string]bool // log lines already printed
	callIDs        uint64
}

// MakeNetwork returns a reliable network with no servers. Its random source
// is seeded from the LABRPC_SEED environment variable if that holds an
// integer, at random otherwise.
func MakeNetwork() *Network {
	seed, ok := envSeed()
	if !ok {
		var b [8]byte
		_, _ = rand.Read(b[:])
		seed = int64(binary.LittleEndian.Uint64(b[:]) & math.MaxInt64)
	}
	return &Network{
		seed:      seed,
		done:      make(chan struct{}),
		links:     map[link]*mathrand.Rand{},
		lateLinks: map[link]*mathrand.Rand{},
		reliable:  true,
		servers:   map[string]*server{},
		epochs:    map[string]int{},
		callers:   map[string]bool{},
		cuts:      map[link]bool{},
		delays:    map[link]time.Duration{},
		counts:    map[string]*atomic.Int64{},
		warned:    map[string]bool{},
	}
}

func envSeed() (int64, bool) {
	s := strings.TrimSpace(os.Getenv("LABRPC_SEED"))
	if s == "" {
		return 0, false
	}
	seed, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		log.Printf("labrpc: ignoring LABRPC_SEED=%q: not an integer", s)
		return 0, false
	}
	return seed, true
}

// Seed returns the seed of the network's random source. Setting LABRPC_SEED
// to it makes a new network take the same fault decisions for the same
// sequence of calls.
func (n *Network) Seed() int64 { return n.seed }

// Cleanup ends the network. Calls in flight return false; later calls end
// their calling goroutine. It stops serving other processes (ServeTCP) and
// closes its connections to them. It may be called more than once.
func (n *Network) Cleanup() {
	n.mu.Lock()
	select {
	case <-n.done:
	default:
		close(n.done)
	}
	for _, srv := range n.servers {
		srv.stopLocked()
	}
	listeners := n.listeners
	n.listeners = nil
	n.mu.Unlock()
	for l := range listeners {
		l.stop()
	}
	n.clients.closeAll()
}

func (n *Network) closed() bool {
	select {
	case <-n.done:
		return true
	default:
		return false
	}
}

// Reliable sets whether the network delivers everything (true, the default)
// or delays requests and loses some requests and replies (false).
func (n *Network) Reliable(yes bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.reliable = yes
}

// ReliableTo sets whether every call to the server called name is
// reliable whatever Reliable says (true), or follows Reliable again
// (false). MIT's lab made its key/value servers unreliable, never its view
// service: a test of the key/value service on an unreliable network keeps
// the view service reliable, so that lost pings cannot make it declare a
// live server dead. The random draws of a call's fate are the same either
// way, so a seed gives the same faults to every other call.
func (n *Network) ReliableTo(name string, yes bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.reliableTo == nil {
		n.reliableTo = map[string]bool{}
	}
	n.reliableTo[name] = yes
}

// LongDelays sets whether calls that cannot be delivered take up to
// LongFailDelay to fail, instead of up to FailDelay.
func (n *Network) LongDelays(yes bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.longDelays = yes
}

// LongReordering sets whether replies may be held back long enough to
// arrive out of order.
func (n *Network) LongReordering(yes bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.longReordering = yes
}

// LateRequests sets whether requests may arrive late or twice (true), or
// never (false, the default). When on, a request the network lost may
// reach its server later after all, after its Call has returned false, and
// a delivered request may reach its server a second time; either within
// LateBound of being sent. The handler runs each time, and the reply goes
// nowhere. Such a request goes only to the server incarnation it was sent
// to, never to a server restarted since, and only if the link is up when it
// arrives.
func (n *Network) LateRequests(yes bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.lateRequests = yes
}

// AddServer starts a server called name, made of the given services. Each
// service is a pointer to a value whose RPC methods (see the package doc)
// become callable as "TypeName.Method". Adding a name that was deleted
// before is a restart. AddServer returns an error, and changes nothing, if
// the name is empty or already running, if two services share a type name,
// if a service breaks the RPC method rules, or if the network has been
// cleaned up.
func (n *Network) AddServer(name string, services ...any) error {
	_, err := n.addServer(name, services)
	return err
}

// addServer adds a server, as AddServer says, and returns it.
func (n *Network) addServer(name string, services []any) (*server, error) {
	if name == "" {
		return nil, fmt.Errorf("labrpc: AddServer: a server needs a name")
	}
	if len(services) == 0 {
		return nil, fmt.Errorf("labrpc: AddServer %q: no services given", name)
	}
	srv := &server{name: name, services: map[string]*service{}, stopped: make(chan struct{}), jobs: make(chan job)}
	for _, rcvr := range services {
		svc, err := newService(rcvr)
		if err != nil {
			return nil, fmt.Errorf("labrpc: AddServer %q: %w", name, err)
		}
		if _, dup := srv.services[svc.name]; dup {
			return nil, fmt.Errorf("labrpc: AddServer %q: two services are named %q; each service needs its own type", name, svc.name)
		}
		for _, m := range svc.methods {
			m.argCodec = n.codec.forType(m.argType)
			m.replyCodec = n.codec.forType(m.replyType)
		}
		srv.services[svc.name] = svc
	}

	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed() {
		return nil, fmt.Errorf("labrpc: AddServer %q: %w", name, ErrCleanedUp)
	}
	if _, running := n.servers[name]; running {
		return nil, fmt.Errorf("labrpc: AddServer %q: a server of that name is already running; DeleteServer it first", name)
	}
	srv.count = n.counts[name]
	restart := srv.count != nil
	if !restart {
		srv.count = new(atomic.Int64)
		n.counts[name] = srv.count
	}
	n.servers[name] = srv
	n.topology.Add(1)
	if restart {
		n.noteLocked(Event{Kind: EventRestart, From: name})
	} else {
		n.noteLocked(Event{Kind: EventStart, From: name})
	}
	return srv, nil
}

// DeleteServer crashes the server called name (fail-stop): later calls to it
// fail, replies of calls in flight to it are lost, and ends made under that
// name so far can no longer call anyone. A server of the same name may be
// added again. Deleting a name with no server only kills its ends; deleting
// a name that no server and no end ever had says so on the log, once.
func (n *Network) DeleteServer(name string) {
	n.mu.Lock()
	known := n.counts[name] != nil || n.callers[name]
	n.deleteLocked(name)
	n.mu.Unlock()
	if !known {
		n.warnOnce("delete "+name, "labrpc: DeleteServer(%q): no server of that name was ever added, and no end calls under it: nothing to crash", name)
	}
}

// Unregister crashes the server that rcvr was added as one of the services
// of, exactly as DeleteServer does, if that server is still running. It does
// nothing if rcvr's server has been deleted already, even if another server
// now runs under the same name.
func (n *Network) Unregister(rcvr any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for name, srv := range n.servers {
		for _, svc := range srv.services {
			if svc.rcvr.Interface() == rcvr {
				n.deleteLocked(name)
				return
			}
		}
	}
}

func (n *Network) deleteLocked(name string) {
	n.epochs[name]++
	n.topology.Add(1)
	if srv, ok := n.servers[name]; ok {
		srv.stopLocked()
		delete(n.servers, name)
		n.noteLocked(Event{Kind: EventCrash, From: name})
	}
}

// Partition splits the network: only names in the same group can talk to
// each other. A name listed in no group reaches everyone. A new partition
// replaces the old one. A name may be in one group only: a partition that
// lists a name in two groups is refused, with a line on the log, and the
// network stays as it was.
func (n *Network) Partition(groups ...[]string) {
	if err := checkGroups(groups); err != nil {
		log.Printf("labrpc: Partition: %v; the partition is refused, and the network stays as it was", err)
		return
	}
	typed := make([][]string, len(groups))
	parts := make([]string, len(groups))
	for i, g := range groups {
		typed[i] = slices.Clone(g)
		parts[i] = "[" + strings.Join(g, " ") + "]"
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.groups = map[string]int{}
	for i, g := range groups {
		for _, name := range g {
			n.groups[name] = i
		}
	}
	n.topology.Add(1)
	n.noteLocked(Event{Kind: EventPartition, Detail: strings.Join(parts, " | "), Info: typed})
}

// checkGroups explains why groups are not a partition, if they are not:
// a name is listed in two of them.
func checkGroups(groups [][]string) error {
	first := map[string]int{}
	for i, g := range groups {
		for _, name := range g {
			if j, seen := first[name]; seen && j != i {
				return fmt.Errorf("%q is in group %d and in group %d, but a name may be in one group only", name, j+1, i+1)
			}
			first[name] = i
		}
	}
	return nil
}

// Heal ends the partition and mends every cut link: every name reaches
// every other again. Link delays stay.
func (n *Network) Heal() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.groups = nil
	clear(n.cuts)
	n.topology.Add(1)
	n.noteLocked(Event{Kind: EventHeal})
}

// Cut cuts the link from the name from to the server called to, in that
// direction only: calls made under from to that server fail as if the two
// were partitioned apart (the request never arrives; the reply of a call in
// flight is lost), while calls the other way, and every other link, still
// work. Cutting both directions takes two cuts:
//
//	net.Cut("s1", "vs") // s1 cannot reach the view service, and still reaches s2
//	net.Cut("p", "b")   // p and b are cut apart; both still reach everyone else
//	net.Cut("b", "p")
//
// A cut stays until Mend or Heal, across crashes and restarts of either
// name.
func (n *Network) Cut(from, to string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := link{from, to}
	if n.cuts[l] {
		return
	}
	n.cuts[l] = true
	n.topology.Add(1)
	n.noteLocked(Event{Kind: EventCut, From: from, To: to})
}

// Mend undoes Cut(from, to); it does nothing if that link is not cut.
func (n *Network) Mend(from, to string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := link{from, to}
	if !n.cuts[l] {
		return
	}
	delete(n.cuts, l)
	n.topology.Add(1)
	n.noteLocked(Event{Kind: EventMend, From: from, To: to})
}

// LinkDelay adds d to the travel time of every request sent from now on
// under the name from to the server called to, on top of the network's own
// delays; d = 0 removes the delay. Other links, the other direction
// included, are not delayed. A negative d is refused with a line on the
// log. Heal does not remove delays.
func (n *Network) LinkDelay(from, to string, d time.Duration) {
	if d < 0 {
		log.Printf("labrpc: LinkDelay(%q, %q, %v): a delay cannot be negative; the link is left as it was", from, to, d)
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	l := link{from, to}
	if n.delays[l] == d {
		return
	}
	if d == 0 {
		delete(n.delays, l)
	} else {
		n.delays[l] = d
	}
	n.noteLocked(Event{Kind: EventLinkDelay, From: from, To: to, Detail: d.String(), Info: d})
}

// connectedLocked reports whether a and b can talk under the partition.
func (n *Network) connectedLocked(a, b string) bool {
	ga, okA := n.groups[a]
	gb, okB := n.groups[b]
	return !okA || !okB || ga == gb
}

// GetCount returns how many requests have been delivered to handlers of
// servers called name, across restarts: dropped requests do not count,
// requests whose reply was lost do. It returns 0 for a name never added.
func (n *Network) GetCount(name string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if c := n.counts[name]; c != nil {
		return int(c.Load())
	}
	return 0
}

// GetTotalCount returns how many calls have been made on the network,
// including those that failed.
func (n *Network) GetTotalCount() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.totalCount
}

// GetTotalBytes returns the encoded size of every request sent plus every
// reply delivered.
func (n *Network) GetTotalBytes() int64 {
	return n.totalBytes.Load()
}

// MakeEnd returns an end for making calls under the given name, the caller's
// identity for partitions and crashes. The empty name is an anonymous caller,
// in no partition group and never crashed.
func (n *Network) MakeEnd(name string) *ClientEnd {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.callers[name] = true
	return &ClientEnd{net: n, name: name, epoch: n.epochs[name]}
}

// warnOnce prints a log line the first time key is seen on this network.
func (n *Network) warnOnce(key, format string, args ...any) {
	n.mu.Lock()
	seen := n.warned[key]
	n.warned[key] = true
	n.mu.Unlock()
	if !seen {
		log.Printf(format, args...)
	}
}

// wait sleeps for d, or until Cleanup. It reports whether the network is
// still up.
func (n *Network) wait(d time.Duration) bool {
	if d <= 0 {
		return !n.closed()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-n.done:
		return false
	}
}
