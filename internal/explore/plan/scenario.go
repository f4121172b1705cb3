package plan

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// A Scenario is one run of Part B: servers, clients with their operations,
// and a schedule of faults in virtual time. It is what the generator
// draws, the shrinker cuts down, and a replay file holds.
//
// The servers start within the first PingInterval (s1 first), and the view
// service runs from before; clients start after Warmup. Faults happen between Warmup and
// Calm; at Calm every fault is undone (partitions heal, crashed servers
// restart, the network is reliable again), and from then on every
// operation must complete within LivenessBound.
type Scenario struct {
	Seed    int64 `json:"seed"`    // seeds the network's faults and nothing else
	Servers int   `json:"servers"` // s1 ... sN
	// Starts are the times the servers start, in order, each within the
	// first PingInterval, so that they do not all ping at the same
	// instants.
	Starts  []Duration `json:"starts,omitempty"`
	Calm    Duration   `json:"calm"`    // when the faults stop
	Clients []Client   `json:"clients"` // c1, c2, ...
	Faults  []Fault    `json:"faults"`
}

// Warmup is when clients may start and faults may begin: the servers have
// formed a view with a primary and a backup by then.
const Warmup = time.Second

// LivenessBound is how long, once the faults have stopped (or from its
// call, if later), any operation may take. After Calm the network is
// reliable, every server runs and no partition remains; what a correct
// service may still have to wait out is a reply held back by a fault
// before Calm (at most MaxHold), the view service noticing a dead or
// restarted server (DeadPings+1 ping intervals), a state transfer, and a
// clerk's pause between tries: about two seconds in all. Five seconds is
// more than twice that, and half of labrpc's HandlerTimeout, which is what
// ends two servers waiting on each other's locks.
const LivenessBound = 5 * time.Second

// StopIssuing is how long after Calm a client may still start an
// operation: later operations are not issued.
const StopIssuing = time.Second

// PingInterval is the view service's PingInterval, which scenarios are
// timed by.
const PingInterval = 100 * time.Millisecond

// MaxHold bounds how long the network holds a reply back during a
// reordering fault.
const MaxHold = time.Second

// MaxLinkDelay bounds the delay of a link (FaultDelay).
const MaxLinkDelay = 400 * time.Millisecond

// A Client runs its operations one after another, each after a pause.
type Client struct {
	Start Duration `json:"start"`
	Ops   []Op     `json:"ops"`
}

// An Op is one operation of a client.
type Op struct {
	Kind  string   `json:"kind"` // "get", "put" or "append"
	Key   string   `json:"key"`
	Value string   `json:"value,omitempty"`
	Pause Duration `json:"pause,omitempty"` // before the operation
}

// The kinds of operation.
const (
	OpGet    = "get"
	OpPut    = "put"
	OpAppend = "append"
)

// A Fault is one fault: from At, for For (at most until Calm).
type Fault struct {
	Kind string   `json:"kind"`
	At   Duration `json:"at"`
	For  Duration `json:"for"`
	// Target is the server the fault is about: a name ("s2"), or the
	// role it holds when the fault starts ("primary", "backup"), read from
	// the view service then.
	Target string `json:"target,omitempty"`
	// Peer is the other end of a link fault: a server, a role or "vs".
	Peer string `json:"peer,omitempty"`
	// With lists the names that stay on the target's side of a partition
	// (clients, say).
	With []string `json:"with,omitempty"`
	// Delay is a link's delay (FaultDelay).
	Delay Duration `json:"delay,omitempty"`
	// On, if set to OnNextView, makes the fault wait, from At, for the
	// next new view: it starts After the first message that carries a
	// view newer than any before, and its roles are read then.
	On    string   `json:"on,omitempty"`
	After Duration `json:"after,omitempty"`
}

// OnNextView is Fault.On for a fault that starts with the next new view.
const OnNextView = "next view"

// The kinds of fault.
const (
	FaultCrash     = "crash"     // the target crashes, and restarts (empty) after For
	FaultPartition = "partition" // the target, and With, are cut off from everyone else
	FaultCutVS     = "cut-vs"    // the target and the view service cannot reach each other; all else works
	FaultCut       = "cut"       // messages from the target to Peer are lost; the other way works
	FaultLossy     = "lossy"     // the network loses and delays messages, as labrpc's Reliable(false)
	FaultReorder   = "reorder"   // replies are held back, up to MaxHold, so they arrive out of order
	FaultDelay     = "delay"     // messages from the target to Peer take Delay
	FaultLate      = "late"      // requests may arrive late (after their call failed) or twice
)

// VSName is the name of a scenario's view service.
const VSName = "vs"

// ServerName is the name of server i (from 0): s1, s2, ...
func ServerName(i int) string { return fmt.Sprintf("s%d", i+1) }

// ClientName is the name of client i (from 0): c1, c2, ...
func ClientName(i int) string { return fmt.Sprintf("c%d", i+1) }

// Events counts a scenario's faults and operations: the size the shrinker
// makes smaller.
func (s *Scenario) Events() int {
	n := len(s.Faults)
	for _, c := range s.Clients {
		n += len(c.Ops)
	}
	return n
}

