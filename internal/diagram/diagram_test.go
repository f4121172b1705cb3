package diagram

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/faults"
	"pblab/labrpc"
)

// A small stand-in for the lab's services, so that these tests draw a
// realistic journal without depending on the student's code. The type
// names make the RPC names: "ViewServer.Ping", "KV.Put".

type fakeView struct {
	Viewnum uint
	Primary string
	Backup  string
}

type fakePingArgs struct {
	Me      string
	Viewnum uint
}

type fakePingReply struct{ View fakeView }

// ViewServer makes the first server to ping primary and the second backup.
type ViewServer struct {
	mu   sync.Mutex
	view fakeView
}

func (vs *ViewServer) Ping(args *fakePingArgs, reply *fakePingReply) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	switch {
	case vs.view.Primary == "":
		vs.view = fakeView{vs.view.Viewnum + 1, args.Me, ""}
	case vs.view.Backup == "" && args.Me != vs.view.Primary:
		vs.view = fakeView{vs.view.Viewnum + 1, vs.view.Primary, args.Me}
	}
	reply.View = vs.view
}

type fakePutArgs struct{ Key, Value string }
type fakePutReply struct{ Err string }

type KV struct{}

func (kv *KV) Put(args *fakePutArgs, reply *fakePutReply) { reply.Err = "OK" }

// fakeDescription describes the stand-in services as each part's tests
// describe the lab's: "vs" is the view service, and a Ping's reply carries
// a view.
var fakeDescription = Description{
	ViewServices: []string{"vs"},
	View: func(msg any) (View, bool) {
		if r, ok := msg.(fakePingReply); ok {
			return View(r.View), true
		}
		return View{}, false
	},
}

// fateList is a fault policy that gives the calls it is asked about the
// fates of its list, in order, and then the zero Fate.
type fateList struct{ fates []faults.Fate }

func (l *fateList) Decide(faults.Call) faults.Fate {
	if len(l.fates) == 0 {
		return faults.Fate{}
	}
	f := l.fates[0]
	l.fates = l.fates[1:]
	return f
}

// journalScenario runs a short scenario in virtual time and returns its
// journal: two views, a clerk's puts on a reliable and then an unreliable
// network, a partition and its heal, a cut link and its mend, a link delay,
// a request delivered late and one delivered twice, a crash and a restart,
// and notes.
func journalScenario(t *testing.T) labrpc.Journal {
	var j labrpc.Journal
	synctest.Test(t, func(t *testing.T) {
		net := labrpc.MakeNetwork()
		net.Record(true)
		fakeDescription.Install(net)
		require.NoError(t, net.AddServer("vs", &ViewServer{}))
		require.NoError(t, net.AddServer("s1", &KV{}))
		require.NoError(t, net.AddServer("s2", &KV{}))
		s1, s2, ck := net.MakeEnd("s1"), net.MakeEnd("s2"), net.MakeEnd("ck1")
		for _, e := range []*labrpc.ClientEnd{s1, s2, s1} {
			var reply fakePingReply
			require.True(t, e.Call("vs", "ViewServer.Ping", &fakePingArgs{Me: e.Name()}, &reply))
			time.Sleep(100 * time.Millisecond)
		}
		put := func(server string) {
			var reply fakePutReply
			ck.Call(server, "KV.Put", &fakePutArgs{Key: "k", Value: "v"}, &reply)
			time.Sleep(10 * time.Millisecond)
		}
		put("s1")
		net.Reliable(false)
		for range 60 {
			put("s1")
		}
		net.Reliable(true)
		net.Partition([]string{"vs", "s1"}, []string{"s2", "ck1"})
		put("s1")
		net.Heal()
		net.Cut("ck1", "s1")
		put("s1")
		net.Mend("ck1", "s1")
		net.LinkDelay("ck1", "s1", 50*time.Millisecond)
		put("s1")
		net.LinkDelay("ck1", "s1", 0)
		require.NoError(t, faults.Install(net, &fateList{fates: []faults.Fate{
			{DropRequest: true, DeliverLate: 300 * time.Millisecond},
			{Repeat: 200 * time.Millisecond},
		}}))
		put("s1")
		put("s1")
		require.NoError(t, faults.Install(net, nil))
		time.Sleep(time.Second) // the late and the repeated request arrive
		net.DeleteServer("s2")
		put("s2")
		require.NoError(t, net.AddServer("s2", &KV{}))
		net.Note("ck1", "phase two")
		net.Note("test", "a note of the test's own")
		put("s2")
		j = net.Journal()
		net.Cleanup()
	})
	return j
}

