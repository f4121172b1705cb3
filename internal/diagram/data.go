package diagram

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"pblab/labrpc"
)

// data is what the page draws, as JSON. Times are nanoseconds since
// midnight of the day of the first event, in that event's time zone: in
// virtual time, the time since the test began, as the journal and the topic
// logs print it. Each event keeps its position in the journal (seq), which
// orders the diagram's rows.
type data struct {
	Info
	Nodes   []node     `json:"nodes"`
	Methods []string   `json:"methods"`
	Calls   []call     `json:"calls"`
	Events  []event    `json:"events"`
	Views   []viewMark `json:"views"`

	// Recorded is the number of events the network recorded; Omitted
	// counts those the network's journal had already dropped (its limit is
	// labrpc.JournalLimit), CutEvents those this diagram left out to stay
	// within MaxEvents.
	Recorded  int `json:"recorded"`
	Omitted   int `json:"omitted"`
	CutEvents int `json:"cutEvents"`
	CutCalls  int `json:"cutCalls"`
	MaxEvents int `json:"maxEvents"`
}

// A node is one lane.
type node struct {
	Name string `json:"name"`
	Role string `json:"role"` // "viewservice", "server", "clerk" or "notes"
}

// A point is where an event sits: [seq, time].
type point [2]int64

// A call is one call, with the events of its life.
type call struct {
	ID        uint64 `json:"id"`
	From      int    `json:"f"` // index in Nodes
	To        int    `json:"t"`
	Method    int    `json:"m"` // index in Methods
	Send      *point `json:"s,omitempty"`
	Args      string `json:"a,omitempty"`
	Size      int    `json:"z,omitempty"`
	Deliver   *point `json:"d,omitempty"`
	Late      *point `json:"l,omitempty"` // a lost request delivered late after all
	Again     *point `json:"g,omitempty"` // a delivered request delivered a second time
	End       *point `json:"e,omitempty"`
	Outcome   string `json:"o,omitempty"` // reply, drop-request, drop-reply or fail; "" if it never ended
	Reply     string `json:"r,omitempty"` // the reply, or why the call failed
	ReplySize int    `json:"rz,omitempty"`
}

// An event is a start, restart, crash, partition, heal, note, or a cut,
// mend or delay of a link.
type event struct {
	At     point   `json:"p"`
	Kind   string  `json:"k"`
	Node   int     `json:"n"`           // index in Nodes, -1 for none; where a link starts
	To     int     `json:"t"`           // where a link ends, -1 for none
	Detail string  `json:"d,omitempty"` // a note's text, a partition's groups, a link's delay
	Groups [][]int `json:"g,omitempty"` // a partition's groups, as node indexes
}

// A viewMark is the first sight of a new view: a reply from a view
// service that carried a higher view number than any before.
type viewMark struct {
	At      point  `json:"p"`
	Viewnum uint64 `json:"v"`
	Primary string `json:"pr"`
	Backup  string `json:"b"`
	Node    int    `json:"n"` // who saw it
}

// build turns a journal into the page's data, keeping the calls of at most
// maxEvents events, the latest.
func build(info Info, j labrpc.Journal, desc Description, maxEvents int) data {
	d := data{
		Info:      info,
		Recorded:  len(j.Events) + j.Omitted,
		Omitted:   j.Omitted,
		MaxEvents: maxEvents,
		Nodes:     []node{},
		Methods:   []string{},
		Calls:     []call{},
		Events:    []event{},
		Views:     []viewMark{},
	}
	if len(j.Events) == 0 {
		return d
	}
	first := j.Events[0].Time
	midnight := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, first.Location())
	at := func(seq int) point {
		return point{int64(seq), int64(j.Events[seq].Time.Sub(midnight))}
	}

	d.Nodes = lanes(j.Events, desc)
	nodeIndex := map[string]int{}
	for i, n := range d.Nodes {
		nodeIndex[n.Name] = i
	}
	methodIndex := map[string]int{}
	method := func(m string) int {
		i, ok := methodIndex[m]
		if !ok {
			i = len(d.Methods)
			methodIndex[m] = i
			d.Methods = append(d.Methods, m)
		}
		return i
	}

	cutoff := callCutoff(j.Events, maxEvents)
	keep := map[uint64]bool{}
	for _, e := range j.Events[cutoff:] {
		if e.Call != 0 {
			keep[e.Call] = true
		}
	}

	calls := map[uint64]int{} // call id -> index in d.Calls
	var maxView uint
	for seq, e := range j.Events {
		if e.Call == 0 {
			d.Events = append(d.Events, networkEvent(e, at(seq), nodeIndex))
			continue
		}
		// Views are read from every reply of a view service, kept or not,
		// so that the first view in a window is known.
		if v, ok := e.Info.(View); ok && e.Kind == labrpc.EventReply && desc.isViewService(e.To) && v.Viewnum > maxView {
			maxView = v.Viewnum
			d.Views = append(d.Views, viewMark{At: at(seq), Viewnum: uint64(v.Viewnum), Primary: v.Primary, Backup: v.Backup, Node: nodeIndex[e.From]})
		}
		if !keep[e.Call] {
			continue
		}
		ci, ok := calls[e.Call]
		if !ok {
			ci = len(d.Calls)
			calls[e.Call] = ci
			d.Calls = append(d.Calls, call{ID: e.Call, From: nodeIndex[e.From], To: nodeIndex[e.To], Method: method(e.Method)})
		}
		c := &d.Calls[ci]
		p := at(seq)
		switch e.Kind {
		case labrpc.EventSend:
			c.Send, c.Args, c.Size = &p, e.Detail, e.Size
		case labrpc.EventDeliver:
			c.Deliver = &p
		case labrpc.EventDeliverLate:
			c.Late = &p
		case labrpc.EventDeliverAgain:
			c.Again = &p
		default: // reply, drop-request, drop-reply, fail
			c.End, c.Outcome, c.Reply = &p, e.Kind.String(), e.Detail
			if e.Kind == labrpc.EventReply {
				c.ReplySize = e.Size
			}
		}
	}
	for _, e := range j.Events[:cutoff] {
		if e.Call != 0 && !keep[e.Call] {
			d.CutEvents++
		}
	}
	d.CutCalls = countCalls(j.Events) - len(d.Calls)
	return d
}

