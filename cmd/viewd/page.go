package main

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"pblab/viewservice"
)

// The live page is one HTML file, its style and script inline, with no
// other asset: it works with no network but the one to viewd. It fetches
// /status every refreshInterval and redraws itself from it.

//go:embed page.html
var pageHTML []byte

// refreshInterval is how often the page asks for the status; page.html
// reads it from the status.
const refreshInterval = 500 * time.Millisecond

// newPage returns the handler of viewd's live page of vs: the page at /,
// and vs's status as JSON (pageStatus) at /status.
func newPage(vs *viewservice.ViewServer) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(pageHTML)
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(newPageStatus(vs.Status()))
	})
	return mux
}

// pageStatus is what the page shows, ready to draw: times are rendered
// and durations counted here, on the view service's clock.
type pageStatus struct {
	Me        string       `json:"me"`
	Time      string       `json:"time"` // when the status was taken, "15:04:05.000"
	RefreshMs int64        `json:"refreshMs"`
	DeadPings int          `json:"deadPings"`
	View      pageView     `json:"view"`
	Acked     bool         `json:"acked"` // the primary's latest ping carried the view's number
	Views     []pageView   `json:"views"` // newest first
	Servers   []pageServer `json:"servers"`
}

type pageView struct {
	Viewnum uint   `json:"viewnum"`
	Primary string `json:"primary"`
	Backup  string `json:"backup"`
	Start   string `json:"start,omitempty"` // "15:04:05.000"
	Why     string `json:"why,omitempty"`
}

type pageServer struct {
	Name    string `json:"name"`
	Role    string `json:"role"`    // "primary", "backup" or "idle", in the current view
	SinceMs int64  `json:"sinceMs"` // since its latest ping
	Missed  int    `json:"missed"`  // whole ping intervals since its latest ping
	Viewnum uint   `json:"viewnum"` // the view number of its latest ping
}

// clock renders a time as the page shows it.
func clock(t time.Time) string { return t.Format("15:04:05.000") }

// newPageStatus turns a status into what the page draws.
func newPageStatus(st viewservice.Status) pageStatus {
	v := st.View
	ps := pageStatus{
		Me:        st.Me,
		Time:      clock(st.Time),
		RefreshMs: refreshInterval.Milliseconds(),
		DeadPings: viewservice.DeadPings,
		View:      pageView{Viewnum: v.Viewnum, Primary: v.Primary, Backup: v.Backup},
		Views:     []pageView{},
		Servers:   []pageServer{},
	}
	for _, rec := range slices.Backward(st.Views) {
		ps.Views = append(ps.Views, pageView{
			Viewnum: rec.View.Viewnum, Primary: rec.View.Primary, Backup: rec.View.Backup,
			Start: clock(rec.Start), Why: rec.Why,
		})
	}
	for _, srv := range st.Servers {
		since := st.Time.Sub(srv.LastPing)
		ps.Servers = append(ps.Servers, pageServer{
			Name:    srv.Name,
			Role:    viewservice.RoleIn(v, srv.Name),
			SinceMs: since.Milliseconds(),
			Missed:  int(since / viewservice.PingInterval),
			Viewnum: srv.Viewnum,
		})
		if srv.Name == v.Primary && srv.Viewnum == v.Viewnum {
			ps.Acked = true
		}
	}
	return ps
}