func TestDiagramData(t *testing.T) {
	j := journalScenario(t)
	d := build(Info{Test: "TestX", Seed: 7}, j, fakeDescription, DefaultMaxEvents)

	var lanes []string
	for _, n := range d.Nodes {
		lanes = append(lanes, n.Name+":"+n.Role)
	}
	assert.Equal(t, []string{"vs:viewservice", "s1:server", "s2:server", "ck1:clerk", "test:notes"}, lanes,
		"lanes: the view service first, then servers, clerks and names that only write notes, each in natural order of names")

	outcomes := map[string]int{}
	for _, c := range d.Calls {
		outcomes[c.Outcome]++
		if c.Outcome == "reply" {
			assert.NotNil(t, c.Send, "call #%d replied, so its send is in the journal", c.ID)
			assert.NotNil(t, c.Deliver, "call #%d replied, so it was delivered", c.ID)
			assert.NotEmpty(t, c.Args, "call #%d: its arguments are shown", c.ID)
		}
	}
	assert.Positive(t, outcomes["reply"], "some calls replied: %v", outcomes)
	assert.Positive(t, outcomes["drop-request"]+outcomes["drop-reply"], "the unreliable phase dropped something: %v", outcomes)
	assert.Positive(t, outcomes["fail"], "calls across the partition and to the crashed server failed: %v", outcomes)
	assert.Zero(t, d.CutCalls, "nothing is cut below the cap")

	kinds := map[string]int{}
	for _, e := range d.Events {
		kinds[e.Kind]++
	}
	assert.Equal(t, map[string]int{"start": 3, "partition": 1, "heal": 1, "crash": 1, "restart": 1, "note": 2,
		"cut": 1, "mend": 1, "link-delay": 2}, kinds)
	for _, e := range d.Events {
		switch e.Kind {
		case "partition":
			assert.Equal(t, [][]int{{0, 1}, {2, 3}}, e.Groups, "partition groups as lane indexes, from the event's typed groups")
		case "cut", "mend", "link-delay":
			assert.Equal(t, []int{3, 1}, []int{e.Node, e.To}, "%s: the link from ck1 to s1, as lane indexes", e.Kind)
		default:
			assert.Equal(t, -1, e.To, "%s: only a link's events have an end", e.Kind)
		}
	}

	var late, again []call
	for _, c := range d.Calls {
		if c.Late != nil {
			late = append(late, c)
		}
		if c.Again != nil {
			again = append(again, c)
		}
	}
	if assert.Len(t, late, 1, "one request was delivered late") {
		assert.Equal(t, "drop-request", late[0].Outcome, "the late request was lost first")
		assert.Greater(t, late[0].Late[0], late[0].End[0], "the late delivery comes after the call ended")
	}
	if assert.Len(t, again, 1, "one request was delivered twice") {
		assert.Equal(t, "reply", again[0].Outcome, "the repeated request was delivered and answered first")
		assert.Greater(t, again[0].Again[0], again[0].Deliver[0], "the second delivery comes after the first")
	}

	require.Len(t, d.Views, 2, "two views were handed out")
	assert.Equal(t, viewMark{At: d.Views[0].At, Viewnum: 1, Primary: "s1", Backup: "", Node: 1}, d.Views[0])
	assert.Equal(t, viewMark{At: d.Views[1].At, Viewnum: 2, Primary: "s1", Backup: "s2", Node: 2}, d.Views[1])
	assert.Equal(t, int64(0), d.Views[0].At[1], "times count from midnight: the first ping is at virtual time zero")
}

func TestDiagramCapKeepsTheLatestCalls(t *testing.T) {
	j := journalScenario(t)
	d := build(Info{}, j, fakeDescription, 30)
	assert.Positive(t, d.CutCalls, "calls beyond the cap are cut")
	assert.LessOrEqual(t, len(d.Calls), 30, "at most one call per kept event")
	last := d.Calls[len(d.Calls)-1]
	full := build(Info{}, j, fakeDescription, DefaultMaxEvents)
	assert.Equal(t, full.Calls[len(full.Calls)-1].ID, last.ID, "the latest call is kept")
	assert.Len(t, d.Events, len(full.Events), "every network event is kept")
	assert.Len(t, d.Views, len(full.Views), "every view is kept")
}