// clone returns a deep copy of s.
func (s *Scenario) Clone() *Scenario {
	c := *s
	c.Starts = slices.Clone(s.Starts)
	c.Clients = make([]Client, len(s.Clients))
	for i, cl := range s.Clients {
		c.Clients[i] = Client{Start: cl.Start, Ops: slices.Clone(cl.Ops)}
	}
	c.Faults = make([]Fault, len(s.Faults))
	for i, f := range s.Faults {
		f.With = slices.Clone(f.With)
		c.Faults[i] = f
	}
	return &c
}

// String describes a scenario in a few lines.
func (s *Scenario) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s, %s, %s, calm at %v (seed %d)",
		count(s.Servers, "server"), count(len(s.Clients), "client"), count(s.Events()-len(s.Faults), "operation"),
		count(len(s.Faults), "fault"), time.Duration(s.Calm), s.Seed)
	for _, f := range s.Faults {
		fmt.Fprintf(&b, "\n  %s", f)
	}
	for i, c := range s.Clients {
		fmt.Fprintf(&b, "\n  %s from %v:", ClientName(i), time.Duration(c.Start))
		for _, op := range c.Ops {
			fmt.Fprintf(&b, " %s", op)
		}
	}
	return b.String()
}

func (f Fault) String() string {
	at := fmt.Sprintf("at %v for %v", time.Duration(f.At), time.Duration(f.For))
	if f.On == OnNextView {
		at = fmt.Sprintf("%v after the first new view after %v, for %v", time.Duration(f.After), time.Duration(f.At), time.Duration(f.For))
	}
	switch f.Kind {
	case FaultCrash:
		return fmt.Sprintf("%s: %s crashes, and restarts", at, f.Target)
	case FaultPartition:
		if len(f.With) > 0 {
			return fmt.Sprintf("%s: %s and %s are cut off from everyone else", at, f.Target, strings.Join(f.With, ", "))
		}
		return fmt.Sprintf("%s: %s is cut off from everyone", at, f.Target)
	case FaultCutVS:
		return fmt.Sprintf("%s: %s and the view service cannot reach each other", at, f.Target)
	case FaultCut:
		return fmt.Sprintf("%s: messages from %s to %s are lost", at, f.Target, f.Peer)
	case FaultLossy:
		return fmt.Sprintf("%s: the network loses and delays messages", at)
	case FaultReorder:
		return fmt.Sprintf("%s: replies are held back and reordered", at)
	case FaultDelay:
		return fmt.Sprintf("%s: messages from %s to %s take %v", at, f.Target, f.Peer, time.Duration(f.Delay))
	case FaultLate:
		return fmt.Sprintf("%s: requests arrive late, or twice", at)
	}
	return fmt.Sprintf("%s: %s", at, f.Kind)
}

func (op Op) String() string {
	if op.Kind == OpGet {
		return fmt.Sprintf("get(%s)", op.Key)
	}
	return fmt.Sprintf("%s(%s, %q)", op.Kind, op.Key, op.Value)
}

// The keys clients use: Puts and Gets on PutKeys, Appends (and Gets) on
// AppendKeys, so that the exactly-once check reads each Append's token in
// a value no Put overwrites.
var (
	PutKeys    = []string{"k0", "k1", "k2"}
	AppendKeys = []string{"a0", "a1"}
)

// Generate draws a scenario from seed. servers is 2 to 4, or 0 for a
// random number in that range; faults lists the kinds of fault to draw
// from, every kind if it is empty.
func Generate(seed int64, servers int, faults []string) *Scenario {
	r := rand.New(rand.NewPCG(uint64(seed), 0x736365))
	if servers == 0 {
		servers = 2 + r.IntN(3)
	}
	s := &Scenario{
		Seed:    seed,
		Servers: servers,
		Calm:    between(r, Warmup+2*time.Second, Warmup+5*time.Second),
	}
	s.Starts = make([]Duration, servers)
	for i := 1; i < servers; i++ {
		s.Starts[i] = between(r, 0, PingInterval)
	}
	slices.Sort(s.Starts)
	for c := range 1 + r.IntN(5) {
		s.Clients = append(s.Clients, generateClient(r, c))
	}
	for range 1 + r.IntN(5) {
		s.Faults = append(s.Faults, generateFault(r, s, faults))
	}
	slices.SortStableFunc(s.Faults, func(a, b Fault) int { return int(a.At - b.At) })
	return s
}

func randDuration(r *rand.Rand, max time.Duration) time.Duration {
	return time.Duration(r.Int64N(int64(max) + 1))
}

// between draws a duration in [lo, hi], rounded to the millisecond.
func between(r *rand.Rand, lo, hi time.Duration) Duration {
	return Duration((lo + randDuration(r, hi-lo)).Round(time.Millisecond))
}

