package viewservice

// The explorer's way into viewState (go run ./grading explore -part A,
// docs/explore.md): TestExploreViewState runs the search when the explorer
// asks for it, and skips otherwise; checkViewEvents replays a sequence the
// explorer found, as a test of its own.

import (
	"testing"

	"pblab/internal/explore"
)

// exploredState is a viewState as the explorer drives it.
type exploredState struct{ s viewState }

func newExploredState() explore.ViewMachine { return &exploredState{s: newViewState()} }

func (e *exploredState) Ping(server string, viewnum uint) explore.View {
	return explore.View(e.s.handlePing(server, viewnum))
}
func (e *exploredState) Tick()              { e.s.handleTick() }
func (e *exploredState) View() explore.View { return explore.View(e.s.currentView()) }
func (e *exploredState) State() any         { return &e.s }

// TestExploreViewState is the Part A explorer. It runs only when
// go run ./grading explore asks for it.
func TestExploreViewState(t *testing.T) {
	explore.ExploreViews(t, newExploredState)
}

// checkViewEvents applies events, written as the state tests write them
// ("s1 pings 0, tick, 5 ticks"), to a new viewState, and fails t with the
// first rule they break. The test the explorer writes for a counterexample
// calls it.
func checkViewEvents(t *testing.T, events string) {
	t.Helper()
	explore.CheckViewEventsTest(t, newExploredState, events)
}

// A view service that follows the rules passes the explorer's checks on a
// sequence of every kind of event: the replay that the explorer's tests
// are made of works.
func TestExploreReplaysASequence(t *testing.T) {
	checkViewEvents(t, "s1 pings 0, tick, s1 pings 1, s2 pings 0, tick, s1 pings 2, s2 pings 2, "+
		"s3 pings 0, tick, s2 pings 2, s3 pings 2, 5 ticks, s2 pings 2, s3 pings 0, tick")
}

// BenchmarkExploreViewState measures Part A's search: states of viewState
// seen per second.
//
//	go test -run '^$' -bench ExploreViewState -benchtime 200000x ./viewservice
func BenchmarkExploreViewState(b *testing.B) {
	explore.BenchmarkViewStates(b, newExploredState)
}