// Views come from the typed views in the replies of the servers the
// description names as view services, each the first time its number is
// higher than any before; nothing is read from a message's text.
func TestDiagramViewsComeFromDescribedReplies(t *testing.T) {
	base := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	reply := func(id uint64, to string, detail string, info any) labrpc.Event {
		return labrpc.Event{Time: base.Add(time.Duration(id) * time.Second), Kind: labrpc.EventReply, Call: id,
			From: "s1", To: to, Method: "ViewServer.Ping", Detail: detail, Info: info}
	}
	j := labrpc.Journal{Events: []labrpc.Event{
		reply(1, "vs", `{View:{Viewnum:9 Primary:"x" Backup:""}}`, nil),
		reply(2, "vs", "", View{Viewnum: 0}),
		reply(3, "vs", "", View{Viewnum: 2, Primary: "s1"}),
		reply(4, "other", "", View{Viewnum: 5, Primary: "s9"}),
		reply(5, "vs", "", View{Viewnum: 1, Primary: "s2"}),
		reply(6, "vs", "", View{Viewnum: 3, Primary: "s1", Backup: "s2"}),
	}}
	var got []View
	for _, v := range build(Info{}, j, fakeDescription, DefaultMaxEvents).Views {
		got = append(got, View{Viewnum: uint(v.Viewnum), Primary: v.Primary, Backup: v.Backup})
	}
	assert.Equal(t, []View{{2, "s1", ""}, {3, "s1", "s2"}}, got,
		"only typed views in replies of a view service count, each the first time its number goes up")

	d := build(Info{}, j, Description{}, DefaultMaxEvents)
	assert.Empty(t, d.Views, "without a description, the diagram knows no view")
	assert.Equal(t, []node{{"other", "server"}, {"vs", "server"}, {"s1", "clerk"}}, d.Nodes,
		"without a description, a view service is a server like any other")
}

// A partition's groups come from the typed groups the network puts in the
// event's Info; its Detail is text for people, and is never read back.
func TestDiagramPartitionGroupsAreTyped(t *testing.T) {
	base := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	start := func(name string) labrpc.Event { return labrpc.Event{Time: base, Kind: labrpc.EventStart, From: name} }
	j := labrpc.Journal{Events: []labrpc.Event{
		start("a"), start("b"), start("c"),
		{Time: base, Kind: labrpc.EventPartition, Detail: "[c] | [a b]", Info: [][]string{{"a", "nobody"}, {"b", "c"}}},
		{Time: base, Kind: labrpc.EventPartition, Detail: "[a] | [b c]"},
	}}
	var groups [][][]int
	for _, e := range build(Info{}, j, Description{}, DefaultMaxEvents).Events {
		if e.Kind == "partition" {
			groups = append(groups, e.Groups)
		}
	}
	assert.Equal(t, [][][]int{{{0}, {1, 2}}, nil}, groups,
		"a partition's groups are its Info's, as lane indexes (names without a lane left out); a partition without them has none")
}

func TestDiagramNaturalOrder(t *testing.T) {
	names := []string{"s10", "s2", "s1", "ck", "s02x"}
	slices.SortFunc(names, naturalCompare)
	assert.Equal(t, []string{"ck", "s1", "s2", "s02x", "s10"}, names)
}

// TestDiagramPageIsSelfContained checks what can be checked without a
// browser: the page loads nothing from elsewhere, and no message can end
// the script that holds the data.
func TestDiagramPageIsSelfContained(t *testing.T) {
	j := journalScenario(t)
	j.Events = append(j.Events, labrpc.Event{Time: j.Events[len(j.Events)-1].Time, Kind: labrpc.EventNote, From: "ck1",
		Detail: `</script><script>alert(1)</script>`})
	var b bytes.Buffer
	require.NoError(t, render(&b, build(Info{Test: "TestX"}, j, fakeDescription, DefaultMaxEvents)))
	page := b.String()
	assert.Equal(t, 2, strings.Count(page, "</script>"), "only the page's own two scripts end in the page")
	assert.NotRegexp(t, `(?i)(src|href)\s*=\s*["']?(https?:)?//`, page, "the page loads nothing from the network")
	assert.NotContains(t, page, "{{", "every slot of the template is filled")
}

