package main

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/chromium"
	"pblab/labrpc"
	"pblab/viewservice"
)

// The status the page draws: roles in the current view, whether its
// primary acked it, the views newest first, and how long each server has
// been silent, counted on the view service's clock.
func TestPageStatus(t *testing.T) {
	at := time.Date(2025, 3, 1, 20, 41, 7, 0, time.UTC)
	st := viewservice.Status{
		Me:   "127.0.0.1:7000",
		Time: at,
		View: viewservice.View{Viewnum: 3, Primary: "b", Backup: "c"},
		Views: []viewservice.ViewRecord{
			{View: viewservice.View{Viewnum: 1, Primary: "a"}, Start: at.Add(-3 * time.Second), Why: "after a ping from a"},
			{View: viewservice.View{Viewnum: 2, Primary: "a", Backup: "b"}, Start: at.Add(-2 * time.Second), Why: "after a ping from a"},
			{View: viewservice.View{Viewnum: 3, Primary: "b", Backup: "c"}, Start: at.Add(-time.Second), Why: "at a tick"},
		},
		Servers: []viewservice.ServerRecord{
			{Name: "a", LastPing: at.Add(-1200 * time.Millisecond), Viewnum: 2},
			{Name: "b", LastPing: at.Add(-50 * time.Millisecond), Viewnum: 3},
			{Name: "c", LastPing: at.Add(-60 * time.Millisecond), Viewnum: 0},
		},
	}
	ps := newPageStatus(st)
	assert.Equal(t, "20:41:07.000", ps.Time, "the status's time, as the page shows it")
	assert.Equal(t, pageView{Viewnum: 3, Primary: "b", Backup: "c"}, ps.View, "the current view")
	assert.True(t, ps.Acked, "view 3 is acked: its primary b pinged 3")
	require.Len(t, ps.Views, 3, "every view so far")
	assert.Equal(t, []uint{3, 2, 1}, []uint{ps.Views[0].Viewnum, ps.Views[1].Viewnum, ps.Views[2].Viewnum}, "the views, newest first")
	assert.Equal(t, "20:41:06.000", ps.Views[0].Start, "when view 3 began")
	assert.Equal(t, "at a tick", ps.Views[0].Why, "why view 3 began")
	assert.Equal(t, []pageServer{
		{Name: "a", Role: "idle", SinceMs: 1200, Missed: 12, Viewnum: 2},
		{Name: "b", Role: "primary", SinceMs: 50, Missed: 0, Viewnum: 3},
		{Name: "c", Role: "backup", SinceMs: 60, Missed: 0, Viewnum: 0},
	}, ps.Servers, "each server's role, silence and latest ping")

	st.Servers[1].Viewnum = 2
	assert.False(t, newPageStatus(st).Acked, "view 3 is not acked while its primary's latest ping is Ping(2)")
}

// The live page, in headless Chromium, draws the view service's status,
// and redraws it when the view changes without loading the page again.
//
// The test runs on the wall clock, outside labtest.Run: the browser is
// another process, reading from a real socket, which the virtual clock
// cannot see.
func TestLivePageInChromium(t *testing.T) {
	if _, ok := chromium.Find(); !ok {
		chromium.Headless(t, "about:blank") // skips, saying what to install
	}
	network := labrpc.MakeNetwork()
	t.Cleanup(network.Cleanup)
	vs := viewservice.StartServer(network, "vs")
	t.Cleanup(vs.Kill)
	s1 := viewservice.MakeClerk(network, "s1", "vs")
	s2 := viewservice.MakeClerk(network, "s2", "vs")
	v, err := s1.Ping(0)
	require.NoError(t, err, "the view service answers a ping")
	require.Equal(t, viewservice.View{Viewnum: 1, Primary: "s1"}, v, "the first server to ping is primary of view 1 (Part A's rules)")

	// The page's second fetch of the status finds view 2: s1 acks view 1
	// and s2 joins as backup before it is answered.
	var pageLoads, statusFetches atomic.Int32
	var secondView atomic.Bool
	page := newPage(vs)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			pageLoads.Add(1)
		case "/status":
			if statusFetches.Add(1) == 2 {
				secondView.Store(joinBackup(s1, s2))
			}
		}
		page.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	dom := string(chromium.Headless(t, srv.URL+"/", "--dump-dom", "--virtual-time-budget=5000"))
	require.True(t, secondView.Load(), "s2 became backup in view 2 while the page was open (Part A's rules)")
	body := regexp.MustCompile(`<body[^>]*>`).FindString(dom)
	require.NotEmpty(t, body, "Chromium printed the page's DOM:\n%.2000s", dom)
	assert.Contains(t, body, `data-state="live"`, "the page reached viewd: %s", body)
	assert.Contains(t, body, `data-viewnum="2"`, "the page shows the view that began after it was loaded: %s", body)
	updates := regexp.MustCompile(`data-updates="(\d+)"`).FindStringSubmatch(body)
	require.NotNil(t, updates, "the page counts its updates: %s", body)
	n, _ := strconv.Atoi(updates[1])
	assert.GreaterOrEqual(t, n, 2, "the page redrew itself from a later status")
	assert.Equal(t, int32(1), pageLoads.Load(), "the page was loaded once: it refreshes without a reload")
	assert.Contains(t, dom, `<div class="num">view 2</div>`, "the current view is drawn")
	assert.Regexp(t, `<td><span class="mono">s1</span></td><td><span class="role-primary">primary</span></td>`, dom, "s1 is drawn as primary")
	assert.Regexp(t, `<td><span class="mono">s2</span></td><td><span class="role-backup">backup</span></td>`, dom, "s2 is drawn as backup")
	assert.Regexp(t, `(?s)<table id="views">.*<td>2</td>.*<td>1</td>`, dom, "the history lists view 2, then view 1")
}

// joinBackup has s1 ack view 1 and s2 ping until it is backup of view 2,
// for a few seconds at most; it reports whether it is.
func joinBackup(s1, s2 *viewservice.Clerk) bool {
	want := viewservice.View{Viewnum: 2, Primary: "s1", Backup: "s2"}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(viewservice.PingInterval) {
		s1.Ping(1)
		if v, err := s2.Ping(0); err == nil && v == want {
			s1.Ping(2)
			return true
		}
	}
	return false
}
