package explore

import (
	"fmt"
	"slices"
)

// DeadPings and the rules below are the view service's (viewservice's
// DeadPings, which this package cannot import): a server that pinged at
// tick t is alive at tick t+DeadPings and dead at tick t+DeadPings+1.
const DeadPings = 5

// maxServers bounds the servers of a Part A search.
const maxServers = 8

// A viewModel is the explorer's own account of what the view service has
// been told, built from the events it applied: who pinged when, what each
// server was last told, who restarted in its role, and whether the
// primary acked the current view. The rules that need to know who is dead,
// restarted or acked read it, never the student's state.
type viewModel struct {
	servers   []string         // the servers' names, by index
	now       int              // ticks so far
	lastPing  [maxServers]int  // the tick of its latest ping
	lastNum   [maxServers]uint // the view number of its latest ping
	pinged    [maxServers]bool
	told      [maxServers]bool // the latest reply named it primary or backup
	toldNum   [maxServers]uint // the view number of the latest reply
	restarted [maxServers]bool // pinged 0 in its role, knowing it: in the current view
	acked     bool             // the primary of view pinged view.Viewnum
	first     int              // the first server to ping; -1 before
	view      View             // the current view, as last seen
}

func newViewModel(servers []string) viewModel {
	return viewModel{servers: servers, first: -1}
}

// index returns the index of the server called name, or -1.
func (m *viewModel) index(name string) int {
	return slices.Index(m.servers, name)
}

// silent reports how many ticks have passed since server i last pinged.
func (m *viewModel) silent(i int) int { return m.now - m.lastPing[i] }

// failed reports whether server i lost its role: it missed DeadPings ping
// intervals, or restarted while in it. A server that never pinged counts
// as failed.
func (m *viewModel) failed(i int) bool {
	return !m.pinged[i] || m.restarted[i] || m.silent(i) > DeadPings
}

// failedName is failed for a name; "" (no server) is not failed.
func (m *viewModel) failedName(name string) bool {
	if name == "" {
		return false
	}
	return m.failed(m.index(name))
}

// liveIdle returns a server with no role in v that is alive, or "" if
// there is none.
func (m *viewModel) liveIdle(v View) string {
	for i, name := range m.servers {
		if name != v.Primary && name != v.Backup && !m.failed(i) {
			return name
		}
	}
	return ""
}

// notePing updates the model for a ping from server i with viewnum, before
// the view service's answer is known.
func (m *viewModel) notePing(i int, viewnum uint) {
	name := m.servers[i]
	if m.first < 0 {
		m.first = i
	}
	v := m.view
	if v.Viewnum > 0 && name == v.Primary && viewnum == v.Viewnum {
		m.acked = true
	}
	// A Ping(0) from a server that knew its role is a restart, except from
	// a primary with no backup, which keeps its role whatever it pings.
	inRole := name == v.Primary || name == v.Backup
	lonePrimary := name == v.Primary && v.Backup == ""
	if viewnum == 0 && inRole && m.told[i] && !lonePrimary {
		m.restarted[i] = true
	}
	m.pinged[i] = true
	m.lastPing[i] = m.now
	m.lastNum[i] = viewnum
}

// noteReply records the reply server i got.
func (m *viewModel) noteReply(i int, reply View) {
	m.told[i] = reply.Primary == m.servers[i] || reply.Backup == m.servers[i]
	m.toldNum[i] = reply.Viewnum
}

// noteView records the current view after an event. A new view is not
// acked, and a restart matters only while the server holds its role.
func (m *viewModel) noteView(v View) {
	if v == m.view {
		return
	}
	m.view = v
	m.acked = false
	m.restarted = [maxServers]bool{}
}

// key returns the model's part of a state's identity: the same model
// facts in two states give the same key. Silences past DeadPings+1 are all
// alike, and so are all numbers of ticks.
func (m *viewModel) key(buf []byte) []byte {
	for i := range m.servers {
		s := byte(0)
		if m.pinged[i] {
			s = byte(min(m.silent(i), DeadPings+1) + 1)
		}
		flags := byte(0)
		if m.told[i] {
			flags |= 1
		}
		if m.restarted[i] {
			flags |= 2
		}
		buf = append(buf, s, flags, byte(m.toldNum[i]))
	}
	ack := byte(0)
	if m.acked {
		ack = 1
	}
	return append(buf, ack, byte(m.first+1))
}

// A viewViolation is a broken rule, with what happened.
type viewViolation struct {
	rule viewRule
	what string
}

func violated(r viewRule, format string, args ...any) *viewViolation {
	return &viewViolation{rule: r, what: fmt.Sprintf(format, args...)}
}

// checkChange checks the move from view before to view after, caused by
// the event just applied, against the rules, with the model as that event
// left it. It returns the first rule broken, or nil.
func (m *viewModel) checkChange(before, after View) *viewViolation {
	if after == before {
		return nil
	}
	if v := checkWellFormed(after); v != nil {
		return v
	}
	switch {
	case after.Viewnum == before.Viewnum:
		return violated(ruleInvariant, "a view number names one view: %s became %s", before, after)
	case after.Viewnum != before.Viewnum+1:
		return violated(ruleInvariant, "view numbers rise by one: %s followed %s", after, before)
	case before.Viewnum == 0:
		if first := m.servers[m.first]; after.Primary != first {
			return violated(ruleFirstPrimary, "%s is the first view, but %s pinged first", after, first)
		}
		return nil
	case !m.acked:
		return violated(ruleAck, "%s started before %s, the primary of view %d, acked it", after, before.Primary, before.Viewnum)
	case after.Primary != before.Primary && after.Primary != before.Backup:
		return violated(ruleSuccessor, "%s follows %s, but its primary was neither primary nor backup of the view before", after, before)
	case after.Primary == before.Primary && after.Backup == before.Backup:
		return violated(ruleNoSpurious, "%s follows %s with the same primary and backup", after, before)
	}
	return m.checkReasons(before, after)
}

