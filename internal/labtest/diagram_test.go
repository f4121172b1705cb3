package labtest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

// journalScenario runs a short scenario in virtual time and returns its
// journal: two views, a clerk's puts on a reliable and then an unreliable
// network, a partition and its heal, a crash and a restart, and a note.
func journalScenario(t *testing.T) labrpc.Journal {
	var j labrpc.Journal
	synctest.Test(t, func(t *testing.T) {
		net := labrpc.MakeNetwork()
		net.Record(true)
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
	d := buildDiagram(diagramInfo{Test: "TestX", Seed: 7}, j, DiagramMaxEvents)

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
	assert.Equal(t, map[string]int{"start": 3, "partition": 1, "heal": 1, "crash": 1, "restart": 1, "note": 2}, kinds)
	for _, e := range d.Events {
		if e.Kind == "partition" {
			assert.Equal(t, [][]int{{0, 1}, {2, 3}}, e.Groups, "partition groups as lane indexes")
		}
	}

	require.Len(t, d.Views, 2, "two views were handed out")
	assert.Equal(t, diagramView{At: d.Views[0].At, Viewnum: 1, Primary: "s1", Backup: "", Node: 1}, d.Views[0])
	assert.Equal(t, diagramView{At: d.Views[1].At, Viewnum: 2, Primary: "s1", Backup: "s2", Node: 2}, d.Views[1])
	assert.Equal(t, int64(0), d.Views[0].At[1], "times count from midnight: the first ping is at virtual time zero")
}

func TestDiagramCapKeepsTheLatestCalls(t *testing.T) {
	j := journalScenario(t)
	d := buildDiagram(diagramInfo{}, j, 30)
	assert.Positive(t, d.CutCalls, "calls beyond the cap are cut")
	assert.LessOrEqual(t, len(d.Calls), 30, "at most one call per kept event")
	last := d.Calls[len(d.Calls)-1]
	full := buildDiagram(diagramInfo{}, j, DiagramMaxEvents)
	assert.Equal(t, full.Calls[len(full.Calls)-1].ID, last.ID, "the latest call is kept")
	assert.Len(t, d.Events, len(full.Events), "every network event is kept")
	assert.Len(t, d.Views, len(full.Views), "every view is kept")
}

func TestDiagramParsesViews(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want diagramView
		ok   bool
	}{
		{`{View:{Viewnum:3 Primary:"s1" Backup:"s2"}}`, diagramView{Viewnum: 3, Primary: "s1", Backup: "s2"}, true},
		{`{View:{Viewnum:3 Primary:s1 Backup:s2}}`, diagramView{Viewnum: 3, Primary: "s1", Backup: "s2"}, true},
		{`{View:{Viewnum:1 Primary:"s1" Backup:""}}`, diagramView{Viewnum: 1, Primary: "s1"}, true},
		{`view {Viewnum:12 Primary:"a"`, diagramView{Viewnum: 12, Primary: "a"}, true},
		{`{View:{Viewnum:0 Primary:"" Backup:""}}`, diagramView{}, false},
		{`{Key:"k" Value:"v"}`, diagramView{}, false},
	} {
		got, ok := parseView(tc.in)
		assert.Equal(t, tc.ok, ok, "parseView(%q) found a view", tc.in)
		assert.Equal(t, tc.want, got, "parseView(%q)", tc.in)
	}
}

func TestDiagramNaturalOrder(t *testing.T) {
	names := []string{"s10", "s2", "s1", "ck", "s02x"}
	slices.SortFunc(names, naturalCompare)
	assert.Equal(t, []string{"ck", "s1", "s2", "s02x", "s10"}, names)
}

func TestDiagramArtifactNames(t *testing.T) {
	seed := int64(42)
	assert.Equal(t, "TestA_sub_case-42-diagram.html", artifactName("TestA/sub case", &seed, "diagram", "html"))
	assert.Equal(t, "TestA-linearizability.html", artifactName("TestA", nil, "linearizability", "html"))
}

// TestDiagramPageIsSelfContained checks what can be checked without a
// browser: the page loads nothing from elsewhere, and no message can end
// the script that holds the data.
func TestDiagramPageIsSelfContained(t *testing.T) {
	j := journalScenario(t)
	j.Events = append(j.Events, labrpc.Event{Time: j.Events[len(j.Events)-1].Time, Kind: labrpc.EventNote, From: "ck1",
		Detail: `</script><script>alert(1)</script>`})
	var b bytes.Buffer
	require.NoError(t, renderDiagram(&b, buildDiagram(diagramInfo{Test: "TestX"}, j, DiagramMaxEvents)))
	page := b.String()
	assert.Equal(t, 2, strings.Count(page, "</script>"), "only the page's own two scripts end in the page")
	assert.NotRegexp(t, `(?i)(src|href)\s*=\s*["']?(https?:)?//`, page, "the page loads nothing from the network")
	assert.NotContains(t, page, "{{", "every slot of the template is filled")
}

// The helper test below fails on purpose, when run as a child process by
// TestDiagramFailingTestPrintsSeedAndDiagram.
const helperEnv = "PBLAB_LABTEST_DIAGRAM_HELPER"

func TestDiagramHelperFailingTest(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("a helper: runs only as the child process of TestDiagramFailingTestPrintsSeedAndDiagram")
	}
	Run(t, func(t *testing.T) {
		net := NewNetwork(t)
		require.NoError(t, net.AddServer("vs", &ViewServer{}))
		end := net.MakeEnd("s1")
		var reply fakePingReply
		end.Call("vs", "ViewServer.Ping", &fakePingArgs{Me: "s1"}, &reply)
		t.Errorf("failing on purpose")
	})
}

