package pbservice

// The explorer's way into Part B (go run ./grading explore -part B,
// docs/explore.md): TestExplorePB runs random fault schedules when the
// explorer asks for it, and skips otherwise; replayExplored replays a
// scenario the explorer found, as a test of its own.

import (
	"testing"

	"pblab/internal/explore"
	"pblab/labrpc"
	"pblab/viewservice"
)

// exploredSystem is this package, as the explorer runs it.
type exploredSystem struct{}

func (exploredSystem) StartViewService(net *labrpc.Network, name string) func() {
	return viewservice.StartServer(net, name).Kill
}

func (exploredSystem) StartServer(net *labrpc.Network, vs, name string) func() {
	return StartServer(net, vs, name).Kill
}

func (exploredSystem) MakeClerk(net *labrpc.Network, vs, name string) explore.Clerk {
	return MakeClerk(net, vs, name)
}

func (exploredSystem) CurrentView(net *labrpc.Network, vs string) (explore.View, bool) {
	v, ok := viewservice.MakeClerk(net, "", vs).Get()
	return explore.View(v), ok
}

func (exploredSystem) NewCore(me string) explore.Core {
	return &exploredCore{s: newPBState(me)}
}

func (exploredSystem) Describe(_ string, msg any) any {
	switch m := msg.(type) {
	case viewservice.PingArgs:
		return explore.PingFact{Me: m.Me, Viewnum: m.Viewnum}
	case viewservice.PingReply:
		return explore.View(m.View)
	case viewservice.GetReply:
		return explore.View(m.View)
	case GetReply:
		return explore.Answer{Err: string(m.Err)}
	case PutAppendReply:
		return explore.Answer{Err: string(m.Err)}
	case ForwardReply:
		return explore.Answer{Err: string(m.Err)}
	case TransferReply:
		return explore.Answer{Err: string(m.Err)}
	}
	return nil
}

// exploredCore is a pbState as the explorer drives it.
type exploredCore struct{ s pbState }

func (c *exploredCore) CurrentView() explore.View { return explore.View(c.s.currentView()) }
func (c *exploredCore) PingViewnum() uint         { return c.s.pingViewnum() }
func (c *exploredCore) HandleView(v explore.View) { c.s.handleView(viewservice.View(v)) }
func (c *exploredCore) NeedsTransfer() bool       { return c.s.needsTransfer() }
func (c *exploredCore) HandleForward(args any) string {
	return string(c.s.handleForward(args.(*ForwardArgs)))
}
func (c *exploredCore) HandleTransfer(args any) string {
	return string(c.s.handleTransfer(args.(*TransferArgs)))
}
func (c *exploredCore) State() any { return &c.s }

func (c *exploredCore) StartOp(op explore.CoreOp) explore.CoreStep {
	st := c.s.startOp(Op(op))
	return explore.CoreStep{Done: st.done, Value: st.value, Status: string(st.status), Backup: st.backup, Forward: &st.forward, Step: st}
}

func (c *exploredCore) FinishOp(step explore.CoreStep, backupStatus string) (string, string) {
	value, status := c.s.finishOp(step.Step.(opStep), Err(backupStatus))
	return value, string(status)
}

func (c *exploredCore) StateToSend() (string, any, bool) {
	backup, args, ok := c.s.stateToSend()
	return backup, &args, ok
}

func (c *exploredCore) TransferDone(args any, backupStatus string) {
	c.s.transferDone(args.(*TransferArgs), Err(backupStatus))
}

// TestExplorePB is the Part B explorer. It runs only when
// go run ./grading explore asks for it.
func TestExplorePB(t *testing.T) {
	explore.ExplorePB(t, exploredSystem{})
}

// checkCoreEvents applies events, a sequence the explorer's exhaustive
// check of pbState wrote (JSON), to new pbStates, and fails t with the
// first rule they break. The test the explorer writes for such a
// counterexample calls it.
func checkCoreEvents(t *testing.T, events string) {
	t.Helper()
	explore.CoreEventsTest(t, exploredSystem{}.NewCore, events)
}

// replayExplored runs scenario, a Part B scenario as the explorer writes
// it (JSON), and fails t with the first rule the run breaks. The test the
// explorer writes for a counterexample calls it.
func replayExplored(t *testing.T, scenario string) {
	t.Helper()
	explore.ScenarioTest(t, exploredSystem{}, scenario)
}

// A service that follows the rules passes the explorer's checks on a small
// scenario with a crash and a partition: the replay that the explorer's
// tests are made of works.
func TestExploreReplaysAScenario(t *testing.T) {
	replayExplored(t, `{"seed": 7, "servers": 3, "starts": ["0s", "30ms", "60ms"], "calm": "3s",
		"clients": [{"start": "1s", "ops": [
			{"kind": "put", "key": "k0", "value": "x"},
			{"kind": "append", "key": "a0", "value": "[c1.1]", "pause": "200ms"},
			{"kind": "get", "key": "k0", "pause": "900ms"}]}],
		"faults": [
			{"kind": "crash", "at": "1.1s", "for": "50ms", "target": "backup"},
			{"kind": "partition", "at": "1.5s", "for": "800ms", "target": "primary", "with": ["c1"]}]}`)
}

// A core that follows the rules passes the explorer's checks on a sequence
// of its exhaustive check: a transfer, a forward, and a Get.
func TestExploreReplaysCoreEvents(t *testing.T) {
	checkCoreEvents(t, `[
		{"kind": "view", "view": {"Viewnum": 1, "Primary": "s1"}},
		{"kind": "ping"}, {"kind": "ping"},
		{"kind": "view", "view": {"Viewnum": 2, "Primary": "s1", "Backup": "s2"}},
		{"kind": "ping"}, {"kind": "transfer"}, {"kind": "deliver"}, {"kind": "deliver"},
		{"kind": "send"}, {"kind": "deliver"}, {"kind": "deliver"}, {"kind": "deliver"},
		{"kind": "send", "client": 1}, {"kind": "deliver"}, {"kind": "deliver"}, {"kind": "deliver"}]`)
}

// BenchmarkExploreScenarios measures the explorer's throughput on Part B:
// random scenarios (about 10 s of virtual time each) run per second.
//
//	go test -run '^$' -bench ExploreScenarios -benchtime 500x ./pbservice
func BenchmarkExploreScenarios(b *testing.B) {
	explore.BenchmarkScenarios(b, exploredSystem{})
}

// BenchmarkExploreCore measures the exhaustive check of pbState: states
// seen per second.
func BenchmarkExploreCore(b *testing.B) {
	explore.BenchmarkCoreStates(b, exploredSystem{}.NewCore)
}
