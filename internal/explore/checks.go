package explore

import (
	"fmt"
	"maps"
	"pblab/internal/explore/plan"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"

	"pblab/internal/diagram"
	"pblab/labrpc"
)

// The checkers of a Part B run, and where the guide explains each rule.
const partBGuide = "docs/part-b-pbservice.md"

var (
	ruleSafety = viewRule{"safety", partBGuide + "#b3"}
	ruleViews  = viewRule{"view service", partAGuide + "#specification"}
	ruleAcked  = viewRule{"ack after the transfer", partBGuide + "#b9"}
	ruleOnce   = viewRule{"exactly-once", partBGuide + "#b12"}
	ruleLinear = viewRule{"linearizability", partBGuide + "#b16"}
	ruleLive   = viewRule{"liveness", "docs/explore.md#liveness"}
	ruleKill   = viewRule{"kill", partBGuide + "#b15"}
)

// A checked run is a record with its verdict and what the checkers
// worked out on the way.
type checked struct {
	rec     *record
	verdict plan.Verdict
	details []string
	history []porcupine.Operation
	linear  porcupine.CheckResult       // porcupine's verdict on the history
	lin     porcupine.LinearizationInfo // and its account of it, for the visualisation
}

// check runs every checker over rec, and returns the first rule broken, in
// the order: safety, the view service's invariants, exactly-once,
// linearizability, liveness, Kill. It runs outside the run's bubble:
// porcupine's search may take real time.
func check(rec *record) *checked {
	c := &checked{rec: rec, history: history(rec)}
	c.linear, c.lin = porcupine.CheckOperationsVerbose(KVModel, c.history, 10*time.Second)
	c.lin.AddAnnotations(rec.notes)
	checkers := []func(*record) (*viewViolation, []string){
		checkSafety, checkViews, checkAckAfterTransfer, checkExactlyOnce, c.checkLinearizable, checkLiveness, checkKill,
	}
	for _, f := range checkers {
		if v, details := f(rec); v != nil {
			c.verdict = plan.Verdict{Kind: v.rule.kind, What: v.what, Doc: v.rule.doc}
			c.details = details
			return c
		}
	}
	return c
}

// at formats a time of the run.
func at(d time.Duration) string { return d.Round(time.Millisecond).String() }

// An incarnation is one life of a server, between two crashes.
type incarnation struct {
	server string
	life   int
}

// incarnations follows the servers' lives through the journal, and the
// lives each call involves: the caller's when it sent the request, the
// server's when the request reached it. A reply may be journaled after a
// crash of either, but it belongs to the lives it was sent and delivered
// in.
type incarnations struct {
	life   map[string]int
	caller map[uint64]incarnation
	callee map[uint64]incarnation
}

func newIncarnations() *incarnations {
	return &incarnations{life: map[string]int{}, caller: map[uint64]incarnation{}, callee: map[uint64]incarnation{}}
}

// note follows e.
func (in *incarnations) note(e labrpc.Event) {
	switch e.Kind {
	case labrpc.EventCrash, labrpc.EventRestart, labrpc.EventStart:
		in.life[e.From]++
	case labrpc.EventSend:
		in.caller[e.Call] = in.current(e.From)
	case labrpc.EventDeliver:
		in.callee[e.Call] = in.current(e.To)
	}
}

// current returns server's life now.
func (in *incarnations) current(server string) incarnation {
	return incarnation{server, in.life[server]}
}

// checkSafety checks that every client answered was answered by a server
// that had received, in the life that answered, a view naming it primary.
func checkSafety(rec *record) (*viewViolation, []string) {
	in := newIncarnations()
	views := map[incarnation][]View{} // the views each life received, in order
	for _, e := range rec.journal.Events {
		in.note(e)
		if e.Kind != labrpc.EventReply {
			continue
		}
		if v, isView := e.Info.(diagram.View); isView && e.Method == methodPing {
			life := in.caller[e.Call]
			views[life] = append(views[life], View(v))
			continue
		}
		a, isAnswer := e.Info.(Answer)
		if !isAnswer || e.Method != methodGet && e.Method != methodPut || a.Err != answerOK && a.Err != answerNoKey {
			continue
		}
		seen := views[in.callee[e.Call]]
		if !slices.ContainsFunc(seen, func(v View) bool { return v.Primary == e.To }) {
			latest := "it had received no view since it started"
			if len(seen) > 0 {
				latest = "the latest view it had received was " + seen[len(seen)-1].String()
			}
			return violated(ruleSafety, "%s answered %s's %s (%s) at %s, but it was never primary: %s",
				e.To, e.From, strings.TrimPrefix(e.Method, "PBServer."), a.Err, at(e.Time.Sub(rec.start)), latest), nil
		}
	}
	return nil, nil
}