func TestDiagramFailingTestPrintsSeedAndDiagram(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		t.Skip("in the child process")
	}
	dir := t.TempDir()
	for _, mode := range []string{"virtual", "realtime"} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestDiagramHelperFailingTest$", "-test.count", "1")
		cmd.Env = append(os.Environ(), helperEnv+"=1", ArtifactDirEnv+"="+dir, "LABRPC_SEED=12345", "PBLAB_REALTIME=")
		if mode == "realtime" {
			cmd.Env = append(cmd.Env, "PBLAB_REALTIME=1")
		}
		out, err := cmd.CombinedOutput()
		require.Error(t, err, "%s: the helper test fails on purpose; output:\n%s", mode, out)

		seeds := regexp.MustCompile(`(?m)^\s*seed: (\d+)$`).FindAllStringSubmatch(string(out), -1)
		require.Len(t, seeds, 1, "%s: a failing test prints exactly one line \"seed: N\"; output:\n%s", mode, out)
		assert.Equal(t, "12345", seeds[0][1], "%s: the seed is LABRPC_SEED's", mode)
		want := "replay: LABRPC_SEED=12345 go test -race -run '^TestDiagramHelperFailingTest$' ./internal/labtest"
		if mode == "realtime" {
			want = "replay: LABRPC_SEED=12345 PBLAB_REALTIME=1 go test -race -run '^TestDiagramHelperFailingTest$' ./internal/labtest"
		}
		assert.Contains(t, string(out), want, "%s: the replay command", mode)

		paths := regexp.MustCompile(`(?m)^\s*diagram: (.+)$`).FindAllStringSubmatch(string(out), -1)
		require.Len(t, paths, 1, "%s: a failing test prints one diagram path; output:\n%s", mode, out)
		path := paths[0][1]
		assert.Equal(t, filepath.Join(dir, "TestDiagramHelperFailingTest-12345-diagram.html"), path)
		page, err := os.ReadFile(path)
		require.NoError(t, err, "%s: the diagram file exists", mode)
		assert.Contains(t, string(page), `"test":"TestDiagramHelperFailingTest"`)
		assert.Contains(t, string(page), `ViewServer.Ping`, "the diagram holds the test's call")
	}
}

