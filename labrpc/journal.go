package labrpc

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// EventKind says what happened in a journal Event.
type EventKind uint8

// The kinds of journal events. Those up to EventFail, and EventDeliverLate
// and EventDeliverAgain, follow one call, and have a non-zero Event.Call;
// the others concern the network as a whole.
const (
	EventSend         EventKind = iota + 1 // the caller sent a request (Detail: the args)
	EventDeliver                           // the request reached the handler
	EventDropRequest                       // the network lost the request; the handler never ran
	EventReply                             // the reply reached the caller; Call returned true (Detail: the reply)
	EventDropReply                         // the network lost the reply; the handler ran
	EventFail                              // the call failed otherwise (Detail: why)
	EventStart                             // a server was added (From: its name)
	EventRestart                           // a server was added again after a crash
	EventCrash                             // a server was deleted
	EventPartition                         // the network was partitioned (Detail: the groups; Info: them as [][]string)
	EventHeal                              // the partition was healed and every cut link mended
	EventNote                              // a note added by a test (From: the node, Detail: the text)
	EventDeliverLate                       // a lost request reached the handler late (LateRequests); its reply goes nowhere
	EventDeliverAgain                      // a delivered request reached the handler again (LateRequests); its reply goes nowhere
	EventCut                               // the link from From to To was cut
	EventMend                              // the link from From to To was mended
	EventLinkDelay                         // the link from From to To got a delay (Detail: it; Info: it as a time.Duration; 0 removes it)
)

var kindNames = [...]string{
	EventSend: "send", EventDeliver: "deliver", EventDropRequest: "drop-request",
	EventReply: "reply", EventDropReply: "drop-reply", EventFail: "fail",
	EventStart: "start", EventRestart: "restart", EventCrash: "crash",
	EventPartition: "partition", EventHeal: "heal", EventNote: "note",
	EventDeliverLate: "deliver-late", EventDeliverAgain: "deliver-again",
	EventCut: "cut", EventMend: "mend", EventLinkDelay: "link-delay",
}

func (k EventKind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// An Event is one entry of the journal.
type Event struct {
	Time   time.Time // when it happened (virtual time in tests)
	Kind   EventKind
	Call   uint64 // the call it belongs to, numbered from 1; 0 for other events
	From   string // the caller, the server a server event is about, or where a link starts
	To     string // the server called, or where a link ends
	Method string // "Service.Method"
	Size   int    // encoded bytes of the args (send) or the reply (reply)
	Detail string // a short rendering of the args or reply, or the reason

	// Info holds typed facts for programs: for a send or a reply, what
	// the network's describer (see Describe) made of the message, nil
	// without one; for a partition, its groups ([][]string); for a link
	// delay, the delay (time.Duration).
	Info any
}

func (e Event) String() string {
	s := fmt.Sprintf("%s %-12s", e.Time.Format("15:04:05.000000"), e.Kind)
	if e.Call != 0 {
		s += fmt.Sprintf(" #%d %s -> %s %s", e.Call, orAnon(e.From), e.To, e.Method)
		if e.Size > 0 {
			s += fmt.Sprintf(" (%d B)", e.Size)
		}
	} else if e.To != "" {
		s += " " + orAnon(e.From) + " -> " + e.To
	} else if e.From != "" {
		s += " " + e.From
	}
	if e.Detail != "" {
		s += " " + e.Detail
	}
	return s
}

func orAnon(name string) string {
	if name == "" {
		return `""`
	}
	return name
}

// JournalLimit is the number of events a journal keeps; older events are
// dropped first, and Journal.Omitted counts them.
const JournalLimit = 200_000

// Journal is a copy of a network's recorded events, oldest first.
type Journal struct {
	Events  []Event
	Omitted int // events dropped from the front to stay within JournalLimit
}

type journal struct {
	describe atomic.Pointer[func(svcMeth string, msg any) any] // nil: no describer

	mu      sync.Mutex
	ring    []Event
	next    int // where the next event goes once ring is full
	omitted int
}

func (j *journal) add(e Event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.ring) < JournalLimit {
		j.ring = append(j.ring, e)
		return
	}
	j.ring[j.next] = e
	j.next = (j.next + 1) % JournalLimit
	j.omitted++
}

// Record turns the journal on or off. Events that happen while it is off
// are not recorded.
func (n *Network) Record(on bool) { n.recording.Store(on) }

