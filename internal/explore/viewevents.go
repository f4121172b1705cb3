package explore

import (
	"fmt"
	"strconv"
	"strings"
)

// A View is a view as the explorer sees it: the view service's
// viewservice.View, which this package cannot import (the view service's
// tests import it).
type View struct {
	Viewnum uint
	Primary string
	Backup  string
}

func (v View) String() string {
	return fmt.Sprintf("view %d (primary %s, backup %s)", v.Viewnum, orNone(v.Primary), orNone(v.Backup))
}

func orNone(name string) string {
	if name == "" {
		return "none"
	}
	return name
}

// A ViewMachine is one view service's state, as the Part A search drives
// it: viewservice's test file wraps the student's viewState in one.
type ViewMachine interface {
	// Ping is handlePing: server pings with viewnum; it returns the reply.
	Ping(server string, viewnum uint) View
	// Tick is handleTick: one PingInterval passes.
	Tick()
	// View is currentView.
	View() View
	// State returns a pointer to the state itself, which the search reads
	// by reflection (see Fingerprint).
	State() any
}

// The rules of the view service, as the Part A search reports them: each
// kind names a rule, and where docs/part-a-viewservice.md explains it.
const partAGuide = "docs/part-a-viewservice.md"

// viewRule is one rule the Part A search checks.
type viewRule struct {
	kind string // the rule, short: the "<kind>" of the final line
	doc  string // its section of the guide
}

var (
	ruleFirstPrimary = viewRule{"first primary", partAGuide + "#a3"}
	ruleReply        = viewRule{"ping reply", partAGuide + "#a4"}
	ruleGet          = viewRule{"Get changes nothing", partAGuide + "#a4"}
	ruleNoSpurious   = viewRule{"no view change without a reason", partAGuide + "#a6"}
	ruleDead         = viewRule{"failure detection", partAGuide + "#a7"}
	ruleSuccessor    = viewRule{"successor rule", partAGuide + "#a8"}
	ruleDeadIdle     = viewRule{"dead idle server", partAGuide + "#a13"}
	ruleAck          = viewRule{"ack rule", partAGuide + "#a9"}
	ruleRestart      = viewRule{"restart rule", partAGuide + "#a10"}
	ruleIdle         = viewRule{"idle servers", partAGuide + "#a11"}
	ruleInvariant    = viewRule{"invariant", partAGuide + "#a6"}
	ruleLeave        = viewRule{"leaves its role", partAGuide + "#a8"}
)

// A ViewEvent is one step of a Part A sequence: a ping, or ticks.
type ViewEvent struct {
	Server  string // the pinging server; "" for ticks
	Viewnum uint   // the number it pings with
	Ticks   int    // for ticks: how many PingIntervals pass
}

// Ping is the event "server pings viewnum".
func Ping(server string, viewnum uint) ViewEvent { return ViewEvent{Server: server, Viewnum: viewnum} }

// Ticks is the event "n PingIntervals pass".
func Ticks(n int) ViewEvent { return ViewEvent{Ticks: n} }

// String writes the event as the view service's state tests do: "s1 pings
// 0", "tick", "5 ticks".
func (e ViewEvent) String() string {
	switch {
	case e.Server != "":
		return fmt.Sprintf("%s pings %d", e.Server, e.Viewnum)
	case e.Ticks == 1:
		return "tick"
	default:
		return fmt.Sprintf("%d ticks", e.Ticks)
	}
}

// FormatViewEvents writes a sequence as the state tests do:
// "s1 pings 0, tick, s2 pings 0, 5 ticks".
func FormatViewEvents(events []ViewEvent) string {
	parts := make([]string, len(events))
	for i, e := range events {
		parts[i] = e.String()
	}
	return strings.Join(parts, ", ")
}

// ParseViewEvents reads a sequence written as FormatViewEvents writes it.
func ParseViewEvents(s string) ([]ViewEvent, error) {
	var events []ViewEvent
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		e, err := parseViewEvent(part)
		if err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, nil
}

func parseViewEvent(s string) (ViewEvent, error) {
	f := strings.Fields(s)
	switch {
	case len(f) == 1 && f[0] == "tick":
		return Ticks(1), nil
	case len(f) == 2 && (f[1] == "ticks" || f[1] == "tick"):
		n, err := strconv.Atoi(f[0])
		if err != nil || n < 1 {
			return ViewEvent{}, fmt.Errorf("explore: %q: the number of ticks must be a positive integer", s)
		}
		return Ticks(n), nil
	case len(f) == 3 && f[1] == "pings":
		n, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			return ViewEvent{}, fmt.Errorf("explore: %q: a view number must be a non-negative integer", s)
		}
		return Ping(f[0], uint(n)), nil
	}
	return ViewEvent{}, fmt.Errorf("explore: %q is not an event: want \"s1 pings 0\", \"tick\" or \"5 ticks\"", s)
}
