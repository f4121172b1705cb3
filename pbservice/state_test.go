package pbservice

// Table-driven tests of pbState, a server's core: each case drives a few
// cores (s1, s2, ...) directly, one view, operation or transfer at a time,
// with no goroutines, clocks or network. The driver carries each message
// from one core to another, as the servers' shells would.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"pblab/internal/labtest"
	"pblab/viewservice"
)

// The rules the core's tests check, beyond those the scenarios share.
var (
	rulePingZero      = rule{"B2", "a server pings 0 only until it has heard of a view: the view service reads a Ping(0) from its primary or backup as a restart"}
	ruleFirstAck      = rule{"B9", "the primary of view 1, with no backup, acks its view at once"}
	ruleAckAfterState = rule{"B9", "the primary acks a view with a new backup only once the backup holds the state: if the view service moved on sooner and promoted that backup, the state would be lost"}
	ruleOlderView     = rule{"B1", "a view older than the one the server acts in changes nothing"}
	ruleForwardFirst  = rule{"B4", "with a backup, the primary sends every operation, Gets included, to the backup first, and applies it only once the backup has"}
	ruleNoAnswer      = rule{"B7", "a primary whose forward was refused, got no answer, or outlived its view answers ErrWrongServer and applies nothing: the clerk will try again"}
	ruleBackupAccepts = rule{"B6", "the backup accepts a forward only from the primary of the view it acts in"}
	ruleSendState     = rule{"B10", "a primary with a new backup sends it the whole state (data and duplicate table), and serves nothing until the backup has it"}
	ruleOldTransfer   = rule{"B11", "a server refuses a transfer for an older view than its own, or meant for another server"}
	ruleRepeatXfer    = rule{"B11", "a transfer repeated in the view the backup already holds the state of changes nothing: taken again, it would undo the forwards applied since"}
	ruleNoStateSaysSo = rule{"B6", "a backup that lacks the state answers a forward with ErrNoState, and the primary sends it the state again"}
	ruleLateDuplicate = rule{"B12", "a request older than the client's latest applied one is a duplicate too: the network may deliver it late"}
	ruleGetsRepeat    = rule{"B12", "a Get is never answered from the duplicate table: each try reads the current value"}
)

// A coreCase is one case: a sequence of actions on a few cores.
type coreCase struct {
	name string
	rule rule
	run  func(d *coreDriver)
}

// runCoreCases runs each case as a subtest.
func runCoreCases(t *testing.T, cases []coreCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			labtest.Run(t, func(t *testing.T) {
				d := &coreDriver{t: t, c: c, cores: map[string]*pbState{}}
				c.run(d)
			})
		})
	}
}

// A coreDriver holds the cores of one case by name and the history of what
// was done to them, which every failure message shows.
type coreDriver struct {
	t       *testing.T
	c       coreCase
	cores   map[string]*pbState
	history []string
}

func (d *coreDriver) note(format string, args ...any) {
	d.history = append(d.history, fmt.Sprintf(format, args...))
}

// fail reports that the case's rule is broken.
func (d *coreDriver) fail(format string, args ...any) {
	d.t.Helper()
	d.failRule(d.c.rule, format, args...)
}

// failRule reports that rule r is broken.
func (d *coreDriver) failRule(r rule, format string, args ...any) {
	d.t.Helper()
	require.Fail(d.t, r.explain("%s: after [%s], %s", d.c.name, strings.Join(d.history, "; "), fmt.Sprintf(format, args...)))
}

// core returns the core called name, starting it if it does not exist.
func (d *coreDriver) core(name string) *pbState {
	s, ok := d.cores[name]
	if !ok {
		fresh := newPBState(name)
		s = &fresh
		d.cores[name] = s
	}
	return s
}

// restart replaces name's core with a new one: a crash and a restart.
func (d *coreDriver) restart(name string) {
	fresh := newPBState(name)
	d.cores[name] = &fresh
	d.note("%s restarts", name)
}

// view gives each of servers the view v, as the reply to a ping.
func (d *coreDriver) view(v viewservice.View, servers ...string) {
	for _, name := range servers {
		d.core(name).handleView(v)
	}
	d.note("%s learn%s %s", strings.Join(servers, " and "), plural(len(servers)), show(v))
}