// Describe sets the network's describer: while the journal is on, f is
// called with the message of every send (the args) and of every reply (the
// reply the caller received), and what it returns is kept in the event's
// Info, so that a reader of the journal gets typed facts about a message
// (the view a view service handed out, say) instead of parsing Detail.
//
// msg is the message itself, not a pointer to it, as the caller passed or
// received it; svcMeth is the call's "Service.Method". f runs on the
// caller's goroutine, inside Call, before Call returns: it must not change
// msg, and should return a small value of its own rather than msg. A nil f
// removes the describer. The journal keeps what f returns as it is; with
// the journal off, f is not called.
func (n *Network) Describe(f func(svcMeth string, msg any) any) {
	if f == nil {
		n.journal.describe.Store(nil)
		return
	}
	n.journal.describe.Store(&f)
}

// Journal returns a copy of the events recorded so far.
func (n *Network) Journal() Journal {
	j := &n.journal
	j.mu.Lock()
	defer j.mu.Unlock()
	events := make([]Event, 0, len(j.ring))
	events = append(events, j.ring[j.next:]...)
	events = append(events, j.ring[:j.next]...)
	return Journal{Events: events, Omitted: j.omitted}
}

// Note adds a test's own annotation to the journal, attributed to node (a
// view change seen by a test, a phase of a scenario).
func (n *Network) Note(node, text string) {
	if n.recording.Load() {
		n.journal.add(Event{Time: time.Now(), Kind: EventNote, From: node, Detail: text})
	}
}

// message journals the send or the reply of a call: its size, its
// preview, and what the describer makes of it.
func (c *call) message(kind EventKind, size int, msg reflect.Value) {
	e := Event{Time: time.Now(), Kind: kind, Call: c.p.id, From: c.e.name, To: c.server, Method: c.svcMeth, Size: size, Detail: preview(msg)}
	if f := c.n.journal.describe.Load(); f != nil && msg.IsValid() {
		e.Info = (*f)(c.svcMeth, msg.Interface())
	}
	c.n.journal.add(e)
}

// noteLocked records e, an event of the network as a whole, at the time of
// the call; n.mu is held.
func (n *Network) noteLocked(e Event) {
	if n.recording.Load() {
		e.Time = time.Now()
		n.journal.add(e)
	}
}

// previewLimit bounds the rendering of a message in the journal.
const previewLimit = 200

// preview renders v in the style of %+v, cut short after about previewLimit
// bytes without walking the rest: a 5 MB state transfer costs no more to
// record than a Ping.
func preview(v reflect.Value) string {
	var b strings.Builder
	writeValue(&b, v)
	if b.Len() > previewLimit {
		return b.String()[:previewLimit] + "…"
	}
	return b.String()
}

func writeValue(b *strings.Builder, v reflect.Value) {
	if b.Len() > previewLimit {
		return
	}
	if !v.IsValid() {
		b.WriteString("<nil>")
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		writeValue(b, v.Elem())
	case reflect.Struct:
		b.WriteByte('{')
		t := v.Type()
		written := 0
		for i := range v.NumField() {
			if b.Len() > previewLimit {
				break
			}
			if !t.Field(i).IsExported() {
				continue // gob does not send it, so the handler never sees it
			}
			if written > 0 {
				b.WriteByte(' ')
			}
			written++
			b.WriteString(t.Field(i).Name)
			b.WriteByte(':')
			writeValue(b, v.Field(i))
		}
		b.WriteByte('}')
	case reflect.Map:
		fmt.Fprintf(b, "map[%d]{", v.Len())
		it := v.MapRange()
		for i := 0; it.Next() && b.Len() <= previewLimit; i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			writeValue(b, it.Key())
			b.WriteByte(':')
			writeValue(b, it.Value())
		}
		b.WriteByte('}')
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			fmt.Fprintf(b, "[%d bytes]", v.Len())
			return
		}
		fmt.Fprintf(b, "[%d]{", v.Len())
		for i := 0; i < v.Len() && b.Len() <= previewLimit; i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			writeValue(b, v.Index(i))
		}
		b.WriteByte('}')
	case reflect.String:
		s := v.String()
		if len(s) > previewLimit {
			s = s[:previewLimit]
		}
		b.WriteString(strconv.Quote(s))
	default:
		if v.CanInterface() {
			fmt.Fprint(b, v.Interface())
		} else {
			b.WriteString(v.Kind().String())
		}
	}
}