// callCutoff returns the index of the first call event a diagram keeps: it
// keeps the calls with an event among the last maxEvents call events.
// Events of other kinds are few and all kept.
func callCutoff(events []labrpc.Event, maxEvents int) int {
	nCallEvents := 0
	for _, e := range events {
		if e.Call != 0 {
			nCallEvents++
		}
	}
	if nCallEvents <= maxEvents {
		return 0
	}
	skip := nCallEvents - maxEvents
	for i, e := range events {
		if e.Call == 0 {
			continue
		}
		if skip == 0 {
			return i
		}
		skip--
	}
	return 0
}

func countCalls(events []labrpc.Event) int {
	ids := map[uint64]bool{}
	for _, e := range events {
		if e.Call != 0 {
			ids[e.Call] = true
		}
	}
	return len(ids)
}

// networkEvent converts an event that belongs to no call.
func networkEvent(e labrpc.Event, p point, nodeIndex map[string]int) event {
	de := event{At: p, Kind: e.Kind.String(), Node: -1, To: -1, Detail: e.Detail}
	if i, ok := nodeIndex[e.From]; ok && (e.From != "" || e.To != "") {
		de.Node = i
	}
	if i, ok := nodeIndex[e.To]; ok && e.To != "" {
		de.To = i
	}
	if groups, ok := e.Info.([][]string); ok && e.Kind == labrpc.EventPartition {
		for _, g := range groups {
			idx := []int{}
			for _, name := range g {
				if i, ok := nodeIndex[name]; ok {
					idx = append(idx, i)
				}
			}
			de.Groups = append(de.Groups, idx)
		}
	}
	return de
}

// lanes returns one lane per name seen in the journal: the view services
// that desc names first, then the other servers (names that were started
// or called), then the clerks (names that only call), then names that only
// wrote notes (the test's own), each group in natural order of names.
func lanes(events []labrpc.Event, desc Description) []node {
	role := map[string]string{}
	rank := map[string]int{"viewservice": 0, "server": 1, "clerk": 2, "notes": 3}
	set := func(name, r string) {
		if desc.isViewService(name) {
			r = "viewservice"
		}
		if old, ok := role[name]; !ok || rank[r] < rank[old] {
			role[name] = r
		}
	}
	for _, e := range events {
		switch {
		case e.Call != 0, e.To != "": // a call, or a link of one
			set(e.From, "clerk")
			set(e.To, "server")
		case e.Kind == labrpc.EventStart || e.Kind == labrpc.EventRestart || e.Kind == labrpc.EventCrash:
			set(e.From, "server")
		case e.Kind == labrpc.EventNote && e.From != "":
			set(e.From, "notes") // a name that only writes notes, such as the test's own
		}
	}
	nodes := make([]node, 0, len(role))
	for name, r := range role {
		nodes = append(nodes, node{Name: name, Role: r})
	}
	slices.SortFunc(nodes, func(a, b node) int {
		if c := cmp.Compare(rank[a.Role], rank[b.Role]); c != 0 {
			return c
		}
		return naturalCompare(a.Name, b.Name)
	})
	return nodes
}

// naturalCompare orders names with their numbers by value: s2 before s10.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitPrefix(a), digitPrefix(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := cmp.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digitPrefix(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