func plural(n int) string {
	if n == 1 {
		return "s"
	}
	return ""
}

// show prints a view for a failure message.
func show(v viewservice.View) string {
	return fmt.Sprintf("view %d (primary %s, backup %s)", v.Viewnum, orNoneName(v.Primary), orNoneName(v.Backup))
}

func orNoneName(name string) string {
	if name == "" {
		return "none"
	}
	return name
}

// wantPing checks the view number server pings with.
func (d *coreDriver) wantPing(server string, want uint) {
	d.t.Helper()
	d.wantPingBy(d.c.rule, server, want)
}

func (d *coreDriver) wantPingBy(r rule, server string, want uint) {
	d.t.Helper()
	if got := d.core(server).pingViewnum(); got != want {
		d.failRule(r, "%s pings %d; want %d", server, got, want)
	}
}

// transfer has primary send its state: stateToSend, then handleTransfer at
// the backup it names, then transferDone with the backup's answer. It
// returns the backup's answer, and the transfer, for sending again.
func (d *coreDriver) transfer(primary string) (Err, TransferArgs) {
	d.t.Helper()
	backup, args, ok := d.core(primary).stateToSend()
	if !ok {
		d.failRule(ruleSendState, "%s has no state to send (stateToSend returned false), but its view %s has a backup that has not received it",
			primary, show(d.core(primary).currentView()))
	}
	status := d.core(backup).handleTransfer(&args)
	d.core(primary).transferDone(&args, status)
	d.note("%s sends its state to %s: %s", primary, backup, status)
	return status, args
}

// sync has primary send its state, and requires the backup to take it.
func (d *coreDriver) sync(primary string) {
	d.t.Helper()
	if status, _ := d.transfer(primary); status != OK {
		d.failRule(ruleSendState, "the backup answered the transfer with %q; want OK", status)
	}
}

// syncDecoy has primary send its state to a stand-in for its backup, a
// core outside the case: the primary then forwards to its backup, whose
// own core has not taken the transfer.
func (d *coreDriver) syncDecoy(primary string) {
	d.t.Helper()
	backup, args, ok := d.core(primary).stateToSend()
	if !ok {
		d.failRule(ruleSendState, "%s has no state to send (stateToSend returned false), but its view %s has a backup that has not received it",
			primary, show(d.core(primary).currentView()))
	}
	decoy := newPBState(backup)
	status := decoy.handleTransfer(&args)
	d.core(primary).transferDone(&args, status)
	d.note("%s sends its state to a stand-in for %s: %s", primary, backup, status)
}

// pair makes view 2 = (s1, s2), with s1 primary of view 1 before and s2's
// state sent.
func (d *coreDriver) pair() {
	d.t.Helper()
	d.view(viewservice.View{Viewnum: 1, Primary: "s1"}, "s1")
	d.view(viewservice.View{Viewnum: 2, Primary: "s1", Backup: "s2"}, "s1", "s2")
	d.sync("s1")
}

// An opResult is what a server answered a client.
type opResult struct {
	value  string
	status Err
}

func (r opResult) String() string {
	if r.status == OK && r.value != "" {
		return fmt.Sprintf("OK %q", r.value)
	}
	return string(r.status)
}

// serve has server handle op from a client: startOp, then, if it must
// forward, handleForward at the backup it names (if that core exists, else
// no answer), then finishOp.
func (d *coreDriver) serve(server string, op Op) opResult {
	d.t.Helper()
	step := d.core(server).startOp(op)
	if step.done {
		r := opResult{step.value, step.status}
		d.note("%s: %s %s", server, describe(op), r)
		return r
	}
	var backupStatus Err
	if b, ok := d.cores[step.backup]; ok {
		backupStatus = b.handleForward(&step.forward)
	}
	value, status := d.core(server).finishOp(step, backupStatus)
	r := opResult{value, status}
	d.note("%s: %s via %s (%s) %s", server, describe(op), step.backup, orNoneName(string(backupStatus)), r)
	return r
}

// want checks what server answers op.
func (d *coreDriver) want(server string, op Op, want opResult) {
	d.t.Helper()
	d.wantBy(d.c.rule, server, op, want)
}

