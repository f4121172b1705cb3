// Package plan holds what the explorer's two sides exchange: a Part B
// Scenario (the servers, the clients' operations and the faults), the
// Request a command writes for a test binary, the Progress lines and the
// Result it writes back, and the Replay file of a counterexample. It has
// no dependencies beyond the standard library, so the grading command
// (pblab/internal/explore/driver) can use it without linking the tests'
// packages; the search itself is in pblab/internal/explore.
package plan

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// The explorer runs inside a package's test binary, where it can reach the
// student's unexported code, driven by a command (go run ./grading
// explore, package pblab/internal/explore/driver) that builds and runs that
// binary. The two talk through files: the command writes a Request and
// names it in RequestEnv; the test (TestExploreViewState in viewservice,
// TestExplorePB in pbservice) reads it, explores, writes progress lines to
// its standard output (ProgressPrefix and a JSON Progress), and writes a
// Result where the request says.

// RequestEnv names the request file of an exploring test run. Without it,
// the explorer's tests skip.
const RequestEnv = "PBLAB_EXPLORE"

// ProgressPrefix starts each progress line a test run prints.
const ProgressPrefix = "pblab-explore-progress: "

// The modes of a request.
const (
	ModeSearch = "search" // search for a counterexample, shrink it, write its artifacts
	ModeReplay = "replay" // run the scenario of Request.Replay, and write its artifacts
)

// A Request says what one test run explores.
type Request struct {
	Part    string   `json:"part"` // "A" or "B"
	Mode    string   `json:"mode"`
	Budget  Duration `json:"budget"`            // how long to search
	Seed    int64    `json:"seed"`              // the first scenario's seed (Part B)
	Servers int      `json:"servers,omitempty"` // 0: Part A's 3, Part B's random 2 to 4
	Workers int      `json:"workers,omitempty"` // scenarios run at once (Part B); 0: GOMAXPROCS
	Tries   int      `json:"tries,omitempty"`   // runs of each candidate while shrinking; 0: DefaultTries
	Replay  *Replay  `json:"replay,omitempty"`  // the scenario to replay (ModeReplay)
	OutDir  string   `json:"out"`               // where artifacts go
	Result  string   `json:"result"`            // where the Result goes

	// Faults lists the kinds of fault Part B's scenarios draw from; every
	// kind if empty.
	Faults []string `json:"faults,omitempty"`
	// NoCore skips Part B's exhaustive check of the core.
	NoCore bool `json:"noCore,omitempty"`
	// ShrinkBudget bounds the time spent shrinking; 0: DefaultShrinkBudget.
	ShrinkBudget Duration `json:"shrinkBudget,omitempty"`
	// ReplayCommand is the command that replays the counterexample, for
	// the artifacts to show.
	ReplayCommand string `json:"replayCommand,omitempty"`
}

// DefaultTries is how many times the shrinker runs each candidate: a
// scenario fails only in some runs, as goroutines interleave differently.
const DefaultTries = 5

// A Progress line says how a search is going.
type Progress struct {
	Scenarios int      `json:"scenarios"` // scenarios run (Part A: states seen)
	Elapsed   Duration `json:"elapsed"`
	Phase     string   `json:"phase,omitempty"` // what is going on: "depth 9", "shrinking"
}

// A Result is what one test run found.
type Result struct {
	Part      string     `json:"part"`
	Scenarios int        `json:"scenarios"` // scenarios run (Part A: distinct states seen)
	Elapsed   Duration   `json:"elapsed"`
	Notes     []string   `json:"notes,omitempty"` // lines for the person: depth reached, and so on
	Violation *Violation `json:"violation,omitempty"`
}

// A Violation is a counterexample: a replayable scenario that breaks a
// rule, as small as the shrinker could make it.
type Violation struct {
	Kind      string            `json:"kind"`          // the rule broken, short: "ack rule", "liveness"
	What      string            `json:"what"`          // what happened, in one line
	Doc       string            `json:"doc,omitempty"` // where the guide explains the rule
	Details   []string          `json:"details,omitempty"`
	Original  int               `json:"original"`            // events of the scenario as found
	Events    int               `json:"events"`              // events once shrunk
	Failures  int               `json:"failures"`            // runs of the shrunk scenario that broke the rule...
	Tries     int               `json:"tries"`               // ... out of this many
	Found     Duration          `json:"found"`               // time from the start to the first violation
	Replay    Replay            `json:"replay"`              // the shrunk scenario
	Artifacts map[string]string `json:"artifacts,omitempty"` // kind ("diagram", "linearizability", "test") -> path
}

// A Replay is a counterexample as its replay file holds it: enough to run
// it again, and what it broke.
type Replay struct {
	Part     string    `json:"part"`
	Events   string    `json:"events,omitempty"`   // Part A: the sequence, as the state tests write it
	Scenario *Scenario `json:"scenario,omitempty"` // Part B
	// Core holds, for Part B's core, the events of the exhaustive check, as
	// package explore encodes them.
	Core    json.RawMessage `json:"core,omitempty"`
	Verdict Verdict         `json:"verdict"`
}

// A Verdict is the rule a run broke, if any.
type Verdict struct {
	Kind string `json:"kind,omitempty"` // "" if no rule broke
	What string `json:"what,omitempty"`
	Doc  string `json:"doc,omitempty"`
}

// Broken reports whether the verdict is a violation.
func (v Verdict) Broken() bool { return v.Kind != "" }

// Duration is a time.Duration that JSON writes as "1.5s".
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("explore: a duration is a string such as \"1.5s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("explore: %w", err)
	}
	*d = Duration(v)
	return nil
}

// ReadRequest reads the request named by RequestEnv. ok is false if the
// variable is unset: the test is not run by the explorer.
func ReadRequest() (req *Request, ok bool, err error) {
	path := os.Getenv(RequestEnv)
	if path == "" {
		return nil, false, nil
	}
	req = &Request{}
	if err := readJSON(path, req); err != nil {
		return nil, true, fmt.Errorf("explore: reading the request: %w", err)
	}
	return req, true, nil
}

// WriteResult writes r where req says.
func WriteResult(req *Request, r *Result) error {
	return writeJSON(req.Result, r)
}

// ReadReplay reads a replay file.
func ReadReplay(path string) (*Replay, error) {
	r := &Replay{}
	if err := readJSON(path, r); err != nil {
		return nil, fmt.Errorf("explore: reading the replay file %s: %w", path, err)
	}
	if r.Part != "A" && r.Part != "B" {
		return nil, fmt.Errorf("explore: the replay file %s names part %q; want A or B", path, r.Part)
	}
	if r.Part == "B" && r.Scenario == nil && len(r.Core) == 0 {
		return nil, fmt.Errorf("explore: the replay file %s holds no scenario for part %s", path, r.Part)
	}
	return r, nil
}

// WriteReplay writes a replay file.
func WriteReplay(path string, r *Replay) error { return writeJSON(path, r) }

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// writeJSON writes v to path in one go (a temporary file renamed into
// place), so that a reader never sees half a file.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// RandomSeed returns a seed for a search that was given none.
func RandomSeed() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.LittleEndian.Uint64(b[:]) >> 2)
}

// RunningFile is the file, beside the result, where worker w keeps the
// scenario it is running: if the student's code panics, the test binary
// dies with no result, and the command replays these to find the one.
func RunningFile(result string, w int) string {
	return filepath.Join(filepath.Dir(result), fmt.Sprintf("running-%d.json", w))
}

// DefaultShrinkBudget bounds the time the shrinker spends.
const DefaultShrinkBudget = 2 * time.Minute