func generateClient(r *rand.Rand, c int) Client {
	cl := Client{Start: between(r, Warmup, Warmup+500*time.Millisecond)}
	for n := range 3 + r.IntN(10) {
		op := Op{Pause: between(r, 0, 250*time.Millisecond)}
		switch x := r.IntN(10); {
		case x < 4:
			op.Kind = OpGet
			op.Key = pick(r, append(slices.Clone(PutKeys), AppendKeys...))
		case x < 6:
			op.Kind, op.Key = OpPut, pick(r, PutKeys)
			op.Value = fmt.Sprintf("%s.%d", ClientName(c), n)
		default:
			op.Kind, op.Key = OpAppend, pick(r, AppendKeys)
			op.Value = fmt.Sprintf("[%s.%d]", ClientName(c), n)
		}
		cl.Ops = append(cl.Ops, op)
	}
	return cl
}

func pick(r *rand.Rand, from []string) string { return from[r.IntN(len(from))] }

// A FaultWeight is a kind of fault and how often the generator draws it,
// against the others.
type FaultWeight struct {
	Kind   string
	Weight int
}

// FaultKinds lists the kinds of fault the generator draws.
var FaultKinds = []FaultWeight{
	{FaultCrash, 4}, {FaultPartition, 3}, {FaultCutVS, 2}, {FaultCut, 2},
	{FaultLossy, 2}, {FaultReorder, 1}, {FaultDelay, 2}, {FaultLate, 2},
}

// drawKind draws a kind of fault among allowed (every kind if empty), by
// weight.
func drawKind(r *rand.Rand, allowed []string) string {
	total := 0
	for _, k := range FaultKinds {
		if len(allowed) == 0 || slices.Contains(allowed, k.Kind) {
			total += k.Weight
		}
	}
	x := r.IntN(max(total, 1))
	for _, k := range FaultKinds {
		if len(allowed) == 0 || slices.Contains(allowed, k.Kind) {
			if x < k.Weight {
				return k.Kind
			}
			x -= k.Weight
		}
	}
	return FaultCrash
}

// generateFault draws one fault of s, of one of the allowed kinds, between
// Warmup and Calm.
func generateFault(r *rand.Rand, s *Scenario, allowed []string) Fault {
	calm := time.Duration(s.Calm)
	f := Fault{At: between(r, Warmup, calm-100*time.Millisecond), Kind: drawKind(r, allowed)}
	target := func() string {
		switch x := r.IntN(4); {
		case x < 2:
			return "primary" // the interesting case, half the time
		case x < 3:
			return "backup"
		default:
			return ServerName(r.IntN(s.Servers))
		}
	}
	switch f.Kind {
	case FaultCrash:
		f.Target = target()
		if r.IntN(2) == 0 {
			f.For = between(r, 10*time.Millisecond, 150*time.Millisecond) // back before anyone notices
		} else {
			f.For = between(r, 600*time.Millisecond, 2*time.Second)
		}
	case FaultPartition:
		f.Target = target()
		f.For = between(r, 300*time.Millisecond, 2*time.Second)
		for c := range s.Clients {
			if r.IntN(3) == 0 {
				f.With = append(f.With, ClientName(c))
			}
		}
	case FaultCutVS:
		f.Target = target()
		f.For = between(r, 300*time.Millisecond, 2*time.Second)
	case FaultCut:
		f.Target, f.Peer = target(), peer(r, s)
		f.For = between(r, 300*time.Millisecond, 2*time.Second)
	case FaultLossy, FaultLate:
		f.For = between(r, 500*time.Millisecond, 3*time.Second)
	case FaultReorder:
		f.For = between(r, 500*time.Millisecond, 2*time.Second)
	case FaultDelay:
		f.Target, f.Peer = target(), peer(r, s)
		f.For = between(r, 300*time.Millisecond, 2*time.Second)
		f.Delay = between(r, 20*time.Millisecond, MaxLinkDelay)
	}
	if r.IntN(10) < 3 {
		f.On = OnNextView
		if r.IntN(2) == 0 {
			f.After = between(r, 0, 80*time.Millisecond)
		}
	}
	f.For = min(f.For, Duration(calm)-f.At)
	return f
}

// CheckFaultKinds returns an error naming the first of kinds that is not a
// kind of fault.
func CheckFaultKinds(kinds []string) error {
	for _, k := range kinds {
		if !slices.ContainsFunc(FaultKinds, func(f FaultWeight) bool { return f.Kind == k }) {
			var all []string
			for _, f := range FaultKinds {
				all = append(all, f.Kind)
			}
			return fmt.Errorf("explore: %q is not a kind of fault; the kinds are %s", k, strings.Join(all, ", "))
		}
	}
	return nil
}

// peer draws the other end of a link fault.
func peer(r *rand.Rand, s *Scenario) string {
	switch x := r.IntN(4); {
	case x == 0:
		return VSName
	case x == 1:
		return "backup"
	case x == 2:
		return "primary"
	default:
		return ServerName(r.IntN(s.Servers))
	}
}

// count writes "1 fault", "2 faults".
func count(n int, noun string) string {
	if n != 1 {
		noun += "s"
	}
	return fmt.Sprintf("%d %s", n, noun)
}
