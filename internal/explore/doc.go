// Package explore searches for the smallest run that breaks a student's
// Part A or Part B: the explorer behind go run ./grading explore
// (docs/explore.md).
//
// # Where it runs
//
// The explorer must drive the student's unexported code (viewState,
// pbState), so it runs inside the test binary of the part's package: the
// official test files viewservice/explore_test.go and
// pbservice/explore_test.go wrap the student's code in this package's
// interfaces (ViewMachine, System, Core) and hand them to ExploreViews and
// ExplorePB from a test that skips unless RequestEnv names a request. The
// command's side (building the binary, running it, reporting) is
// pblab/internal/explore/driver; the two talk through files (a
// plan.Request, a plan.Result) and progress lines on the binary's standard
// output. Package pblab/internal/explore/plan holds those types and the
// Scenario, with no dependency on the tests' packages, so that the grading
// command links neither testing nor labrpc.
//
// # Part A: breadth-first model checking
//
// ViewSearch tries, level by level, every sequence of pings and ticks from
// a new viewState, on every CPU. Each state is rebuilt by replaying its
// path, copied by reflection for each event tried from it (deepCopy), and
// identified by a canonical encoding of the student's state (Fingerprint:
// unexported fields read by reflection, maps in key order, pointers
// followed) together with the explorer's own model of what the view
// service was told (viewModel). The first sequence that breaks a rule is a
// shortest one.
//
// # Part B: the core, then random scenarios
//
// CoreSearch does the same for two pbStates, with a model of the view
// service that may hand out any view the rules allow and a bag of messages
// between the servers delivered, lost, repeated or late. Then random
// scenarios (plan.Generate) run the student's whole Part B over labrpc, each in
// a testing/synctest bubble of its own, with faults scripted through
// labrpc's fault seam (internal/faults) and its cuts, link delays and late
// requests; the checks read the clients' history (porcupine, KVModel) and
// the network's journal: safety, the views handed out, the ack after the
// transfer, exactly-once appends, linearizability, liveness (see
// LivenessBound) and Kill. A watchdog outside the bubbles catches a frozen
// clock or goroutines that never end.
//
// # Shrinking and replay
//
// A failing scenario is shrunk by delta debugging over its faults, clients
// and operations, then simplified; a run may fail only sometimes, so each
// candidate runs several times (more for rare failures), and the result's
// failure rate is measured. A plan.Replay is the counterexample as a file, and
// CheckViewEventsTest, ScenarioTest and CoreEventsTest replay one as a Go
// test, as the test the explorer writes does.
package explore