func (d *coreDriver) wantBy(r rule, server string, op Op, want opResult) {
	d.t.Helper()
	if got := d.serve(server, op); got != want {
		d.failRule(r, "%s answered %s to %s; want %s", server, got, describe(op), want)
	}
}

// wantValue checks, through a Get from a new client, the value server holds
// for key.
func (d *coreDriver) wantValue(server, key, want string) {
	d.t.Helper()
	status := Err(OK)
	if want == "" {
		status = ErrNoKey
	}
	d.want(server, get(99, 1, key), opResult{want, status})
}

// Operations: client c's operation number seq.
func put(c, seq int64, key, value string) Op {
	return Op{Kind: OpPut, Key: key, Value: value, ClientID: c, Seq: seq}
}

func appendOp(c, seq int64, key, value string) Op {
	return Op{Kind: OpAppend, Key: key, Value: value, ClientID: c, Seq: seq}
}

func get(c, seq int64, key string) Op {
	return Op{Kind: OpGet, Key: key, ClientID: c, Seq: seq}
}

func describe(op Op) string {
	if op.Kind == OpGet {
		return fmt.Sprintf("Get(%q) #%d of client %d", op.Key, op.Seq, op.ClientID)
	}
	return fmt.Sprintf("%s(%q, %q) #%d of client %d", op.Kind, op.Key, op.Value, op.Seq, op.ClientID)
}

var (
	ok      = opResult{status: OK}
	noKey   = opResult{status: ErrNoKey}
	refused = opResult{status: ErrWrongServer}
)

func value(v string) opResult { return opResult{v, OK} }

// A server's pings: 0 until it hears of a view; the primary acks a view
// with a backup only once the backup holds the state.
func TestPBStatePings(t *testing.T) {
	runCoreCases(t, []coreCase{
		{"a new server pings 0", rulePingZero, func(d *coreDriver) {
			d.wantPing("s1", 0)
		}},
		{"the primary of view 1 acks it at once", ruleFirstAck, func(d *coreDriver) {
			d.view(viewservice.View{Viewnum: 1, Primary: "s1"}, "s1")
			d.wantPing("s1", 1)
		}},
		{"a backup that has heard of its view pings its number, not 0", rulePingZero, func(d *coreDriver) {
			d.view(viewservice.View{Viewnum: 2, Primary: "s1", Backup: "s2"}, "s2")
			if d.core("s2").pingViewnum() == 0 {
				d.fail("s2 pings 0")
			}
		}},
		{"the primary acks a view with a new backup only once the backup has the state", ruleAckAfterState, func(d *coreDriver) {
			d.view(viewservice.View{Viewnum: 1, Primary: "s1"}, "s1")
			d.view(viewservice.View{Viewnum: 2, Primary: "s1", Backup: "s2"}, "s1", "s2")
			d.wantPing("s1", 1)
			d.sync("s1")
			d.wantPing("s1", 2)
		}},
		{"no ack while the backup refuses the state or does not answer", ruleAckAfterState, func(d *coreDriver) {
			d.view(viewservice.View{Viewnum: 1, Primary: "s1"}, "s1")
			d.view(viewservice.View{Viewnum: 2, Primary: "s1", Backup: "s2"}, "s1")
			_, args, ok := d.core("s1").stateToSend()
			require.True(d.t, ok, ruleSendState.explain("s1 has no state to send to its new backup s2"))
			d.core("s1").transferDone(&args, "")
			d.note("the transfer to s2 gets no answer")
			d.wantPing("s1", 1)
			d.core("s1").transferDone(&args, ErrWrongServer)
			d.note("s2 refuses the transfer")
			d.wantPing("s1", 1)
		}},
		{"an older view changes nothing", ruleOlderView, func(d *coreDriver) {
			d.pair()
			d.view(viewservice.View{Viewnum: 1, Primary: "s1"}, "s1", "s2")
			for _, name := range []string{"s1", "s2"} {
				if v := d.core(name).currentView(); v.Viewnum != 2 {
					d.fail("%s acts in %s", name, show(v))
				}
			}
			d.want("s1", put(1, 1, "a", "x"), ok)
			d.wantPing("s1", 2)
		}},
	})
}

