package diagram

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/labrpc"
)

// textOf renders the text form of the diagram of j.
func textOf(t *testing.T, info Info, j labrpc.Journal, maxEvents int) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, renderText(&b, build(info, j, fakeDescription, maxEvents)))
	return b.String()
}

// bodyOf returns the lines of a text form from its lanes' header on.
func bodyOf(t *testing.T, text string) []string {
	t.Helper()
	_, body, ok := strings.Cut(text, "\ntime ")
	require.True(t, ok, "the text form has a header line of lanes, starting with \"time\":\n%s", text)
	return strings.Split(strings.TrimSuffix("time "+body, "\n"), "\n")
}

// The text form draws each event on a line of its own, in journal order,
// with the lanes as columns: this pins the format down on a small journal.
func TestDiagramTextLines(t *testing.T) {
	base := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }
	ping := func(id uint64, ms int, kind labrpc.EventKind, detail string, info any) labrpc.Event {
		return labrpc.Event{Time: at(ms), Kind: kind, Call: id, From: "s1", To: "vs", Method: "ViewServer.Ping", Detail: detail, Info: info}
	}
	put := func(id uint64, ms int, kind labrpc.EventKind, detail string) labrpc.Event {
		return labrpc.Event{Time: at(ms), Kind: kind, Call: id, From: "ck1", To: "s1", Method: "KV.Put", Detail: detail}
	}
	j := labrpc.Journal{Events: []labrpc.Event{
		{Time: at(0), Kind: labrpc.EventStart, From: "vs"},
		{Time: at(0), Kind: labrpc.EventStart, From: "s1"},
		ping(1, 100, labrpc.EventSend, `{Me:"s1" Viewnum:0}`, nil),
		ping(1, 100, labrpc.EventDeliver, "", nil),
		ping(1, 100, labrpc.EventReply, `{View:{Viewnum:1 Primary:"s1" Backup:""}}`, View{Viewnum: 1, Primary: "s1"}),
		put(2, 150, labrpc.EventSend, `{Key:"k"}`),
		put(2, 160, labrpc.EventDropRequest, ""),
		put(3, 200, labrpc.EventSend, `{Key:"k"}`),
		put(3, 200, labrpc.EventDeliver, ""),
		put(3, 210, labrpc.EventDropReply, ""),
		{Time: at(300), Kind: labrpc.EventPartition, Detail: "[vs s1] | [ck1]", Info: [][]string{{"vs", "s1"}, {"ck1"}}},
		{Time: at(400), Kind: labrpc.EventHeal},
		{Time: at(500), Kind: labrpc.EventCrash, From: "s1"},
		put(4, 600, labrpc.EventSend, `{Key:"k"}`),
		put(4, 700, labrpc.EventFail, "unreachable"),
		{Time: at(800), Kind: labrpc.EventNote, From: "test", Detail: "phase two"},
		{Time: at(900), Kind: labrpc.EventRestart, From: "s1"},
	}}
	want := []string{
		`time             vs  s1  ck1  test`,
		`00:00:00.000000  +       |    |     vs starts`,
		`00:00:00.000000  |   +   |    |     s1 starts`,
		`00:00:00.100000  <---o   |    |     #1 Ping s1 -> vs {Me:"s1" Viewnum:0}`,
		`00:00:00.100000  *   |   |    |     #1 Ping delivered to vs`,
		`00:00:00.100000  ....>   |    |     #1 Ping reply to s1 {View:{Viewnum:1 Primary:"s1" Backup:""}}`,
		`00:00:00.100000  =================  view 1: primary s1, backup none (first seen by s1)`,
		`00:00:00.150000  |   <---o    |     #2 Put ck1 -> s1 {Key:"k"}`,
		`00:00:00.160000  |   x   |    |     #2 Put request lost: the handler never ran`,
		`00:00:00.200000  |   <---o    |     #3 Put ck1 -> s1 {Key:"k"}`,
		`00:00:00.200000  |   *   |    |     #3 Put delivered to s1`,
		`00:00:00.210000  |   ....x    |     #3 Put reply lost: the handler ran, and Call returned false`,
		`00:00:00.300000  1   1   2    |     partition: [vs s1] | [ck1]`,
		`00:00:00.400000  |   |   |    |     heal: the partition ends, and every cut link is mended`,
		`00:00:00.500000  |   X   |    |     s1 crashes`,
		`00:00:00.600000  |   <---o    |     #4 Put ck1 -> s1 {Key:"k"}`,
		`00:00:00.700000  |       /    |     #4 Put failed: unreachable`,
		`00:00:00.800000  |       |    "     note: phase two`,
		`00:00:00.900000  |   +   |    |     s1 restarts, with empty state`,
	}
	text := textOf(t, Info{Test: "TestX", Seed: 7, Failed: true}, j, DefaultMaxEvents)
	assert.Equal(t, want, bodyOf(t, text), "one line per event: time, the lanes with the event's marks, what happened")
	assert.True(t, strings.HasPrefix(text, "TestX (seed 7): FAILED, virtual time."), "the first line names the test, its seed and its fate:\n%s", text)
	assert.Contains(t, text, "Lanes: vs (view service); s1 (server); ck1 (caller); test (notes).", "the header names each lane's role")
}