// checkWellFormed checks the invariants of one view on its own.
func checkWellFormed(v View) *viewViolation {
	switch {
	case v.Viewnum == 0 && v != (View{}):
		return violated(ruleInvariant, "view 0 is empty, but got %s", v)
	case v.Viewnum > 0 && v.Primary == "":
		return violated(ruleInvariant, "every view from view 1 on has a primary, but got %s", v)
	case v.Primary != "" && v.Primary == v.Backup:
		return violated(ruleInvariant, "primary and backup differ, but got %s", v)
	}
	return nil
}

// checkReasons checks that a change (past view 0, acked, following the
// successor rule) has its reasons: each server that left its role had
// failed, each newcomer is alive, and a live idle server fills an empty
// backup place in the same change.
func (m *viewModel) checkReasons(before, after View) *viewViolation {
	p, b := before.Primary, before.Backup
	if after.Primary != p && m.failedName(after.Primary) {
		return violated(ruleSuccessor, "%s follows %s, but the new primary %s %s; with no live backup, the view stays and waits for its primary",
			after, before, after.Primary, m.deadness(after.Primary))
	}
	if after.Primary != p && !m.failedName(p) {
		return violated(m.aliveRule(p), "%s follows %s, but the primary %s %s", after, before, p, m.aliveness(p))
	}
	if b != "" && after.Primary != b && after.Backup != b && !m.failedName(b) {
		return violated(m.aliveRule(b), "%s follows %s, but the backup %s %s", after, before, b, m.aliveness(b))
	}
	if nb := after.Backup; nb != "" && nb != b {
		if nb == p {
			return violated(ruleDead, "%s follows %s: the primary %s left its role, so it had failed, and a failed server is not made backup", after, before, p)
		}
		if i := m.index(nb); i < 0 || m.failed(i) {
			return violated(ruleDeadIdle, "%s follows %s, but the new backup %s %s", after, before, nb, m.deadness(nb))
		}
	}
	if after.Backup == "" {
		if idle := m.liveIdle(after); idle != "" {
			return violated(ruleIdle, "%s follows %s with no backup, but %s is alive and idle: it takes the backup's place in the same view change", after, before, idle)
		}
	}
	return nil
}

// aliveRule is the rule broken by taking server's role while it is alive:
// the restart rule if it has just pinged 0 (which was no restart),
// failure detection otherwise.
func (m *viewModel) aliveRule(server string) viewRule {
	if i := m.index(server); i >= 0 && m.pinged[i] && m.lastPing[i] == m.now && m.lastNum[i] == 0 {
		return ruleRestart
	}
	return ruleDead
}

// aliveness says why server is not failed.
func (m *viewModel) aliveness(server string) string {
	i := m.index(server)
	if s := m.silent(i); s > 0 {
		return fmt.Sprintf("last pinged %d %s ago, and a server is dead only after %d ticks of silence (DeadPings+1); it has not restarted",
			s, plural(s, "tick"), DeadPings+1)
	}
	if !m.told[i] {
		return "pinged just now; its Ping(0), if it sent one, is no restart: no reply had told it its role yet"
	}
	return "pinged just now, and has not restarted"
}

// deadness says why server is failed.
func (m *viewModel) deadness(server string) string {
	i := m.index(server)
	switch {
	case i < 0 || !m.pinged[i]:
		return "never pinged"
	case m.restarted[i]:
		return "restarted in its role in this view (it pinged 0 after a reply had told it its role)"
	}
	return fmt.Sprintf("has been silent for %d ticks: it is dead", m.silent(i))
}

// checkDue checks, at the end of a tick, that the view service has made
// every change the rules call for: it leaves a view as soon as the rules
// allow.
func (m *viewModel) checkDue(v View) *viewViolation {
	if v.Viewnum == 0 {
		if m.first >= 0 {
			return violated(ruleFirstPrimary, "still view 0 after %s pinged and a tick passed", m.servers[m.first])
		}
		return nil
	}
	if !m.acked {
		return nil // the ack rule: no change may happen
	}
	p, b := v.Primary, v.Backup
	switch {
	case m.failedName(p) && b != "" && !m.failedName(b):
		return violated(ruleLeave, "the primary %s %s, yet %s, acked, with a live backup, stays after a tick", p, m.deadness(p), v)
	case b != "" && m.failedName(b) && !m.failedName(p):
		return violated(ruleLeave, "the backup %s %s, yet %s, acked, stays after a tick", b, m.deadness(b), v)
	case b == "" && !m.failedName(p):
		if idle := m.liveIdle(v); idle != "" {
			return violated(ruleIdle, "%s is alive and idle, yet %s, acked, with no backup, stays after a tick", idle, v)
		}
	}
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