// A primary with no backup serves clients from its own state; no other
// server serves them.
func TestPBStateLonePrimary(t *testing.T) {
	runCoreCases(t, []coreCase{
		{"the primary of view 1 serves Put, Get and Append from an empty state", ruleLoneServe, func(d *coreDriver) {
			d.view(viewservice.View{Viewnum: 1, Primary: "s1"}, "s1")
			d.want("s1", get(1, 1, "a"), noKey)
			d.want("s1", put(1, 2, "a", "x"), ok)
			d.want("s1", get(1, 3, "a"), value("x"))
			d.want("s1", appendOp(1, 4, "a", "y"), ok)
			d.want("s1", appendOp(1, 5, "b", "z"), ok)
			d.want("s1", get(1, 6, "a"), value("xy"))
			d.want("s1", get(1, 7, "b"), value("z"))
		}},
		{"a server that has heard of no view refuses clients", ruleWrongServer, func(d *coreDriver) {
			d.want("s1", get(1, 1, "a"), refused)
			d.want("s1", put(1, 2, "a", "x"), refused)
		}},
		{"the backup and an idle server refuse clients", ruleOnlyPrimary, func(d *coreDriver) {
			d.pair()
			d.view(viewservice.View{Viewnum: 2, Primary: "s1", Backup: "s2"}, "s3")
			d.want("s2", put(1, 1, "a", "x"), refused)
			d.want("s3", put(1, 1, "a", "x"), refused)
			d.want("s2", get(1, 2, "a"), refused)
			d.wantValue("s1", "a", "")
		}},
		{"a restarted server that a view names primary holds no state and refuses clients", ruleNoStateNoLead, func(d *coreDriver) {
			d.pair()
			d.restart("s2")
			d.view(viewservice.View{Viewnum: 3, Primary: "s2"}, "s2")
			d.want("s2", get(1, 1, "a"), refused)
			d.want("s2", put(1, 2, "a", "x"), refused)
			if d.core("s2").pingViewnum() == 3 {
				d.fail("s2 acks view 3, which it cannot serve")
			}
		}},
	})
}

