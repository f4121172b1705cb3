package diagram

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"pblab/labrpc"
)

// The text form of the diagram is for reading where no browser is at hand
// (over SSH, say): the same events as the page, one line each, in the order
// the network recorded them, with a column per lane and the arrows drawn in
// ASCII, then a sentence that says what happened:
//
//	time             vs  s1  s2  clerk1  test
//	00:00:01.100000  <---o   |   |       |       #16 Ping s1 -> vs {Me:"s1" Viewnum:0}
//	00:00:01.100000  *   |   |   |       |       #16 Ping delivered to vs
//	00:00:01.100000  ....>   |   |       |       #16 Ping reply to s1 {View:{Viewnum:1 Primary:"s1" Backup:""}}
//	00:00:01.100000  ========================    view 1: primary s1, backup none (first seen by s1)
//
// Every line of a call holds its number (#16), so that grep finds its
// whole story, and grep -v Ping hides the pings.

// textLegend explains the marks of the lanes, under the text form's title.
const textLegend = `One line per event, in the order the network recorded them; the events of
one call share its number (#12). Marks in the lanes:
  o--->  a request, sent by o, arriving at >    *  the request reaches the handler
  <....  a reply, arriving at <                 x  a request or reply lost, where it would have arrived
  /      the call failed otherwise: see why     +  a server starts or restarts    X  it crashes
  |      a node that is up (blank: down)        1 2  the groups of a partition
  ~~~>   a link mended or given a delay         ~~~x  a link cut
  "      a note                                 =====  a view seen for the first time
`

// WriteText writes the text form of the diagram of the journal j, as d
// describes its messages, into the file at path. It keeps the same events
// as WriteFile with the same maxEvents.
func WriteText(path string, info Info, j labrpc.Journal, d Description, maxEvents int) error {
	return writeFile(path, func(w io.Writer) error { return renderText(w, build(info, j, d, maxEvents)) })
}

// TextPath returns where the text form of the diagram at htmlPath goes:
// beside it, with the extension .txt instead of .html.
func TextPath(htmlPath string) string {
	return strings.TrimSuffix(htmlPath, ".html") + ".txt"
}

// A textRow is one line of the text form, at its place in the journal.
type textRow struct {
	at    point
	order int // breaks ties of at: a view's line follows the reply that carried it
	draw  func(g *gutter)
	text  string // what happened
}

// renderText writes the text form of d to w.
func renderText(w io.Writer, d data) error {
	b := bufio.NewWriter(w)
	writeTextHeader(b, d)
	if len(d.Nodes) > 0 {
		g := newGutter(d)
		fmt.Fprintf(b, "%-17s%s\n", "time", g.header())
		for _, r := range textRows(d) {
			g.reset()
			r.draw(g)
			fmt.Fprintf(b, "%s  %s  %s\n", formatClock(r.at[1]), g.line(), r.text)
		}
	}
	return b.Flush()
}

// writeTextHeader writes the title of the text form: the test, its seed and
// fate, the replay command, what the journal holds, and the legend.
func writeTextHeader(w io.Writer, d data) {
	verdict, clock := "passed", "virtual time"
	if d.Failed {
		verdict = "FAILED"
	}
	if d.Realtime {
		clock = "wall clock"
	}
	fmt.Fprintf(w, "%s (seed %d): %s, %s. pblab message diagram, text form.\n", d.Test, d.Seed, verdict, clock)
	if d.Replay != "" {
		fmt.Fprintf(w, "replay: %s\n", d.Replay)
	}
	fmt.Fprintf(w, "The network recorded %s (%s below).", count(d.Recorded, "event"), count(len(d.Calls), "call"))
	if d.Omitted > 0 {
		fmt.Fprintf(w, " Its journal kept only the last %d: the first %d are lost.", d.Recorded-d.Omitted, d.Omitted)
	}
	if d.CutCalls > 0 {
		fmt.Fprintf(w, " Only the calls of the last %d call events are kept (PBLAB_TRACE_EVENTS changes it): %d earlier calls are left out;"+
			" crashes, partitions, link faults, notes and views are all kept.", d.MaxEvents, d.CutCalls)
	}
	fmt.Fprintf(w, "\nLanes: %s.\n\n%s\n", laneList(d.Nodes), textLegend)
}

// count returns "1 call", "2 calls".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// laneList names the lanes by role: "vs (view service), s1, s2 (servers)".
func laneList(nodes []node) string {
	roles := []struct{ role, one, many string }{
		{"viewservice", "view service", "view services"},
		{"server", "server", "servers"},
		{"clerk", "caller", "callers"},
		{"notes", "notes", "notes"},
	}
	var parts []string
	for _, r := range roles {
		var names []string
		for _, n := range nodes {
			if n.Role == r.role {
				names = append(names, laneName(n.Name))
			}
		}
		switch len(names) {
		case 0:
		case 1:
			parts = append(parts, names[0]+" ("+r.one+")")
		default:
			parts = append(parts, strings.Join(names, ", ")+" ("+r.many+")")
		}
	}
	return strings.Join(parts, "; ")
}