// BenchmarkDiagramWrite measures writing the diagram of a full journal.
func BenchmarkDiagramWrite(b *testing.B) {
	j := bigJournal(labrpc.JournalLimit)
	path := filepath.Join(b.TempDir(), "d.html")
	for b.Loop() {
		if err := WriteFile(path, Info{Test: "TestBig"}, j, fakeDescription, DefaultMaxEvents); err != nil {
			b.Fatal(err)
		}
	}
}

// bigJournal makes a journal of n events: servers pinging, clerks calling
// a primary that forwards to a backup, with drops and a crash.
func bigJournal(n int) labrpc.Journal {
	base := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	var events []labrpc.Event
	id := uint64(0)
	at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Millisecond) }
	call := func(i int, from, to, method, args, reply string, view any, outcome labrpc.EventKind) {
		id++
		events = append(events,
			labrpc.Event{Time: at(i), Kind: labrpc.EventSend, Call: id, From: from, To: to, Method: method, Size: 40, Detail: args})
		if outcome != labrpc.EventDropRequest {
			events = append(events, labrpc.Event{Time: at(i), Kind: labrpc.EventDeliver, Call: id, From: from, To: to, Method: method})
		}
		end := labrpc.Event{Time: at(i), Kind: outcome, Call: id, From: from, To: to, Method: method, Size: 30, Detail: reply}
		if outcome == labrpc.EventReply {
			end.Info = view
		}
		events = append(events, end)
	}
	for _, s := range []string{"vs", "s1", "s2"} {
		events = append(events, labrpc.Event{Time: base, Kind: labrpc.EventStart, From: s})
	}
	for i := 0; len(events) < n; i++ {
		outcome := labrpc.EventReply
		switch i % 17 {
		case 5:
			outcome = labrpc.EventDropRequest
		case 11:
			outcome = labrpc.EventDropReply
		}
		switch i % 4 {
		case 0:
			s := []string{"s1", "s2"}[i/4%2]
			view := View{Viewnum: uint(1 + i/5000), Primary: "s1", Backup: "s2"}
			call(i, s, "vs", "ViewServer.Ping", fmt.Sprintf(`{Me:%q Viewnum:%d}`, s, view.Viewnum),
				fmt.Sprintf(`{View:{Viewnum:%d Primary:"s1" Backup:"s2"}}`, view.Viewnum), view, outcome)
		case 1:
			call(i, "ck1", "s1", "PBServer.PutAppend", fmt.Sprintf(`{Key:"k%d" Value:"v%d" Op:"Append"}`, i%7, i), `{Err:"OK"}`, nil, outcome)
		case 2:
			call(i, "s1", "s2", "PBServer.Forward", fmt.Sprintf(`{Key:"k%d" Value:"v%d"}`, i%7, i), `{Err:"OK"}`, nil, labrpc.EventReply)
		case 3:
			call(i, "ck2", "s1", "PBServer.Get", fmt.Sprintf(`{Key:"k%d"}`, i%7), `{Err:"OK" Value:"x"}`, nil, outcome)
		}
		if i%20000 == 10000 {
			events = append(events, labrpc.Event{Time: at(i), Kind: labrpc.EventCrash, From: "s2"},
				labrpc.Event{Time: at(i + 300), Kind: labrpc.EventRestart, From: "s2"})
		}
	}
	return labrpc.Journal{Events: events, Omitted: 1234}
}

func TestDiagramOfAFullJournalIsCheap(t *testing.T) {
	j := bigJournal(labrpc.JournalLimit)
	path := filepath.Join(t.TempDir(), "d.html")
	start := time.Now()
	require.NoError(t, WriteFile(path, Info{Test: "TestBig"}, j, fakeDescription, DefaultMaxEvents))
	elapsed := time.Since(start)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	t.Logf("a full journal (%d events): written in %v, %d KB", len(j.Events), elapsed, fi.Size()>>10)
	assert.Less(t, fi.Size(), int64(8<<20), "the diagram of a full journal stays under 8 MB")

	start = time.Now()
	require.NoError(t, WriteText(TextPath(path), Info{Test: "TestBig"}, j, fakeDescription, DefaultMaxEvents))
	elapsed = time.Since(start)
	fi, err = os.Stat(TextPath(path))
	require.NoError(t, err)
	t.Logf("its text form: written in %v, %d KB", elapsed, fi.Size()>>10)
	assert.Less(t, fi.Size(), int64(8<<20), "the text form of a full journal stays under 8 MB")
}