// With a backup, the primary forwards every operation first, and applies
// it only once the backup has; the backup takes forwards from its primary
// alone.
func TestPBStateForward(t *testing.T) {
	runCoreCases(t, []coreCase{
		{"every operation, Gets included, goes to the backup first", ruleForwardFirst, func(d *coreDriver) {
			d.pair()
			for _, op := range []Op{get(1, 1, "a"), put(1, 2, "a", "x"), appendOp(1, 3, "a", "y")} {
				step := d.core("s1").startOp(op)
				if step.done || step.backup != "s2" {
					d.fail("s1's startOp for %s: done=%v backup=%q; want it forwarded to s2 first", describe(op), step.done, step.backup)
				}
				d.core("s1").finishOp(step, "")
				d.note("s1 forwards %s; no answer comes", describe(op))
			}
		}},
		{"the backup applies what its primary forwards, and takes over with it", ruleTakeOverForwarded, func(d *coreDriver) {
			d.pair()
			d.want("s1", put(1, 1, "a", "x"), ok)
			d.want("s1", appendOp(1, 2, "a", "y"), ok)
			d.want("s1", get(1, 3, "a"), value("xy"))
			d.view(viewservice.View{Viewnum: 3, Primary: "s2"}, "s2")
			d.wantValue("s2", "a", "xy")
		}},
		{"an operation the backup refused, or did not answer, is not applied", ruleNoAnswer, func(d *coreDriver) {
			d.pair()
			d.want("s1", put(1, 1, "a", "x"), ok)
			for _, answer := range []Err{ErrWrongServer, ""} {
				step := d.core("s1").startOp(put(1, 2, "a", "lost"))
				if step.done {
					d.failRule(ruleForwardFirst, "s1 answered a Put without forwarding it to its backup")
				}
				value, status := d.core("s1").finishOp(step, answer)
				d.note("s1 forwards Put(a, lost); the backup answers %q; s1 answers %q", orNoneName(string(answer)), status)
				if status != ErrWrongServer {
					d.fail("s1 answered %q (value %q); want ErrWrongServer", status, value)
				}
			}
			d.view(viewservice.View{Viewnum: 3, Primary: "s1"}, "s1")
			d.wantValue("s1", "a", "x")
		}},
		{"an operation whose view ended while it was at the backup is not applied", ruleNoAnswer, func(d *coreDriver) {
			d.pair()
			step := d.core("s1").startOp(put(1, 1, "a", "x"))
			status := d.core("s2").handleForward(&step.forward)
			d.note("s1 forwards Put(a, x); s2 answers %s", status)
			d.view(viewservice.View{Viewnum: 3, Primary: "s2", Backup: "s1"}, "s1")
			if _, got := d.core("s1").finishOp(step, status); got != ErrWrongServer {
				d.fail("s1, now backup of view 3, answered %q to the client; want ErrWrongServer", got)
			}
		}},
		{"a backup refuses a forward from an older view", ruleBackupAccepts, func(d *coreDriver) {
			d.pair()
			step := d.core("s1").startOp(put(1, 1, "a", "x"))
			d.note("s1 makes a forward of Put(a, x) in view 2")
			d.view(viewservice.View{Viewnum: 3, Primary: "s2"}, "s2")
			if status := d.core("s2").handleForward(&step.forward); status != ErrWrongServer {
				d.fail("s2, primary of view 3, answered %q to the forward of view 2; want ErrWrongServer", status)
			}
			d.wantValue("s2", "a", "")
		}},
		{"a backup refuses a forward from a server that is not its primary", ruleBackupAccepts, func(d *coreDriver) {
			d.pair()
			// s3 believes itself primary of view 2 with backup s2: a view
			// the view service never made.
			d.view(viewservice.View{Viewnum: 1, Primary: "s3"}, "s3")
			d.view(viewservice.View{Viewnum: 2, Primary: "s3", Backup: "s2"}, "s3")
			d.syncDecoy("s3")
			step := d.core("s3").startOp(put(1, 1, "a", "x"))
			if step.done {
				d.failRule(ruleForwardFirst, "s3 answered a Put without forwarding it to its backup")
			}
			if status := d.core("s2").handleForward(&step.forward); status == OK {
				d.fail("s2, backup of s1, accepted a forward from s3")
			}
			d.view(viewservice.View{Viewnum: 3, Primary: "s2"}, "s2")
			d.wantValue("s2", "a", "")
		}},
	})
}