// checkViews checks the views the view service handed out: numbers rise by
// one, the successor rule, consecutive views differ.
func checkViews(rec *record) (*viewViolation, []string) {
	byNum := map[uint]View{}
	for _, e := range rec.journal.Events {
		dv, ok := e.Info.(diagram.View)
		if !ok || e.Kind != labrpc.EventReply {
			continue
		}
		v := View(dv)
		if old, seen := byNum[v.Viewnum]; seen && old != v {
			return violated(ruleViews, "a view number names one view: %s, and earlier %s", v, old), nil
		}
		byNum[v.Viewnum] = v
	}
	nums := slices.Sorted(maps.Keys(byNum))
	for i := 1; i < len(nums); i++ {
		prev, next := byNum[nums[i-1]], byNum[nums[i]]
		switch {
		case next.Viewnum != prev.Viewnum+1:
			return violated(ruleViews, "%s followed %s: a view came and went before its primary saw it (the ack rule)", next, prev), nil
		case prev.Viewnum >= 1 && next.Primary != prev.Primary && next.Primary != prev.Backup:
			return violated(ruleViews, "%s followed %s: the successor rule", next, prev), nil
		case prev.Viewnum >= 1 && next.Primary == prev.Primary && next.Backup == prev.Backup:
			return violated(ruleViews, "%s followed %s with the same primary and backup", next, prev), nil
		}
	}
	return nil, nil
}

// checkAckAfterTransfer checks that a primary acks a view with a backup
// only once the backup holds the state: after a transfer to it, answered
// OK, since the primary learned of the view. Otherwise the view service may
// move on and promote a backup that holds nothing.
func checkAckAfterTransfer(rec *record) (*viewViolation, []string) {
	in := newIncarnations()
	views := map[uint]View{}                  // every view handed out, by number
	latest := map[incarnation]uint{}          // the newest view each life received
	sent := map[incarnation]map[string]bool{} // the servers each life sent the state to since then
	acked := map[incarnation]uint{}           // the newest view each life acked
	pings := map[uint64]PingFact{}            // pings sent, by call
	for _, e := range rec.journal.Events {
		in.note(e)
		switch e.Kind {
		case labrpc.EventReply:
			life := in.caller[e.Call]
			if dv, ok := e.Info.(diagram.View); ok {
				views[dv.Viewnum] = View(dv)
				if e.Method == methodPing && dv.Viewnum > latest[life] {
					latest[life] = dv.Viewnum
					delete(sent, life) // a new view needs a new transfer
				}
			}
			if a, ok := e.Info.(Answer); ok && e.Method == methodTransfer && a.Err == answerOK {
				if sent[life] == nil {
					sent[life] = map[string]bool{}
				}
				sent[life][e.To] = true
			}
		case labrpc.EventSend:
			if p, ok := e.Info.(PingFact); ok {
				pings[e.Call] = p
			}
		case labrpc.EventDeliver, labrpc.EventDeliverLate, labrpc.EventDeliverAgain:
			// Only a delivered ping counts: a killed server's leftover
			// tick may still send one, which never arrives.
			p, ok := pings[e.Call]
			life := in.caller[e.Call]
			if !ok || p.Viewnum <= acked[life] {
				continue
			}
			acked[life] = p.Viewnum
			v := views[p.Viewnum]
			if v.Primary != p.Me || v.Backup == "" || latest[life] != p.Viewnum || sent[life][v.Backup] {
				continue
			}
			return violated(ruleAcked, "%s acked %s at %s, before its backup %s had the state: no transfer to %s was answered OK since %s learned of the view",
				p.Me, v, at(e.Time.Sub(rec.start)), v.Backup, v.Backup, p.Me), nil
		}
	}
	return nil, nil
}

// tokenPattern finds the tokens clients append: "[c1.3]".
var tokenPattern = regexp.MustCompile(`\[[^\]]*\]`)

