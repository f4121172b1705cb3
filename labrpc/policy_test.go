package labrpc_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/faults"
	"pblab/internal/labtest"
	"pblab/labrpc"
)

// Where the fault seam is explained: it is for tools, not in the students'
// docs.
const docPolicy = "the package doc of pblab/internal/faults"

// script is a fault policy that gives each call the fate scripted for its
// ID, the zero Fate if none is, and keeps what it was asked.
type script struct {
	fates map[uint64]faults.Fate
	asked []faults.Call
}

func (s *script) Decide(c faults.Call) faults.Fate {
	s.asked = append(s.asked, c)
	return s.fates[c.ID]
}

// An installed policy decides every call's fate, whatever the network's
// switches: here it loses a request and a reply, delays and holds back a
// reply, and sets how long an undeliverable call takes to fail, all on a
// reliable network. It is asked once per call, with the call's names and
// the switches of the moment; once removed, it is asked nothing more.
func TestPolicyDecidesFates(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		net.Record(true)
		svc := addSvc(t, net, "server")
		end := net.MakeEnd("client")
		net.LongDelays(true)
		policy := &script{fates: map[uint64]faults.Fate{
			2: {DropRequest: true},
			3: {DropReply: true},
			4: {RequestDelay: 20 * time.Millisecond, HoldReply: 300 * time.Millisecond},
			5: {FailAfter: 2 * time.Second},
		}}
		require.NoError(t, faults.Install(net, policy), "Install must accept a *labrpc.Network (%s)", docPolicy)

		var oks []bool
		for i := 1; i <= 4; i++ {
			oks = append(oks, end.Call("server", "Svc.Echo", &Args{N: i}, &Reply{}))
		}
		net.DeleteServer("server")
		oks = append(oks, end.Call("server", "Svc.Echo", &Args{N: 5}, &Reply{}))

		assert.Equal(t, []bool{true, false, false, true, false}, oks, "each call must end as its fate says (%s)", docPolicy)
		for i, want := range []int{1, 0, 1, 1, 0} {
			assert.Equal(t, want, svc.Runs(i+1), "call %d: the handler runs unless the request is lost or cannot be delivered (%s)", i+1, docPolicy)
		}
		j := net.Journal()
		S, D, R := labrpc.EventSend, labrpc.EventDeliver, labrpc.EventReply
		for id, want := range map[uint64][]labrpc.EventKind{
			1: {S, D, R}, 2: {S, labrpc.EventDropRequest}, 3: {S, D, labrpc.EventDropReply}, 4: {S, D, R}, 5: {S, labrpc.EventFail},
		} {
			assert.Equal(t, want, kinds(j, id), "call %d: the journal must show its fate (%s)", id, docPolicy)
		}
		if e := callEvents(j, 4); assert.Len(t, e, 3, "call 4 is sent, delivered and replied (%s)", docPolicy) {
			assert.GreaterOrEqual(t, e[1].Time.Sub(e[0].Time), 20*time.Millisecond, "call 4's request must travel its RequestDelay (%s)", docPolicy)
			assert.GreaterOrEqual(t, e[2].Time.Sub(e[1].Time), 300*time.Millisecond, "call 4's reply must be held for its HoldReply (%s)", docPolicy)
		}
		if e := callEvents(j, 5); assert.Len(t, e, 2, "call 5 is sent and fails (%s)", docPolicy) {
			assert.GreaterOrEqual(t, e[1].Time.Sub(e[0].Time), 2*time.Second, "an undeliverable call must fail after its FailAfter (%s)", docPolicy)
		}

		var want []faults.Call
		for id := uint64(1); id <= 5; id++ {
			want = append(want, faults.Call{ID: id, From: "client", To: "server", Method: "Svc.Echo",
				Reliable: true, LongDelays: true, Reachable: id != 5})
		}
		assert.Equal(t, want, policy.asked, "the policy must be asked once per call, with the call and the switches (%s)", docPolicy)

		require.NoError(t, faults.Install(net, nil), "Install(net, nil) must remove the policy (%s)", docPolicy)
		addSvc(t, net, "server")
		assert.True(t, end.Call("server", "Svc.Echo", &Args{N: 6}, &Reply{}), "a reliable network delivers once the policy is gone (%s)", docPolicy)
		assert.Len(t, policy.asked, 5, "a removed policy must not be asked (%s)", docPolicy)
	})
}

// Install takes only a network, and says what it got instead.
func TestInstallNeedsANetwork(t *testing.T) {
	for _, notANetwork := range []any{"vs", (*labrpc.Network)(nil), nil} {
		err := faults.Install(notANetwork, &script{})
		if assert.Error(t, err, "Install(%#v) must be refused (%s)", notANetwork, docPolicy) {
			assert.Contains(t, err.Error(), "*labrpc.Network", "the error must say what Install needs (%s)", docPolicy)
		}
	}
}
