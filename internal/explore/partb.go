package explore

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"pblab/internal/explore/plan"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// ExplorePB is the body of pbservice's TestExplorePB: it runs the Part B
// exploration the request (RequestEnv) asks for, over the system sys, and
// writes its result. Without a request it skips the test.
func ExplorePB(t *testing.T, sys System) {
	req, ok, err := plan.ReadRequest()
	if !ok {
		t.Skip("run by go run ./grading explore -part B (docs/explore.md)")
	}
	if err != nil {
		t.Fatal(err)
	}
	e := &pbExplorer{t: t, sys: sys, req: req, start: time.Now()}
	var res *plan.Result
	switch req.Mode {
	case plan.ModeReplay:
		res, err = e.replay()
	default:
		res = e.search()
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.WriteResult(req, res); err != nil {
		t.Fatalf("explore: writing the result: %v", err)
	}
}

// A pbExplorer runs one request's Part B exploration.
type pbExplorer struct {
	t     *testing.T
	sys   System
	req   *plan.Request
	start time.Time
	runs  atomic.Int64 // scenarios run, shrinking included
	watch watchdog
}

// CoreShare is the share of a Part B budget the exhaustive check of the
// core gets, before the random scenarios; at most MaxCoreBudget.
const (
	CoreShare     = 4
	MaxCoreBudget = time.Minute
)

// searchCore runs the exhaustive check of the core for its share of the
// budget, and returns its result if it found a violation.
func (e *pbExplorer) searchCore() (*plan.Result, string) {
	budget := min(time.Duration(e.req.Budget)/CoreShare, MaxCoreBudget)
	s := CoreSearch{
		New:      e.sys.NewCore,
		Deadline: time.Now().Add(budget),
		Progress: func(p ViewProgress) {
			printProgress(plan.Progress{Scenarios: p.States, Elapsed: plan.Duration(time.Since(e.start)), Phase: fmt.Sprintf("the core, depth %d", p.Depth)})
		},
	}
	out := s.Search()
	how := fmt.Sprintf("every sequence of up to %d events", out.Depth)
	if out.Exhausted {
		how = "every reachable state"
	}
	note := fmt.Sprintf("part B, the core (pbState): 2 servers, %s tried: %d distinct states (%.0f/s)",
		how, out.States, float64(out.States)/max(out.Elapsed.Seconds(), 1e-9))
	c := out.Violation
	if c == nil {
		return nil, note
	}
	res := &plan.Result{Part: "B", Scenarios: out.States, Elapsed: plan.Duration(time.Since(e.start)), Notes: []string{note}}
	res.Violation = &plan.Violation{
		Kind: c.Kind, What: c.What, Doc: c.Doc,
		Details:  []string{"sequence: " + DescribeCoreEvents(e.sys.NewCore, c.Events)},
		Original: len(c.Events), Events: len(c.Events), Failures: 1, Tries: 1,
		Found:  plan.Duration(time.Since(e.start)),
		Replay: plan.Replay{Part: "B", Core: encodeCoreEvents(c.Events), Verdict: plan.Verdict{Kind: c.Kind, What: c.What, Doc: c.Doc}},
	}
	return res, note
}

// search checks the core exhaustively, then runs random scenarios, seeds
// req.Seed, req.Seed+1, ..., on several workers, until one breaks a rule
// or the budget is spent; then shrinks it.
func (e *pbExplorer) search() *plan.Result {
	var coreNote string
	if !e.req.NoCore {
		var coreResult *plan.Result
		if coreResult, coreNote = e.searchCore(); coreResult != nil {
			return coreResult
		}
	}
	deadline := e.start.Add(time.Duration(e.req.Budget))
	searchStart := time.Now()
	workers := e.req.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	e.watch.start(e, workers)
	defer e.watch.stop()

	var (
		next     atomic.Int64
		mu       sync.Mutex
		found    *checked
		foundAt  time.Duration
		stopping atomic.Bool
		wg       sync.WaitGroup
	)
	next.Store(e.req.Seed)
	progressDone := make(chan struct{})
	go e.reportProgress(progressDone, "searching")
	for w := range workers {
		wg.Go(func() {
			for !stopping.Load() && time.Now().Before(deadline) {
				sc := plan.Generate(next.Add(1)-1, e.req.Servers, e.req.Faults)
				c := e.runChecked(w, sc)
				if c.verdict.Broken() && !stopping.Swap(true) {
					mu.Lock()
					found, foundAt = c, time.Since(e.start)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	close(progressDone)

	searched := int(e.runs.Load())
	res := &plan.Result{Part: "B", Scenarios: searched}
	if coreNote != "" {
		res.Notes = append(res.Notes, coreNote)
	}
	res.Notes = append(res.Notes, fmt.Sprintf("part B: %d scenarios (seeds %d to %d), %.1f/s on %d workers",
		searched, e.req.Seed, next.Load()-1, float64(searched)/max(time.Since(searchStart).Seconds(), 1e-9), workers))
	if found != nil {
		res.Violation = e.shrinkAndWrite(found, foundAt)
	}
	res.Elapsed = plan.Duration(time.Since(e.start))
	return res
}

// reportProgress prints a progress line every second until done closes.
func (e *pbExplorer) reportProgress(done <-chan struct{}, phase string) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			printProgress(plan.Progress{Scenarios: int(e.runs.Load()), Elapsed: plan.Duration(time.Since(e.start)), Phase: phase})
		}
	}
}

// runChecked runs sc in a bubble of its own, as worker w, and checks it.
func (e *pbExplorer) runChecked(w int, sc *plan.Scenario) *checked {
	if data, err := json.Marshal(sc); err == nil {
		_ = os.WriteFile(plan.RunningFile(e.req.Result, w), data, 0o644)
	}
	rec, leftover := runBubble(e.t, e.sys, sc, e.watch.begin(w, sc))
	e.watch.end(w)
	e.runs.Add(1)
	c := check(rec)
	if leftover != "" && !c.verdict.Broken() {
		c.verdict = plan.Verdict{Kind: ruleKill.kind, Doc: ruleKill.doc,
			What: "goroutines were still blocked once the run had ended, its servers killed and its network cleaned up: every goroutine a server starts must end with Kill"}
		c.details = append(c.details, leftover)
	}
	return c
}

// runBubble runs sc in a synctest bubble of its own, and returns its
// record and, if goroutines were left blocked at its end, synctest's word
// on it. w, if not nil, is kept informed for the watchdog.
func runBubble(t *testing.T, sys System, sc *plan.Scenario, w *runWatch) (rec *record, leftover string) {
	defer func() {
		if p := recover(); p != nil {
			if rec == nil {
				panic(p)
			}
			leftover = fmt.Sprint(p)
		}
	}()
	synctest.Test(t, func(*testing.T) {
		rec = run(sys, sc, newNetwork(), w)
	})
	return rec, ""
}

// replay runs the request's scenario, as often as req.Tries says, and
// writes the artifacts of a failing run (or of the last run).
func (e *pbExplorer) replay() (*plan.Result, error) {
	if r := e.req.Replay; r != nil && r.Part == "B" && len(r.Core) > 0 {
		return e.replayCore()
	}
	if e.req.Replay == nil || e.req.Replay.Part != "B" || e.req.Replay.Scenario == nil {
		return nil, fmt.Errorf("explore: the replay request holds no Part B scenario")
	}
	sc := e.req.Replay.Scenario
	e.watch.start(e, 1)
	defer e.watch.stop()
	var first, last *checked
	failures, tries := 0, triesOf(e.req)
	for range tries {
		c := e.runChecked(0, sc)
		last = c
		if c.verdict.Broken() {
			failures++
			if first == nil {
				first = c
			}
		}
	}
	res := &plan.Result{Part: "B", Scenarios: tries, Elapsed: plan.Duration(time.Since(e.start))}
	shown := first
	if shown == nil {
		shown = last
		res.Notes = append(res.Notes, fmt.Sprintf("part B: the scenario broke no rule in %d runs", tries))
	}
	artifacts := e.writeArtifacts(shown)
	if first == nil {
		for kind, path := range artifacts {
			res.Notes = append(res.Notes, fmt.Sprintf("%s: %s", kind, path))
		}
		return res, nil
	}
	res.Violation = &plan.Violation{
		Kind: first.verdict.Kind, What: first.verdict.What, Doc: first.verdict.Doc,
		Details:  append(first.details, describeRun(first)...),
		Original: sc.Events(), Events: sc.Events(),
		Failures: failures, Tries: tries,
		Replay:    plan.Replay{Part: "B", Scenario: sc, Verdict: first.verdict},
		Artifacts: artifacts,
	}
	return res, nil
}

// replayCore runs the request's core events.
func (e *pbExplorer) replayCore() (*plan.Result, error) {
	var events []CoreEvent
	if err := json.Unmarshal(e.req.Replay.Core, &events); err != nil {
		return nil, fmt.Errorf("explore: the replay's core events: %w", err)
	}
	res := &plan.Result{Part: "B", Scenarios: 1}
	c, err := CheckCoreEvents(e.sys.NewCore, events)
	if err != nil {
		return nil, err
	}
	res.Elapsed = plan.Duration(time.Since(e.start))
	if c == nil {
		res.Notes = append(res.Notes, "part B, the core: the sequence breaks no rule: "+DescribeCoreEvents(e.sys.NewCore, events))
		return res, nil
	}
	res.Violation = &plan.Violation{
		Kind: c.Kind, What: c.What, Doc: c.Doc,
		Details:  []string{"sequence: " + DescribeCoreEvents(e.sys.NewCore, c.Events)},
		Original: len(events), Events: len(c.Events), Failures: 1, Tries: 1,
		Replay: plan.Replay{Part: "B", Core: encodeCoreEvents(c.Events), Verdict: plan.Verdict{Kind: c.Kind, What: c.What, Doc: c.Doc}},
	}
	return res, nil
}

// shrinkAndWrite shrinks the scenario of found, measures how often the
// result fails, and writes its artifacts.
func (e *pbExplorer) shrinkAndWrite(found *checked, foundAt time.Duration) *plan.Violation {
	progressDone := make(chan struct{})
	go e.reportProgress(progressDone, "shrinking")
	s := &shrinker{e: e, kind: found.verdict.Kind, tries: triesOf(e.req), deadline: time.Now().Add(e.shrinkBudget())}
	if e.req.Tries == 0 {
		s.adaptTries(found.rec.sc)
	}
	small := s.shrink(found.rec.sc)
	failures, tries, failing := s.failureRate(small, 4*s.tries)
	close(progressDone)
	shown := failing
	if shown == nil {
		shown = found // the shrunk scenario no longer failed: show the original
		small = found.rec.sc
	}
	return &plan.Violation{
		Kind: shown.verdict.Kind, What: shown.verdict.What, Doc: shown.verdict.Doc,
		Details:  append(shown.details, describeRun(shown)...),
		Original: found.rec.sc.Events(), Events: small.Events(),
		Failures: failures, Tries: tries,
		Found:     plan.Duration(foundAt),
		Replay:    plan.Replay{Part: "B", Scenario: small, Verdict: shown.verdict},
		Artifacts: e.writeArtifacts(shown),
	}
}

func (e *pbExplorer) shrinkBudget() time.Duration {
	if e.req.ShrinkBudget > 0 {
		return time.Duration(e.req.ShrinkBudget)
	}
	return plan.DefaultShrinkBudget
}

// describeRun lists what the faults did in a run, for the report.
func describeRun(c *checked) []string {
	lines := []string{"scenario: " + c.rec.sc.String()}
	for _, l := range c.rec.log {
		lines = append(lines, "  "+l)
	}
	return lines
}

// writeArtifacts writes the message diagram and the history's
// visualisation of a run into the request's folder, and returns their
// paths by kind.
func (e *pbExplorer) writeArtifacts(c *checked) map[string]string {
	paths := map[string]string{}
	if e.req.OutDir == "" {
		return paths
	}
	if err := os.MkdirAll(e.req.OutDir, 0o755); err != nil {
		return paths
	}
	diagramPath := filepath.Join(e.req.OutDir, "diagram.html")
	if err := writeDiagram(diagramPath, c, e.req.ReplayCommand); err == nil {
		paths["diagram"] = diagramPath
	}
	eventsPath := filepath.Join(e.req.OutDir, "events.txt")
	if err := writeEvents(eventsPath, c); err == nil {
		paths["events"] = eventsPath
	}
	linPath := filepath.Join(e.req.OutDir, "linearizability.html")
	if err := writeVisualisation(linPath, c); err == nil {
		paths["linearizability"] = linPath
	}
	return paths
}