// checkExactlyOnce checks the final value of each append key: every Append
// that returned is in it once, every Append that did not return at most
// once, nothing else, and each client's in the order it issued them.
func checkExactlyOnce(rec *record) (*viewViolation, []string) {
	for _, key := range plan.AppendKeys {
		read := rec.reads[key]
		if read == nil || !read.done {
			continue // the service was stuck: liveness says so
		}
		seen := map[string]int{}
		order := map[string]int{}
		for i, tok := range tokenPattern.FindAllString(read.out, -1) {
			seen[tok]++
			order[tok] = i
		}
		issued := map[string]bool{}
		last := map[int]int{} // client -> position of its latest append found
		for _, op := range rec.ops {
			if op.op.Kind != plan.OpAppend || op.op.Key != key {
				continue
			}
			tok := op.op.Value
			issued[tok] = true
			who := plan.ClientName(op.client)
			switch n := seen[tok]; {
			case n > 1:
				return violated(ruleOnce, "%s's Append of %s to %s took effect %d times", who, tok, key, n), []string{"final value: " + read.out}
			case n == 0 && op.done:
				return violated(ruleOnce, "%s's Append of %s to %s returned at %s but is not in the value", who, tok, key, at(op.retAt)), []string{"final value: " + read.out}
			case n == 1:
				if pos, ok := last[op.client]; ok && order[tok] < pos {
					return violated(ruleOnce, "%s's Appends to %s took effect out of order: %s comes before the one %s issued before it", who, key, tok, who), []string{"final value: " + read.out}
				}
				last[op.client] = order[tok]
			}
		}
		for tok := range seen {
			if !issued[tok] {
				return violated(ruleOnce, "the value of %s holds %s, which no client appended", key, tok), []string{"final value: " + read.out}
			}
		}
	}
	return nil, nil
}

// checkLinearizable reports porcupine's verdict on the history. A check
// that ran out of time counts as passed.
func (c *checked) checkLinearizable(*record) (*viewViolation, []string) {
	if c.linear != porcupine.Illegal {
		return nil, nil
	}
	return violated(ruleLinear, "the history of %d operations is not linearizable: no order of the operations explains every result", len(c.history)), nil
}

// history turns rec's operations into porcupine's. An operation that
// never returned may have taken effect at any time after its call: a Put
// or an Append gets a return after everything else; a Get that never
// returned tells nothing, and is left out.
func history(rec *record) []porcupine.Operation {
	var end int64
	for _, op := range rec.ops {
		end = max(end, op.call, op.ret)
	}
	var h []porcupine.Operation
	for _, op := range rec.ops {
		if !op.done && op.op.Kind == plan.OpGet {
			continue
		}
		ret := op.ret
		if !op.done {
			ret = end + 1
		}
		client := op.client
		if client < 0 {
			client = len(rec.sc.Clients)
		}
		h = append(h, porcupine.Operation{
			ClientId: client,
			Input:    KVInput{Op: op.op.Kind, Key: op.op.Key, Value: op.op.Value},
			Call:     op.call,
			Output:   KVOutput{Value: op.out},
			Return:   ret,
		})
	}
	return h
}

// checkLiveness checks that once the faults stopped, every operation
// completed within LivenessBound, if the view service's latest view could
// be served (see servable): otherwise the service may wait for good, as
// the design allows. The view service may make its last decisions after
// the faults stopped, from what it saw during them: a backup it promotes
// may have restarted, its state lost, an instant before.
func checkLiveness(rec *record) (*viewViolation, []string) {
	live, why := servable(rec)
	calm := time.Duration(rec.sc.Calm)
	var worst *opRecord
	var worstLate time.Duration
	for i := range rec.ops {
		op := &rec.ops[i]
		deadline := max(op.callAt, calm) + plan.LivenessBound
		late := op.retAt - deadline
		if !op.done {
			late = time.Duration(1<<62 - 1)
		}
		if late > 0 && (worst == nil || late > worstLate) {
			worst, worstLate = op, late
		}
	}
	if worst == nil {
		return nil, nil
	}
	if !live {
		return nil, nil
	}
	who := plan.ClientName(worst.client)
	if worst.client < 0 {
		who = readerName
	}
	since := max(worst.callAt, calm)
	what := fmt.Sprintf("%s's %s, called at %s, had not returned %v after the faults stopped (at %s), with %s",
		who, worst.op, at(worst.callAt), plan.LivenessBound, at(calm), why)
	if worst.done {
		what = fmt.Sprintf("%s's %s, called at %s, took %s to return once the faults had stopped (at %s), more than %v, with %s",
			who, worst.op, at(worst.callAt), at(worst.retAt-since), at(calm), plan.LivenessBound, why)
	}
	var details []string
	if wait := mutualWait(rec); wait != "" {
		details = append(details, wait)
	}
	return violated(ruleLive, "%s", what), details
}

// A longCall is a call between two servers that took longer than
// LivenessBound to end, or never ended.
type longCall struct {
	from, to, method string
	sent, ended      time.Time // ended is rec.end for a call that never ended
}