// A new backup gets the whole state before the primary serves again; a
// backup that lacks it says so, and gets it again.
func TestPBStateTransfer(t *testing.T) {
	runCoreCases(t, []coreCase{
		{"the primary serves nothing until its new backup has the state", ruleSendState, func(d *coreDriver) {
			d.view(viewservice.View{Viewnum: 1, Primary: "s1"}, "s1")
			d.want("s1", put(1, 1, "a", "x"), ok)
			d.view(viewservice.View{Viewnum: 2, Primary: "s1", Backup: "s2"}, "s1", "s2")
			if !d.core("s1").needsTransfer() {
				d.fail("s1's needsTransfer is false, but its new backup s2 has not got the state")
			}
			d.want("s1", put(1, 2, "a", "y"), refused)
			d.sync("s1")
			if d.core("s1").needsTransfer() {
				d.fail("s1's needsTransfer is still true after s2 took the state")
			}
			d.want("s1", put(1, 3, "a", "z"), ok)
		}},
		{"the transfer carries the data and the duplicate table", ruleDupTable, func(d *coreDriver) {
			d.view(viewservice.View{Viewnum: 1, Primary: "s1"}, "s1")
			d.want("s1", put(1, 1, "a", "x"), ok)
			d.want("s1", appendOp(2, 1, "a", "y"), ok)
			d.view(viewservice.View{Viewnum: 2, Primary: "s1", Backup: "s2"}, "s1", "s2")
			d.sync("s1")
			d.view(viewservice.View{Viewnum: 3, Primary: "s2"}, "s2")
			d.wantBy(ruleTakeOverTransferred, "s2", get(3, 1, "a"), value("xy"))
			d.want("s2", appendOp(2, 1, "a", "y"), ok)
			d.want("s2", get(3, 2, "a"), value("xy"))
		}},
		{"a server refuses a transfer for an older view, or for another server", ruleOldTransfer, func(d *coreDriver) {
			d.view(viewservice.View{Viewnum: 1, Primary: "s1"}, "s1")
			d.want("s1", put(1, 1, "a", "old"), ok)
			d.view(viewservice.View{Viewnum: 2, Primary: "s1", Backup: "s2"}, "s1")
			_, old, _ := d.core("s1").stateToSend()
			d.note("s1 makes a transfer for view 2")
			d.view(viewservice.View{Viewnum: 3, Primary: "s2"}, "s2")
			d.view(viewservice.View{Viewnum: 4, Primary: "s3", Backup: "s2"}, "s2")
			if status := d.core("s2").handleTransfer(&old); status == OK {
				d.fail("s2, backup of view 4, took the transfer of view 2")
			}
			if status := d.core("s3").handleTransfer(&old); status == OK {
				d.fail("s3 took a transfer meant for s2")
			}
			step := d.core("s1").startOp(get(1, 2, "a"))
			if !step.done {
				if status := d.core("s2").handleForward(&step.forward); status == OK {
					d.fail("s2 took a forward of view 2 after refusing its transfer")
				}
			}
		}},
		{"a transfer taken twice in one view does not undo the forwards since", ruleRepeatXfer, func(d *coreDriver) {
			d.view(viewservice.View{Viewnum: 1, Primary: "s1"}, "s1")
			d.want("s1", put(1, 1, "a", "x"), ok)
			d.view(viewservice.View{Viewnum: 2, Primary: "s1", Backup: "s2"}, "s1", "s2")
			status, args := d.transfer("s1")
			require.Equal(d.t, Err(OK), status, ruleSendState.explain("s2 refused its first transfer"))
			d.want("s1", appendOp(1, 2, "a", "y"), ok)
			again := d.core("s2").handleTransfer(&args)
			d.note("the transfer reaches s2 again: %s", again)
			d.view(viewservice.View{Viewnum: 3, Primary: "s2"}, "s2")
			d.wantValue("s2", "a", "xy")
		}},
		{"a backup restarted before it ever pinged says it lacks the state, and gets it again", ruleNoStateSaysSo, func(d *coreDriver) {
			d.pair()
			d.want("s1", put(1, 1, "a", "x"), ok)
			d.restart("s2")
			d.want("s1", put(1, 2, "b", "y"), refused)
			if !d.core("s1").needsTransfer() {
				d.fail("s1's needsTransfer is false after its backup answered it lacks the state")
			}
			d.sync("s1")
			d.want("s1", put(1, 2, "b", "y"), ok)
			d.view(viewservice.View{Viewnum: 3, Primary: "s2"}, "s2")
			d.wantValue("s2", "a", "x")
			d.wantValue("s2", "b", "y")
		}},
		{"a restarted backup that has heard of its view says it lacks the state too", ruleNoStateSaysSo, func(d *coreDriver) {
			d.pair()
			d.restart("s2")
			d.view(viewservice.View{Viewnum: 2, Primary: "s1", Backup: "s2"}, "s2")
			step := d.core("s1").startOp(put(1, 1, "a", "x"))
			if status := d.core("s2").handleForward(&step.forward); status != ErrNoState {
				d.fail("s2 answered %q to a forward; want ErrNoState", status)
			}
		}},
		{"a server named backup of a new view holds no state until that view's transfer", ruleNoStateSaysSo, func(d *coreDriver) {
			d.pair()
			d.view(viewservice.View{Viewnum: 3, Primary: "s1"}, "s1")
			d.want("s1", put(1, 1, "a", "missed"), ok)
			d.view(viewservice.View{Viewnum: 4, Primary: "s1", Backup: "s2"}, "s1", "s2")
			d.syncDecoy("s1")
			step := d.core("s1").startOp(put(1, 2, "b", "y"))
			if step.done {
				d.failRule(ruleForwardFirst, "s1 answered a Put without forwarding it to its backup")
			}
			if status := d.core("s2").handleForward(&step.forward); status == OK {
				d.fail("s2 took a forward of view 4 without the state of view 4 (it missed Put(a, missed))")
			}
		}},
	})
}