// The text form of a real run holds every call of the page, each line of a
// call with the call's number, and says what the window left out.
func TestDiagramTextOfARun(t *testing.T) {
	j := journalScenario(t)
	d := build(Info{Test: "TestX"}, j, fakeDescription, DefaultMaxEvents)
	text := textOf(t, Info{Test: "TestX"}, j, DefaultMaxEvents)
	lines := bodyOf(t, text)
	for _, c := range d.Calls {
		n := 0
		for _, p := range []*point{c.Send, c.Deliver, c.Late, c.Again, c.End} {
			if p != nil {
				n++
			}
		}
		id := "#" + strconv.FormatUint(c.ID, 10) + " "
		got := 0
		for _, l := range lines {
			if strings.Contains(l, id) {
				got++
			}
		}
		assert.Equal(t, n, got, "call %s has one line per event of its life, each with its number", id)
	}
	assert.Len(t, lines, 1+len(d.Events)+len(d.Views)+countCallPoints(d), "one line per event and per view, under the header")
	assert.Contains(t, text, "delivered to s1 late, after the call ended", "a late delivery is its own line")
	assert.Contains(t, text, "delivered to s1 again", "a repeated delivery is its own line")
	assert.Contains(t, text, "cut: ck1 can no longer reach s1")
	assert.NotContains(t, text, "left out", "nothing is cut below the cap")

	capped := textOf(t, Info{Test: "TestX"}, j, 30)
	assert.Contains(t, capped, "earlier calls are left out", "the text form says when calls were cut, as the page does")
}

func countCallPoints(d data) int {
	n := 0
	for _, c := range d.Calls {
		for _, p := range []*point{c.Send, c.Deliver, c.Late, c.Again, c.End} {
			if p != nil {
				n++
			}
		}
	}
	return n
}

// WriteText writes the text form where TextPath says, beside the page.
func TestDiagramTextFile(t *testing.T) {
	page := filepath.Join(t.TempDir(), "TestX-7-diagram.html")
	assert.Equal(t, strings.TrimSuffix(page, ".html")+".txt", TextPath(page), "the text form sits beside the page, ending in .txt")
	j := journalScenario(t)
	require.NoError(t, WriteText(TextPath(page), Info{Test: "TestX", Seed: 7}, j, fakeDescription, DefaultMaxEvents))
	data, err := os.ReadFile(TextPath(page))
	require.NoError(t, err)
	assert.Equal(t, textOf(t, Info{Test: "TestX", Seed: 7}, j, DefaultMaxEvents), string(data))

	err = WriteText(filepath.Join(t.TempDir(), "no", "such", "folder.txt"), Info{}, j, fakeDescription, DefaultMaxEvents)
	assert.Error(t, err, "a text form that cannot be written says so")
}
