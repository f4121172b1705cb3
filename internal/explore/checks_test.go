package explore

import (
	"pblab/internal/explore/plan"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/diagram"
	"pblab/labrpc"
)

// A journal builds the journal of a made-up run, one event at a time, each
// at the given time since the run's start.
type journal struct {
	start  time.Time
	events []labrpc.Event
	calls  uint64
}

func newJournal() *journal { return &journal{start: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (j *journal) at(ms int) time.Time { return j.start.Add(time.Duration(ms) * time.Millisecond) }

func (j *journal) add(ms int, kind labrpc.EventKind, call uint64, from, to, method string, info any) {
	j.events = append(j.events, labrpc.Event{Time: j.at(ms), Kind: kind, Call: call, From: from, To: to, Method: method, Info: info})
}

// call records a call from -> to that is sent at sent, and replied to at
// replied (with info as the reply's fact); replied < 0 leaves it in flight.
func (j *journal) call(sent, replied int, from, to, method string, args, reply any) {
	j.calls++
	j.add(sent, labrpc.EventSend, j.calls, from, to, method, args)
	if replied >= 0 {
		j.add(replied, labrpc.EventDeliver, j.calls, from, to, method, nil)
		j.add(replied, labrpc.EventReply, j.calls, from, to, method, reply)
	}
}

// ping records server's ping with viewnum, answered with v.
func (j *journal) ping(ms int, server string, viewnum uint, v View) {
	j.call(ms, ms, server, plan.VSName, methodPing, PingFact{Me: server, Viewnum: viewnum}, diagram.View(v))
}

func (j *journal) server(ms int, kind labrpc.EventKind, name string) {
	j.add(ms, kind, 0, name, "", "", nil)
}

func (j *journal) record(servers, end int) *record {
	return &record{
		sc:      &plan.Scenario{Servers: servers},
		start:   j.start,
		end:     j.at(end),
		journal: labrpc.Journal{Events: j.events},
	}
}

var (
	view1 = View{Viewnum: 1, Primary: "s1"}
	view2 = View{Viewnum: 2, Primary: "s1", Backup: "s2"}
	view3 = View{Viewnum: 3, Primary: "s2"}
)

func TestServable(t *testing.T) {
	j := newJournal()
	j.ping(100, "s1", 0, view1)
	ok, why := servable(j.record(2, 200))
	assert.True(t, ok, "the first primary holds the (empty) state: %s", why)

	j.ping(200, "s2", 0, view2)
	j.ping(300, "s1", 1, view2)
	j.call(300, 300, "s1", "s2", methodTransfer, nil, Answer{Err: answerOK})
	j.ping(400, "s1", 2, view2)
	j.server(500, labrpc.EventCrash, "s1")
	ok, why = servable(j.record(2, 600))
	assert.True(t, ok, "the backup took the state, and the primary acked: the backup can take over: %s", why)

	j.ping(1200, "s2", 2, view3)
	j.server(1300, labrpc.EventCrash, "s2")
	ok, why = servable(j.record(2, 1400))
	assert.False(t, ok, "both servers that held the state crashed: the service may wait for good (%s)", why)
}

func TestServableIgnoresTheEnd(t *testing.T) {
	j := newJournal()
	j.ping(100, "s1", 0, view1)
	j.server(900, labrpc.EventCrash, "s1") // the run's own teardown
	ok, why := servable(j.record(1, 900))
	assert.True(t, ok, "the crashes that end a run are not faults: %s", why)
}

func TestMutualWait(t *testing.T) {
	j := newJournal()
	j.call(1000, 11000, "s1", "s2", "PBServer.Forward", nil, Answer{Err: answerOK})
	j.call(1100, 11100, "s2", "s1", "PBServer.Transfer", nil, Answer{Err: answerOK})
	assert.Contains(t, mutualWait(j.record(2, 20000)), "s1 and s2 waited on each other", "two long calls in opposite directions at once are a mutual wait")

	j = newJournal()
	j.call(1000, 11000, "s1", "s2", "PBServer.Forward", nil, Answer{Err: answerOK})
	j.call(1100, 1200, "s2", "s1", "PBServer.Transfer", nil, Answer{Err: answerOK})
	assert.Empty(t, mutualWait(j.record(2, 20000)), "one long call is no mutual wait")
}

func TestCheckKill(t *testing.T) {
	j := newJournal()
	j.server(1000, labrpc.EventCrash, "s1")
	j.call(1000+int(killGrace/time.Millisecond)-10, -1, "s1", plan.VSName, methodPing, nil, nil)
	v, _ := checkKill(j.record(1, 5000))
	assert.Nil(t, v, "a tick already under way may still ping once, soon after Kill")

	j.call(1000+int(killGrace/time.Millisecond)+10, -1, "s1", "s2", "PBServer.Forward", nil, nil)
	v, _ = checkKill(j.record(1, 5000))
	require.NotNil(t, v, "a call long after Kill means a goroutine of the server survived it")
	assert.Equal(t, ruleKill.kind, v.rule.kind)

	j = newJournal()
	j.server(1000, labrpc.EventCrash, "s1")
	j.server(1050, labrpc.EventRestart, "s1")
	j.call(3000, -1, "s1", plan.VSName, methodPing, nil, nil)
	v, _ = checkKill(j.record(1, 5000))
	assert.Nil(t, v, "a restarted server calls as a new server")
}

func TestCheckAckAfterTransfer(t *testing.T) {
	j := newJournal()
	j.ping(100, "s1", 0, view1)
	j.ping(200, "s1", 1, view2)
	j.ping(300, "s1", 2, view2)
	v, _ := checkAckAfterTransfer(j.record(2, 400))
	require.NotNil(t, v, "s1 acked view 2 without sending its backup the state")
	assert.Equal(t, ruleAcked.kind, v.rule.kind)

	j = newJournal()
	j.ping(100, "s1", 0, view1)
	j.ping(200, "s1", 1, view2)
	j.call(250, 250, "s1", "s2", methodTransfer, nil, Answer{Err: answerOK})
	j.ping(300, "s1", 2, view2)
	v, _ = checkAckAfterTransfer(j.record(2, 400))
	assert.Nil(t, v, "s1 acked view 2 after its backup took the state")
}

func TestCheckSafety(t *testing.T) {
	j := newJournal()
	j.ping(100, "s1", 0, view1)
	j.ping(200, "s2", 0, view2)
	j.call(300, 300, "c1", "s2", methodGet, nil, Answer{Err: answerOK})
	v, _ := checkSafety(j.record(2, 400))
	require.NotNil(t, v, "a backup answered a client")
	assert.Equal(t, ruleSafety.kind, v.rule.kind)

	j = newJournal()
	j.ping(100, "s1", 0, view1)
	j.call(300, 300, "c1", "s1", methodGet, nil, Answer{Err: answerOK})
	j.call(310, 310, "c1", "s2", methodGet, nil, Answer{Err: "ErrWrongServer"})
	v, _ = checkSafety(j.record(2, 400))
	assert.Nil(t, v, "the primary answered, and the backup refused")

	// The primary answers, and crashes at the same instant: the journal
	// may write the crash before the reply, which still belongs to the
	// life that took the request.
	j = newJournal()
	j.ping(100, "s1", 0, view1)
	j.calls++
	j.add(300, labrpc.EventSend, j.calls, "c1", "s1", methodPut, nil)
	j.add(300, labrpc.EventDeliver, j.calls, "c1", "s1", methodPut, nil)
	j.server(300, labrpc.EventCrash, "s1")
	j.add(300, labrpc.EventReply, j.calls, "c1", "s1", methodPut, Answer{Err: answerOK})
	v, _ = checkSafety(j.record(2, 400))
	assert.Nil(t, v, "a reply journaled after its server's crash belongs to the life that answered")
}

func TestCheckExactlyOnce(t *testing.T) {
	rec := &record{sc: &plan.Scenario{}, reads: map[string]*opRecord{}}
	appendOp := func(client int, token string, done bool) opRecord {
		return opRecord{client: client, op: plan.Op{Kind: plan.OpAppend, Key: "a0", Value: token}, done: done}
	}
	rec.ops = []opRecord{appendOp(0, "[c1.0]", true), appendOp(0, "[c1.1]", true), appendOp(1, "[c2.0]", false)}
	read := func(v string) {
		rec.reads["a0"] = &opRecord{client: -1, op: plan.Op{Kind: plan.OpGet, Key: "a0"}, out: v, done: true}
	}

	read("[c1.0][c2.0][c1.1]")
	v, _ := checkExactlyOnce(rec)
	assert.Nil(t, v, "each returned Append once, in order, and the pending one once")

	read("[c1.0][c1.1]")
	v, _ = checkExactlyOnce(rec)
	assert.Nil(t, v, "an Append that never returned may have taken no effect")

	for _, bad := range []string{"[c1.0][c1.1][c1.1]", "[c1.0]", "[c1.1][c1.0]", "[c1.0][c1.1][c9.9]"} {
		read(bad)
		v, _ = checkExactlyOnce(rec)
		if assert.NotNil(t, v, "the final value %q breaks exactly-once", bad) {
			assert.Equal(t, ruleOnce.kind, v.rule.kind)
		}
	}
}