// mutualWait looks for two servers that waited on each other: a long call
// from each to the other, at the same time. It describes the first pair,
// or returns "".
func mutualWait(rec *record) string {
	servers := map[string]bool{}
	for i := range rec.sc.Servers {
		servers[plan.ServerName(i)] = true
	}
	open := map[uint64]*longCall{}
	var long []*longCall
	for _, e := range rec.journal.Events {
		switch e.Kind {
		case labrpc.EventSend:
			if servers[e.From] && servers[e.To] {
				open[e.Call] = &longCall{from: e.From, to: e.To, method: e.Method, sent: e.Time}
			}
		case labrpc.EventReply, labrpc.EventDropRequest, labrpc.EventDropReply, labrpc.EventFail:
			if c, ok := open[e.Call]; ok {
				delete(open, e.Call)
				if c.ended = e.Time; c.ended.Sub(c.sent) > plan.LivenessBound {
					long = append(long, c)
				}
			}
		}
	}
	for _, c := range open {
		c.ended = rec.end
		if c.ended.Sub(c.sent) > plan.LivenessBound {
			long = append(long, c)
		}
	}
	for _, a := range long {
		for _, b := range long {
			if a.from == b.to && a.to == b.from && a.sent.Before(b.ended) && b.sent.Before(a.ended) && a.sent.Before(b.sent) {
				return fmt.Sprintf("%s and %s waited on each other: %s's %s to %s, sent at %s, and %s's %s to %s, sent at %s, "+
					"were both in flight for more than %v (a handler that waits for a lock its server holds across a call to the other; "+
					"only labrpc's HandlerTimeout of 10s ends such a wait)",
					a.from, a.to, a.from, a.method, a.to, at(a.sent.Sub(rec.start)), b.from, b.method, b.to, at(b.sent.Sub(rec.start)), plan.LivenessBound)
			}
		}
	}
	return ""
}

// servable reports whether, at the end of the run (before everything is
// killed), a server holding the state was alive where the view service
// could use it: the primary of its latest view, or the backup if the
// primary had acked the view. It says which, or why not.
//
// A server holds the state from the moment it is the first primary of all
// (view 1), or a transfer to it is answered OK, until it crashes, or a view
// is handed out without it. A view counts as acked once its primary's ping
// with its number reached the view service.
func servable(rec *record) (bool, string) {
	holds := map[string]bool{}
	var latest View
	acked := false
	pings := map[uint64]PingFact{}
	in := newIncarnations()
	for _, e := range rec.journal.Events {
		if !e.Time.Before(rec.end) {
			break // the run is over: everything is being killed
		}
		in.note(e)
		switch e.Kind {
		case labrpc.EventCrash, labrpc.EventRestart, labrpc.EventStart:
			delete(holds, e.From)
		case labrpc.EventSend:
			if p, ok := e.Info.(PingFact); ok {
				pings[e.Call] = p
			}
		case labrpc.EventDeliver, labrpc.EventDeliverLate, labrpc.EventDeliverAgain:
			if p, ok := pings[e.Call]; ok && p.Me == latest.Primary && p.Viewnum == latest.Viewnum && latest.Viewnum > 0 {
				acked = true
			}
		case labrpc.EventReply:
			if dv, ok := e.Info.(diagram.View); ok && dv.Viewnum > latest.Viewnum {
				latest, acked = View(dv), false
				if latest.Viewnum == 1 {
					holds[latest.Primary] = true
				}
				for name := range holds {
					if name != latest.Primary && name != latest.Backup {
						delete(holds, name)
					}
				}
			}
			if a, ok := e.Info.(Answer); ok && e.Method == methodTransfer && a.Err == answerOK &&
				(e.To == latest.Primary || e.To == latest.Backup) && in.callee[e.Call] == in.current(e.To) {
				holds[e.To] = true // the life that took the state is the one alive
			}
		}
	}
	switch {
	case latest.Viewnum == 0:
		return false, "no view yet"
	case holds[latest.Primary]:
		return true, fmt.Sprintf("the primary %s of %s holding the state", latest.Primary, latest)
	case acked && latest.Backup != "" && holds[latest.Backup]:
		return true, fmt.Sprintf("the backup %s of %s, acked, holding the state", latest.Backup, latest)
	}
	return false, fmt.Sprintf("no server holding the state in %s", latest)
}

// checkKill checks that a killed server falls silent: no call leaves it
// more than killGrace after its Kill, until it is started again.
func checkKill(rec *record) (*viewViolation, []string) {
	down := map[string]time.Time{}
	for _, e := range rec.journal.Events {
		switch e.Kind {
		case labrpc.EventCrash:
			down[e.From] = e.Time
		case labrpc.EventRestart, labrpc.EventStart:
			delete(down, e.From)
		case labrpc.EventSend:
			if t, ok := down[e.From]; ok && e.Time.Sub(t) > killGrace {
				return violated(ruleKill, "%s called %s's %s at %s, %s after it was killed: Kill must stop every goroutine of the server",
					e.From, e.To, e.Method, at(e.Time.Sub(rec.start)), at(e.Time.Sub(t))), nil
			}
		}
	}
	return nil, nil
}