// laneName is the name a lane shows: the node's, or "(anonymous)" for the
// anonymous end.
func laneName(name string) string {
	if name == "" {
		return "(anonymous)"
	}
	return name
}

// textRows returns the lines of the text form, in journal order.
func textRows(d data) []textRow {
	label := methodLabels(d.Methods)
	var rows []textRow
	for _, c := range d.Calls {
		rows = append(rows, callRows(d, c, label[c.Method])...)
	}
	for _, e := range d.Events {
		rows = append(rows, eventRow(d, e))
	}
	for _, v := range d.Views {
		rows = append(rows, viewRow(d, v))
	}
	slices.SortStableFunc(rows, func(a, b textRow) int {
		return cmp.Or(cmp.Compare(a.at[0], b.at[0]), cmp.Compare(a.order, b.order))
	})
	return rows
}

// callRows returns the lines of one call: its send, deliveries and end.
func callRows(d data, c call, method string) []textRow {
	from, to := laneName(d.Nodes[c.From].Name), laneName(d.Nodes[c.To].Name)
	id := fmt.Sprintf("#%d %s", c.ID, method)
	var rows []textRow
	add := func(p *point, draw func(g *gutter), text string) {
		if p != nil {
			rows = append(rows, textRow{at: *p, draw: draw, text: id + " " + text})
		}
	}
	add(c.Send, func(g *gutter) { g.arrow(c.From, c.To, '-', 'o', 0) },
		from+" -> "+to+withSize(c.Args, c.Size))
	add(c.Deliver, func(g *gutter) { g.mark(c.To, '*') }, "delivered to "+to)
	add(c.Late, func(g *gutter) { g.mark(c.To, '*') }, "delivered to "+to+" late, after the call ended: its reply goes nowhere")
	add(c.Again, func(g *gutter) { g.mark(c.To, '*') }, "delivered to "+to+" again: its reply goes nowhere")
	switch c.Outcome {
	case "reply":
		add(c.End, func(g *gutter) { g.arrow(c.To, c.From, '.', '.', 0) }, "reply to "+from+withSize(c.Reply, c.ReplySize))
	case "drop-request":
		add(c.End, func(g *gutter) { g.mark(c.To, 'x') }, "request lost: the handler never ran")
	case "drop-reply":
		add(c.End, func(g *gutter) { g.arrow(c.To, c.From, '.', '.', 'x') }, "reply lost: the handler ran, and Call returned false")
	case "fail":
		add(c.End, func(g *gutter) { g.mark(c.From, '/') }, "failed: "+c.Reply)
	}
	return rows
}

// withSize returns a message's text and its size, each after a space, as
// far as they are known.
func withSize(text string, size int) string {
	if text != "" {
		text = " " + text
	}
	if size > 0 {
		text += fmt.Sprintf(" (%d B)", size)
	}
	return text
}

// eventRow returns the line of a network event.
func eventRow(d data, e event) textRow {
	name := func(i int) string {
		if i < 0 {
			return ""
		}
		return laneName(d.Nodes[i].Name)
	}
	r := textRow{at: e.At, draw: func(*gutter) {}}
	switch e.Kind {
	case "start":
		r.draw, r.text = func(g *gutter) { g.become(e.Node, true, '+') }, name(e.Node)+" starts"
	case "restart":
		r.draw, r.text = func(g *gutter) { g.become(e.Node, true, '+') }, name(e.Node)+" restarts, with empty state"
	case "crash":
		r.draw, r.text = func(g *gutter) { g.become(e.Node, false, 'X') }, name(e.Node)+" crashes"
	case "partition":
		r.draw, r.text = func(g *gutter) { g.groups(e.Groups) }, "partition: "+e.Detail
	case "heal":
		r.text = "heal: the partition ends, and every cut link is mended"
	case "cut":
		r.draw, r.text = func(g *gutter) { g.arrow(e.Node, e.To, '~', '~', 'x') }, "cut: "+name(e.Node)+" can no longer reach "+name(e.To)
	case "mend":
		r.draw, r.text = func(g *gutter) { g.arrow(e.Node, e.To, '~', '~', 0) }, "mend: "+name(e.Node)+" reaches "+name(e.To)+" again"
	case "link-delay":
		r.draw, r.text = func(g *gutter) { g.arrow(e.Node, e.To, '~', '~', 0) }, "link delay: "+name(e.Node)+" -> "+name(e.To)+" takes "+e.Detail+" longer"
	case "note":
		r.draw, r.text = func(g *gutter) { g.mark(e.Node, '"') }, "note: "+e.Detail
	default:
		r.text = e.Kind + " " + e.Detail
	}
	return r
}

