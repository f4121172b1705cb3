package explore

import (
	"encoding/json"
	"pblab/internal/explore/plan"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The shrinker keeps exactly what a failure needs: here, a made-up failure
// that needs the crash of the primary and c2's Append of [c2.1], whatever
// else the scenario holds.
func TestShrinkKeepsWhatTheFailureNeeds(t *testing.T) {
	sc := plan.Generate(42, 4, nil)
	sc.Faults = append(sc.Faults, plan.Fault{Kind: plan.FaultCrash, At: plan.Duration(time.Second + 300*time.Millisecond), For: plan.Duration(time.Second), Target: "primary"})
	for len(sc.Clients) < 3 {
		sc.Clients = append(sc.Clients, plan.Client{Start: plan.Duration(plan.Warmup)})
	}
	sc.Clients[1].Ops = append(sc.Clients[1].Ops, plan.Op{Kind: plan.OpAppend, Key: "a0", Value: "[c2.1]", Pause: plan.Duration(time.Second)})
	needs := func(c *plan.Scenario) bool {
		crash := slices.ContainsFunc(c.Faults, func(f plan.Fault) bool { return f.Kind == plan.FaultCrash && f.Target == "primary" })
		appended := slices.ContainsFunc(c.Clients, func(cl plan.Client) bool {
			return slices.ContainsFunc(cl.Ops, func(op plan.Op) bool { return op.Value == "[c2.1]" })
		})
		return crash && appended
	}
	require.True(t, needs(sc), "the scenario must fail to begin with")

	s := &shrinker{kind: "made up", tries: 1, deadline: time.Now().Add(time.Minute), breaks: needs}
	small := s.shrink(sc)
	assert.True(t, needs(small), "the shrunk scenario must still fail")
	assert.Equal(t, 2, small.Events(), "the shrunk scenario keeps the crash and the Append, and nothing else: %s", small)
	assert.Equal(t, 2, small.Servers, "the shrunk scenario needs no more than two servers")
	for _, op := range small.Clients[0].Ops {
		assert.Zero(t, op.Pause, "pauses the failure does not need are dropped")
	}
}

// A shrinker whose candidates fail only sometimes keeps only what fails.
func TestShrinkTriesEachCandidateSeveralTimes(t *testing.T) {
	sc := &plan.Scenario{Seed: 1, Servers: 2, Calm: plan.Duration(4 * time.Second), Faults: []plan.Fault{
		{Kind: plan.FaultLossy, At: plan.Duration(plan.Warmup), For: plan.Duration(time.Second)},
		{Kind: plan.FaultReorder, At: plan.Duration(plan.Warmup), For: plan.Duration(time.Second)},
	}}
	n := 0
	flaky := func(c *plan.Scenario) bool { // fails every third run, if it keeps the lossy fault
		n++
		return n%3 == 0 && slices.ContainsFunc(c.Faults, func(f plan.Fault) bool { return f.Kind == plan.FaultLossy })
	}
	s := &shrinker{kind: "made up", tries: 3, deadline: time.Now().Add(time.Minute), breaks: flaky}
	small := s.shrink(sc)
	require.Len(t, small.Faults, 1, "one fault is enough to fail: %s", small)
	assert.Equal(t, plan.FaultLossy, small.Faults[0].Kind)
}

func TestScenariosAreReproducible(t *testing.T) {
	a, b := plan.Generate(7, 0, nil), plan.Generate(7, 0, nil)
	assert.Equal(t, a, b, "a seed gives one scenario")
	assert.NotEqual(t, a, plan.Generate(8, 0, nil), "two seeds give two scenarios")
	for seed := range int64(50) {
		sc := plan.Generate(seed, 0, nil)
		assert.True(t, sc.Servers >= 2 && sc.Servers <= 4, "2 to 4 servers, got %d", sc.Servers)
		assert.True(t, len(sc.Clients) >= 1 && len(sc.Clients) <= 5, "1 to 5 clients, got %d", len(sc.Clients))
		for _, f := range sc.Faults {
			assert.True(t, f.At >= plan.Duration(plan.Warmup) && f.At+f.For <= sc.Calm, "fault %s lies between the warm-up and the calm (%v)", f, time.Duration(sc.Calm))
		}
	}
}

func TestScenarioJSONRoundTrip(t *testing.T) {
	sc := plan.Generate(3, 3, nil)
	data, err := json.Marshal(sc)
	require.NoError(t, err)
	var back plan.Scenario
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, sc, &back, "a replay file gives back the scenario written into it")
}

func TestWithClientsRenamesPartitions(t *testing.T) {
	sc := &plan.Scenario{
		Clients: []plan.Client{{}, {}, {}},
		Faults:  []plan.Fault{{Kind: plan.FaultPartition, Target: "primary", With: []string{"c1", "c3"}}},
	}
	got := withClients(sc, []int{2})
	assert.Len(t, got.Clients, 1)
	assert.Equal(t, []string{"c1"}, got.Faults[0].With, "c3, now the only client, is c1; the old c1 is gone")
}
