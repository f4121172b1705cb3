package pbservice

// Diagnoses: when a check fails, what the network's journal tells about the
// cause, added to the failure message. A symptom can have several causes (a
// value that appears twice, one that is missing, an operation that never
// returns); the journal often shows which one it was.

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"pblab/labrpc"
	"pblab/viewservice"
)

// silentServers names the running servers that have not pinged the view
// service for a while, as a hint for an operation that never returned: a
// server whose tick waits (for a lock held across a call, or for an
// operation) stops pinging, and the view service thinks it dead. It
// returns "" if every running server pings.
func (c *cluster) silentServers() string {
	c.mu.Lock()
	running := make(map[string]time.Time, len(c.servers))
	for name := range c.servers {
		running[name] = c.started[name]
	}
	c.mu.Unlock()
	lastPing := map[string]time.Time{}
	for _, e := range c.net.Journal().Events {
		if e.Kind == labrpc.EventSend && e.Method == "ViewServer.Ping" {
			lastPing[e.From] = e.Time
		}
	}
	now := time.Now()
	var silent []string
	for name, since := range running {
		last := lastPing[name]
		if last.Before(since) {
			last = since
		}
		if quiet := now.Sub(last); quiet > 2*deadtime {
			silent = append(silent, fmt.Sprintf("%s (silent for %v)", name, quiet.Round(viewservice.PingInterval)))
		}
	}
	if len(silent) == 0 {
		return ""
	}
	slices.Sort(silent)
	return fmt.Sprintf("\n  hint: %s stopped pinging the view service, although running: its tick must never wait "+
		"(for a lock held across a call, or for an operation), or the view service thinks it dead; see %s",
		strings.Join(silent, ", "), ruleNoMutualWait.doc())
}

// explainAppend says what the journal shows about the Append of elem that
// checkAppends found twice (twice) or missing (!twice), or "" if it shows
// nothing useful.
func (c *cluster) explainAppend(elem string, twice bool) string {
	j := c.net.Journal()
	sends := map[uint64]labrpc.Event{} // the PutAppend calls that carried elem
	var seqs []int64
	for _, e := range j.Events {
		if e.Kind != labrpc.EventSend || e.Method != "PBServer.PutAppend" {
			continue
		}
		if args, ok := e.Info.(PutAppendArgs); ok && args.Value == elem {
			sends[e.Call] = e
			if seq, ok := intField(args, "Seq"); ok && !slices.Contains(seqs, seq) {
				seqs = append(seqs, seq)
			}
		}
	}
	if len(sends) == 0 {
		return ""
	}
	if twice {
		switch {
		case len(seqs) > 1:
			return fmt.Sprintf("\n  hint: the clerk sent this Append %d times, with %d different sequence numbers %v: "+
				"a retry must carry its operation's number, or no server can tell it is a retry; see %s",
				len(sends), len(seqs), seqs, ruleAtMostOnce.doc())
		case len(sends) > 1:
			return fmt.Sprintf("\n  hint: the clerk sent this Append %d times, all with the same client id and number: "+
				"a server applied a retry again; the duplicate table must catch it, at the primary and at the backup, "+
				"and travel with the state; see %s", len(sends), ruleAtMostOnce.doc())
		}
		return ""
	}
	return c.explainLost(j, sends)
}

// explainLost looks at the calls that carried an Append now missing: if a
// primary answered it OK although none of its forwards got a reply in the
// meantime, that was the mistake; otherwise it was lost after the backup had
// it, at a state transfer.
func (c *cluster) explainLost(j labrpc.Journal, sends map[uint64]labrpc.Event) string {
	delivered := map[uint64]time.Time{}
	for _, e := range j.Events {
		if e.Kind == labrpc.EventDeliver && sends[e.Call].Call != 0 {
			delivered[e.Call] = e.Time
		}
	}
	for _, e := range j.Events {
		reply, ok := e.Info.(PutAppendReply)
		if e.Kind != labrpc.EventReply || !ok || reply.Err != OK || sends[e.Call].Call == 0 {
			continue
		}
		primary, from, to := e.To, delivered[e.Call], e.Time
		var forwards []uint64
		answered := false
		for _, f := range j.Events {
			if f.Method != "PBServer.Forward" || f.From != primary || f.Time.Before(from) || f.Time.After(to) {
				continue
			}
			switch f.Kind {
			case labrpc.EventSend:
				forwards = append(forwards, f.Call)
			case labrpc.EventReply:
				answered = true
			}
		}
		if len(forwards) > 0 && !answered {
			return fmt.Sprintf("\n  hint: %s answered OK to this Append (call #%d) although none of its forwards to the "+
				"backup in the meantime got a reply (calls %v): a forward with no reply proves nothing, and the primary "+
				"must send it again until the backup answers or the view ends; see %s", primary, e.Call, forwards, ruleNoAnswer.doc())
		}
		return fmt.Sprintf("\n  hint: %s answered OK to this Append (call #%d) after its backup had it: it was lost "+
			"later, most likely when a new backup took the state (an operation between the snapshot and the "+
			"transfer's arrival, or a transfer taken again after forwards); see %s", primary, e.Call, ruleSendState.doc())
	}
	return ""
}

// intField returns the int64 field called name of the struct v, if it has
// one. The fields a student adds to the RPC types are not in the handout,
// so the tests read them by name.
func intField(v any, name string) (int64, bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Struct {
		return 0, false
	}
	f := rv.FieldByName(name)
	if !f.IsValid() || !f.CanInt() {
		return 0, false
	}
	return f.Int(), true
}