// TestDiagramOfPassingTestWithTrace checks that PBLAB_TRACE=1 writes the
// diagram of a passing test, and that without it nothing is written.
func TestDiagramOfPassingTestWithTrace(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		t.Skip("in the child process")
	}
	for _, trace := range []string{"1", ""} {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run", "^TestDiagramHelperPassingTest$", "-test.v", "-test.count", "1")
		cmd.Env = append(os.Environ(), ArtifactDirEnv+"="+dir, TraceEnv+"="+trace, helperEnv+"=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "output:\n%s", out)
		files, _ := filepath.Glob(filepath.Join(dir, "*.html"))
		if trace == "1" {
			assert.Len(t, files, 1, "PBLAB_TRACE=1 writes the diagram of a passing test; output:\n%s", out)
			assert.Contains(t, string(out), "diagram: ")
			assert.NotContains(t, string(out), "seed: ", "a passing test prints no seed")
		} else {
			assert.Empty(t, files, "a passing test writes no diagram without PBLAB_TRACE")
		}
	}
}

func TestDiagramHelperPassingTest(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("a helper: runs only as the child process of TestDiagramOfPassingTestWithTrace")
	}
	Run(t, func(t *testing.T) {
		net := NewNetwork(t)
		require.NoError(t, net.AddServer("vs", &ViewServer{}))
		var reply fakePingReply
		net.MakeEnd("s1").Call("vs", "ViewServer.Ping", &fakePingArgs{Me: "s1"}, &reply)
	})
}

func TestDiagramWriteArtifact(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		t.Skip("in the child process")
	}
	dir := t.TempDir()
	t.Setenv(ArtifactDirEnv, dir)
	t.Setenv("LABRPC_SEED", "99")
	Run(t, func(t *testing.T) {
		NewNetwork(t)
		path, ok := WriteArtifact(t, "linearizability", "html", func(w io.Writer) error {
			_, err := io.WriteString(w, "<p>history</p>")
			return err
		})
		require.True(t, ok, "the artifact is written")
		assert.Equal(t, filepath.Join(dir, "TestDiagramWriteArtifact-99-linearizability.html"), path)
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, "<p>history</p>", string(got))
	})
}

// BenchmarkDiagramWrite measures writing the diagram of a full journal.
func BenchmarkDiagramWrite(b *testing.B) {
	j := bigJournal(labrpc.JournalLimit)
	path := filepath.Join(b.TempDir(), "d.html")
	for b.Loop() {
		if err := writeDiagramFile(path, diagramInfo{Test: "TestBig"}, j, DiagramMaxEvents); err != nil {
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
	call := func(i int, from, to, method, args, reply string, outcome labrpc.EventKind) {
		id++
		events = append(events,
			labrpc.Event{Time: at(i), Kind: labrpc.EventSend, Call: id, From: from, To: to, Method: method, Size: 40, Detail: args})
		if outcome != labrpc.EventDropRequest {
			events = append(events, labrpc.Event{Time: at(i), Kind: labrpc.EventDeliver, Call: id, From: from, To: to, Method: method})
		}
		events = append(events, labrpc.Event{Time: at(i), Kind: outcome, Call: id, From: from, To: to, Method: method, Size: 30, Detail: reply})
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
			call(i, s, "vs", "ViewServer.Ping", fmt.Sprintf(`{Me:%q Viewnum:%d}`, s, 1+i/5000),
				fmt.Sprintf(`{View:{Viewnum:%d Primary:"s1" Backup:"s2"}}`, 1+i/5000), outcome)
		case 1:
			call(i, "ck1", "s1", "PBServer.PutAppend", fmt.Sprintf(`{Key:"k%d" Value:"v%d" Op:"Append"}`, i%7, i), `{Err:"OK"}`, outcome)
		case 2:
			call(i, "s1", "s2", "PBServer.Forward", fmt.Sprintf(`{Key:"k%d" Value:"v%d"}`, i%7, i), `{Err:"OK"}`, labrpc.EventReply)
		case 3:
			call(i, "ck2", "s1", "PBServer.Get", fmt.Sprintf(`{Key:"k%d"}`, i%7), `{Err:"OK" Value:"x"}`, outcome)
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
	require.NoError(t, writeDiagramFile(path, diagramInfo{Test: "TestBig"}, j, DiagramMaxEvents))
	elapsed := time.Since(start)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	t.Logf("a full journal (%d events): written in %v, %d KB", len(j.Events), elapsed, fi.Size()>>10)
	assert.Less(t, fi.Size(), int64(8<<20), "the diagram of a full journal stays under 8 MB")
}
