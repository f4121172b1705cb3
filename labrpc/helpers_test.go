package labrpc_test

import (
	"errors"
	"log"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"pblab/labrpc"
)

// Where the rules these tests check are explained.
const (
	docCalls    = "docs/labrpc.md#calls-and-rpc-methods"
	docContract = "docs/labrpc.md#the-failure-contract"
	docFaults   = "docs/labrpc.md#faults"
	docPartit   = "docs/labrpc.md#partitions"
	docFailStop = "docs/labrpc.md#crashes-are-fail-stop"
	docEncoding = "docs/labrpc.md#encoding-the-two-classic-bugs"
	docSeeds    = "docs/labrpc.md#seeds-and-replay"
	docCleanup  = "docs/labrpc.md#cleanup"
	docCounts   = "docs/labrpc.md#counting-calls-and-bytes"
	docJournal  = "docs/labrpc.md#reading-the-journal"
	docLate     = "docs/labrpc.md#late-and-repeated-requests"
	docLinks    = "docs/labrpc.md#cut-links-and-link-delays"
	docSize     = "docs/labrpc.md#message-size"
)

// Args and Reply are the test service's messages: a little of every kind of
// value that a deep copy must not share.
type Args struct {
	N  int
	S  string
	Xs []int
	M  map[string]int
	P  *Inner
}

type Reply struct {
	N  int
	S  string
	Xs []int
	M  map[string]int
	P  *Inner
}

type Inner struct{ V int }

// Svc is the tests' service. Its handlers record what they saw.
type Svc struct {
	mu        sync.Mutex
	runs      map[int]int // args.N -> how often a handler ran for it
	total     int
	lastArgs  *Args  // kept by Keep
	lastReply *Reply // kept by Keep

	hanging chan struct{} // Hang sends on it when it starts (buffered)
	release chan struct{} // Hang returns when it is closed
}

func newSvc() *Svc {
	return &Svc{runs: map[int]int{}, hanging: make(chan struct{}, 100), release: make(chan struct{})}
}

func (s *Svc) ran(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs[n]++
	s.total++
}

// Runs returns how often a handler ran for args.N == n.
func (s *Svc) Runs(n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runs[n]
}

// Total returns how often any handler ran.
func (s *Svc) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

func fill(args *Args, reply *Reply) {
	reply.N = args.N
	reply.S = args.S
	reply.Xs = args.Xs
	reply.M = args.M
	reply.P = args.P
}

// Echo replies with its args.
func (s *Svc) Echo(args *Args, reply *Reply) {
	s.ran(args.N)
	fill(args, reply)
}

// EchoValue is Echo with args taken by value.
func (s *Svc) EchoValue(args Args, reply *Reply) {
	s.ran(args.N)
	fill(&args, reply)
}

// Keep is Echo, and keeps pointers to its args and reply.
func (s *Svc) Keep(args *Args, reply *Reply) {
	s.ran(args.N)
	fill(args, reply)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastArgs, s.lastReply = args, reply
}

// Scribble is Echo, then overwrites its args in place.
func (s *Svc) Scribble(args *Args, reply *Reply) {
	s.ran(args.N)
	reply.N, reply.S = args.N, args.S
	reply.Xs = append([]int(nil), args.Xs...)
	args.N, args.S = -1, "scribbled"
	for i := range args.Xs {
		args.Xs[i] = -1
	}
	for k := range args.M {
		args.M[k] = -1
	}
	if args.P != nil {
		args.P.V = -1
	}
}

// Fail returns an error when args.N is odd.
func (s *Svc) Fail(args *Args, reply *Reply) error {
	s.ran(args.N)
	if args.N%2 == 1 {
		return errors.New("odd")
	}
	reply.N = args.N
	return nil
}

// Hang does not return until release is closed.
func (s *Svc) Hang(args *Args, reply *Reply) {
	s.ran(args.N)
	s.hanging <- struct{}{}
	<-s.release
	reply.N = args.N
}

// Kill is not an RPC method (it has no args): AddServer ignores it.
func (s *Svc) Kill() {}

// addSvc adds a server called name made of a new Svc.
func addSvc(t *testing.T, net *labrpc.Network, name string) *Svc {
	t.Helper()
	s := newSvc()
	require.NoError(t, net.AddServer(name, s), "AddServer(%q) of a valid service must succeed (%s)", name, docCalls)
	return s
}

// logBuffer collects what labrpc writes to the standard logger.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Count returns how many log lines contain s.
func (l *logBuffer) Count(s string) int {
	return strings.Count(l.String(), s)
}

// captureLog sends the standard logger's output to a buffer until the test
// ends.
func captureLog(t *testing.T) *logBuffer {
	buf := &logBuffer{}
	old := log.Writer()
	log.SetOutput(buf)
	t.Cleanup(func() { log.SetOutput(old) })
	return buf
}
