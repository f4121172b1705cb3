package explore

import (
	"encoding/json"
	"fmt"
	"os"
	"pblab/internal/explore/plan"
	"testing"
	"time"
)

// ExploreViews is the body of viewservice's TestExploreViewState: it runs
// the Part A exploration the request (RequestEnv) asks for, over view
// services newMachine makes, and writes its result. Without a request it
// skips the test.
func ExploreViews(t *testing.T, newMachine func() ViewMachine) {
	req, ok, err := plan.ReadRequest()
	if !ok {
		t.Skip("run by go run ./grading explore -part A (docs/explore.md)")
	}
	if err != nil {
		t.Fatal(err)
	}
	var res *plan.Result
	switch req.Mode {
	case plan.ModeReplay:
		res, err = replayViews(req, newMachine)
	default:
		res = searchViews(req, newMachine)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.WriteResult(req, res); err != nil {
		t.Fatalf("explore: writing the result: %v", err)
	}
}

// searchViews runs the breadth-first search for the request's budget.
func searchViews(req *plan.Request, newMachine func() ViewMachine) *plan.Result {
	start := time.Now()
	s := ViewSearch{
		New:      newMachine,
		Servers:  req.Servers,
		Deadline: start.Add(time.Duration(req.Budget)),
		Progress: func(p ViewProgress) {
			printProgress(plan.Progress{Scenarios: p.States, Elapsed: plan.Duration(p.Elapsed), Phase: fmt.Sprintf("depth %d", p.Depth)})
		},
	}
	out := s.Search()
	res := &plan.Result{Part: "A", Scenarios: out.States, Elapsed: plan.Duration(out.Elapsed)}
	servers := req.Servers
	if servers == 0 {
		servers = 3
	}
	perSecond := float64(out.States) / max(out.Elapsed.Seconds(), 1e-9)
	how := fmt.Sprintf("every sequence of up to %d events", out.Depth)
	if out.Exhausted {
		how = "every reachable state"
	}
	res.Notes = append(res.Notes, fmt.Sprintf("part A: %d servers, %s tried: %d distinct states (%.0f/s), %d events applied",
		servers, how, out.States, perSecond, out.Events))
	if c := out.Violation; c != nil {
		failures, tries := countViewFailures(newMachine, c, triesOf(req))
		res.Violation = &plan.Violation{
			Kind: c.Kind, What: c.What, Doc: c.Doc,
			Details:  []string{"sequence: " + FormatViewEvents(c.Events)},
			Original: len(c.Events), Events: len(c.Events),
			Failures: failures, Tries: tries,
			Found:  plan.Duration(out.Elapsed),
			Replay: plan.Replay{Part: "A", Events: FormatViewEvents(c.Events), Verdict: plan.Verdict{Kind: c.Kind, What: c.What, Doc: c.Doc}},
		}
	}
	return res
}

func triesOf(req *plan.Request) int {
	if req.Tries > 0 {
		return req.Tries
	}
	return plan.DefaultTries
}

// countViewFailures replays c tries times and counts the runs that broke
// its rule. A view service that decides by map order or by chance breaks
// it in only some.
func countViewFailures(newMachine func() ViewMachine, c *ViewCounterexample, tries int) (int, int) {
	failures := 0
	for range tries {
		if got := CheckViewEvents(newMachine, c.Events); got != nil && got.Kind == c.Kind {
			failures++
		}
	}
	return failures, tries
}

// replayViews runs the request's Part A sequence.
func replayViews(req *plan.Request, newMachine func() ViewMachine) (*plan.Result, error) {
	if req.Replay == nil || req.Replay.Part != "A" {
		return nil, fmt.Errorf("explore: the replay request holds no Part A sequence")
	}
	events, err := ParseViewEvents(req.Replay.Events)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	res := &plan.Result{Part: "A", Scenarios: 1}
	c := CheckViewEvents(newMachine, events)
	res.Elapsed = plan.Duration(time.Since(start))
	if c == nil {
		res.Notes = append(res.Notes, "part A: the sequence breaks no rule: "+req.Replay.Events)
		return res, nil
	}
	failures, tries := countViewFailures(newMachine, c, triesOf(req))
	res.Violation = &plan.Violation{
		Kind: c.Kind, What: c.What, Doc: c.Doc,
		Details:  []string{"sequence: " + FormatViewEvents(c.Events)},
		Original: len(events), Events: len(c.Events),
		Failures: failures, Tries: tries,
		Replay: plan.Replay{Part: "A", Events: FormatViewEvents(c.Events), Verdict: plan.Verdict{Kind: c.Kind, What: c.What, Doc: c.Doc}},
	}
	return res, nil
}

// printProgress writes a progress line for the command that runs the test.
func printProgress(p plan.Progress) {
	data, err := json.Marshal(p)
	if err != nil {
		return
	}
	fmt.Fprintf(os.Stdout, "\n%s%s\n", plan.ProgressPrefix, data)
}