// viewRow returns the line of a view seen for the first time.
func viewRow(d data, v viewMark) textRow {
	text := fmt.Sprintf("view %d: primary %s, backup %s (first seen by %s)",
		v.Viewnum, orNone(v.Primary), orNone(v.Backup), laneName(d.Nodes[v.Node].Name))
	return textRow{at: v.At, order: 1, draw: (*gutter).rule, text: text}
}

func orNone(name string) string {
	if name == "" {
		return "none"
	}
	return name
}

// methodLabels returns the name each method goes by: "Ping", or
// "ViewServer.Get" where two services have a method of the same name.
func methodLabels(methods []string) []string {
	short := make([]string, len(methods))
	count := map[string]int{}
	for i, m := range methods {
		short[i] = m[strings.LastIndexByte(m, '.')+1:]
		count[short[i]]++
	}
	for i, m := range methods {
		if count[short[i]] > 1 {
			short[i] = m
		}
	}
	return short
}

// formatClock formats nanoseconds since midnight as the journal and the
// topic logs print times: 00:00:01.200000.
func formatClock(ns int64) string {
	return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(ns)).Format("15:04:05.000000")
}

// A gutter draws the lanes of one line: a column per node, '|' for a node
// that is up and ' ' for a server that is down, with the marks of the
// line's event on top.
type gutter struct {
	col  []int // where each lane's column starts
	name []string
	up   []bool // the lane's node is up
	buf  []byte
}

// newGutter returns the gutter of d's lanes, each as wide as its name,
// two spaces apart. A server is down until it starts if the journal saw it
// start; every other lane is up.
func newGutter(d data) *gutter {
	g := &gutter{}
	width := 0
	for _, n := range d.Nodes {
		g.col = append(g.col, width)
		g.name = append(g.name, laneName(n.Name))
		width += len(laneName(n.Name)) + 2
	}
	g.up = make([]bool, len(d.Nodes))
	for i := range g.up {
		g.up[i] = true
	}
	seen := map[int]bool{}
	for _, e := range d.Events {
		if e.Node < 0 || seen[e.Node] || (e.Kind != "start" && e.Kind != "restart" && e.Kind != "crash") {
			continue
		}
		seen[e.Node] = true
		g.up[e.Node] = e.Kind == "crash" // started later: down until then
	}
	g.buf = make([]byte, max(width-2, 1)) // no gap after the last lane
	return g
}

// header returns the lanes' names, each over its column.
func (g *gutter) header() string {
	b := make([]byte, len(g.buf))
	for i := range b {
		b[i] = ' '
	}
	for i, n := range g.name {
		copy(b[g.col[i]:], n)
	}
	return strings.TrimRight(string(b), " ")
}

// reset draws the lanes as they stand, before the line's marks.
func (g *gutter) reset() {
	for i := range g.buf {
		g.buf[i] = ' '
	}
	for i, c := range g.col {
		if g.up[i] {
			g.buf[c] = '|'
		}
	}
}

// line returns the drawn line.
func (g *gutter) line() string { return string(g.buf) }

// mark puts c in lane i's column.
func (g *gutter) mark(i int, c byte) {
	if i >= 0 && i < len(g.col) {
		g.buf[g.col[i]] = c
	}
}

// become marks lane i with c and notes whether its node is now up.
func (g *gutter) become(i int, up bool, c byte) {
	if i >= 0 && i < len(g.up) {
		g.up[i] = up
	}
	g.mark(i, c)
}

// arrow draws a line of fill from lane from to lane to, with tail at from
// and, at to, head if it is not 0, else an arrowhead pointing at to.
func (g *gutter) arrow(from, to int, fill, tail, head byte) {
	if from < 0 || to < 0 {
		return
	}
	a, b := g.col[from], g.col[to]
	if head == 0 {
		head = '>'
		if b < a {
			head = '<'
		}
	}
	for i := min(a, b) + 1; i < max(a, b); i++ {
		g.buf[i] = fill
	}
	g.buf[a], g.buf[b] = tail, head
}

// groups marks each lane with the number of its group in a partition.
func (g *gutter) groups(groups [][]int) {
	for k, group := range groups {
		for _, i := range group {
			g.mark(i, byte('1'+min(k, 8)))
		}
	}
}

// rule draws a line across every lane: a view seen for the first time.
func (g *gutter) rule() {
	for i := range g.buf {
		g.buf[i] = '='
	}
}
