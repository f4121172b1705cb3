package explore

import (
	"encoding/json"
	"io"
	"pblab/internal/explore/plan"
	"strings"
	"testing"

	"github.com/anishathalye/porcupine"

	"pblab/internal/labtest"
)

// The functions the Go test the explorer writes for a counterexample
// calls, through a helper of the part's test file (checkViewEvents,
// checkCoreEvents, replayExplored): each replays the counterexample as an
// ordinary test, and fails it with the rule broken.

// CheckViewEventsTest applies events (written as the state tests write
// them, "s1 pings 0, tick, 5 ticks") to a new view service and fails t with
// the first rule broken. It is what the Go test the explorer writes calls.
func CheckViewEventsTest(t *testing.T, newMachine func() ViewMachine, events string) {
	t.Helper()
	evs, err := ParseViewEvents(events)
	if err != nil {
		t.Fatal(err)
	}
	if c := CheckViewEvents(newMachine, evs); c != nil {
		t.Fatalf("%s: %s\n  after [%s]\n  see: %s", c.Kind, c.What, FormatViewEvents(c.Events), c.Doc)
	}
}

// CoreEventsTest applies core events, as the explorer writes them (JSON),
// to new cores, and fails t with the first rule they break. It is what the
// Go test the explorer writes for a core counterexample calls.
func CoreEventsTest(t *testing.T, newCore func(string) Core, events string) {
	t.Helper()
	var evs []CoreEvent
	if err := json.Unmarshal([]byte(events), &evs); err != nil {
		t.Fatalf("explore: the events are not ones the explorer wrote: %v", err)
	}
	c, err := CheckCoreEvents(newCore, evs)
	if err != nil {
		t.Fatal(err)
	}
	if c != nil {
		t.Fatalf("%s: %s\n  after [%s]\n  see: %s", c.Kind, c.What, DescribeCoreEvents(newCore, c.Events), c.Doc)
	}
}

// ScenarioTest runs scenario, a Part B scenario as the explorer writes it
// (JSON), as the test t, through labtest.Run (so in virtual time, or on the
// wall clock with PBLAB_REALTIME=1), and fails t with the first rule the
// run breaks, writing the visualisation of its history beside the message
// diagram. It is what the Go test the explorer writes calls.
func ScenarioTest(t *testing.T, sys System, scenario string) {
	t.Helper()
	var sc plan.Scenario
	if err := json.Unmarshal([]byte(scenario), &sc); err != nil {
		t.Fatalf("explore: the scenario is not one the explorer wrote: %v", err)
	}
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		labtest.Describe(t, net, scenarioDiagram)
		c := check(run(sys, &sc, net, nil))
		if !c.verdict.Broken() {
			return
		}
		labtest.WriteArtifact(t, "linearizability", "html", func(w io.Writer) error {
			return porcupine.Visualize(KVModel, c.lin, w)
		})
		t.Errorf("%s: %s\n  see: %s\n%s", c.verdict.Kind, c.verdict.What, c.verdict.Doc, strings.Join(append(c.details, describeRun(c)...), "\n"))
	})
}