// Each Put or Append takes effect at most once, whatever repeats reach the
// primary or the backup; Gets always read.
func TestPBStateDuplicates(t *testing.T) {
	runCoreCases(t, []coreCase{
		{"a retried Put takes effect once", ruleAtMostOnce, func(d *coreDriver) {
			d.pair()
			d.want("s1", put(1, 1, "a", "x"), ok)
			d.want("s1", put(2, 1, "a", "y"), ok)
			d.want("s1", put(1, 1, "a", "x"), ok)
			d.wantValue("s1", "a", "y")
		}},
		{"a retried Append takes effect once, at the primary and at the backup", ruleAtMostOnce, func(d *coreDriver) {
			d.pair()
			d.want("s1", appendOp(1, 1, "a", "x"), ok)
			step := d.core("s1").startOp(appendOp(1, 2, "a", "y"))
			if step.done {
				d.failRule(ruleForwardFirst, "s1 answered an Append without forwarding it")
			}
			d.core("s2").handleForward(&step.forward)
			d.core("s2").handleForward(&step.forward)
			d.core("s1").finishOp(step, OK)
			d.note("s1 forwards Append(a, y) #2; s2 gets it twice; s1 applies it")
			d.want("s1", appendOp(1, 2, "a", "y"), ok)
			d.wantValue("s1", "a", "xy")
			d.view(viewservice.View{Viewnum: 3, Primary: "s2"}, "s2")
			d.wantValue("s2", "a", "xy")
		}},
		{"a request older than the client's latest is a duplicate", ruleLateDuplicate, func(d *coreDriver) {
			d.view(viewservice.View{Viewnum: 1, Primary: "s1"}, "s1")
			d.want("s1", appendOp(1, 1, "a", "x"), ok)
			d.want("s1", appendOp(1, 2, "a", "y"), ok)
			d.want("s1", appendOp(1, 1, "a", "x"), ok)
			d.wantValue("s1", "a", "xy")
		}},
		{"the backup takes a late forward of an older request as a duplicate", ruleLateDuplicate, func(d *coreDriver) {
			d.pair()
			first := d.core("s1").startOp(appendOp(1, 1, "a", "x"))
			d.core("s1").finishOp(first, d.core("s2").handleForward(&first.forward))
			d.want("s1", appendOp(1, 2, "a", "y"), ok)
			d.core("s2").handleForward(&first.forward)
			d.note("s1's forward of Append(a, x) #1 reaches s2 again, late")
			d.view(viewservice.View{Viewnum: 3, Primary: "s2"}, "s2")
			d.wantValue("s2", "a", "xy")
		}},
		{"a retried Get reads the current value", ruleGetsRepeat, func(d *coreDriver) {
			d.pair()
			d.want("s1", put(1, 1, "a", "x"), ok)
			d.want("s1", get(2, 1, "a"), value("x"))
			d.want("s1", put(1, 2, "a", "y"), ok)
			d.want("s1", get(2, 1, "a"), value("y"))
		}},
	})
}

// A primary that learns of a newer view stops serving at once; as backup
// of that view it takes the new primary's state.
func TestPBStateStalePrimary(t *testing.T) {
	runCoreCases(t, []coreCase{
		{"a primary that learns of a newer view where it is not primary refuses clients", ruleWrongServer, func(d *coreDriver) {
			d.pair()
			d.view(viewservice.View{Viewnum: 3, Primary: "s2", Backup: "s1"}, "s1")
			d.want("s1", get(1, 1, "a"), refused)
			d.want("s1", put(1, 2, "a", "x"), refused)
		}},
		{"the old primary, now backup, takes the new primary's state", ruleTakeOverRestarted, func(d *coreDriver) {
			d.pair()
			d.want("s1", put(1, 1, "a", "x"), ok)
			d.view(viewservice.View{Viewnum: 3, Primary: "s2"}, "s2")
			d.want("s2", put(1, 2, "a", "y"), ok)
			d.view(viewservice.View{Viewnum: 4, Primary: "s2", Backup: "s1"}, "s2")
			d.sync("s2")
			d.want("s2", appendOp(1, 3, "a", "z"), ok)
			d.view(viewservice.View{Viewnum: 5, Primary: "s1"}, "s1")
			d.wantValue("s1", "a", "yz")
		}},
	})
}
