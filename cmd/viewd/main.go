// Command viewd runs the view service (Part A) as a process of its own, so
// that key/value servers (pbd) and clients (pbc) in other processes can use
// it over TCP. It runs the viewservice package as it is, the student's
// server.go included.
//
// Usage:
//
//	viewd -addr HOST:PORT [-http HOST:PORT]
//
// The view service is named by its address: pbd and pbc take the same
// HOST:PORT as -vs. viewd logs one line per change of view and one per
// server that loses its role, on standard error, as PBLAB_DEBUG=view,dead
// would in a test:
//
//	20:41:07.523410 127.0.0.1:7000 view  view 2: primary 127.0.0.1:7001, backup 127.0.0.1:7002 (after a ping from 127.0.0.1:7001)
//	20:41:12.104874 127.0.0.1:7000 dead  127.0.0.1:7001 is out of view 3: dead, or restarted
//
// PBLAB_DEBUG turns on the view service's other topics (PBLAB_DEBUG=ping
// shows every ping). With -http, viewd also serves a live page: the current
// view, the views so far with when and why each began, and each server's
// last ping, refreshed twice a second.
//
// viewd runs until it is interrupted (Ctrl-C, SIGINT) or terminated
// (SIGTERM); kill -9 crashes it, and with it the whole service: the view
// service is the design's single point of failure. docs/real-processes.md
// walks through a session.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"pblab/cmd/internal/cmdline"
	"pblab/internal/topiclog"
	"pblab/labrpc"
	"pblab/viewservice"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// config is what the command line asks for.
type config struct {
	addr     string // the view service's address and name
	httpAddr string // the live page's address; "" for none
}

// parseFlags reads the command line. Its error has been explained on
// stderr already; -h is flag.ErrHelp.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := cmdline.NewFlagSet("viewd", "viewd -addr HOST:PORT [-http HOST:PORT]",
		"viewd runs the view service (Part A) as a process; pbd and pbc reach it at -addr.", stderr)
	fs.StringVar(&cfg.addr, "addr", "", "serve the view service at `HOST:PORT`, which is also its name (required)")
	fs.StringVar(&cfg.httpAddr, "http", "", "serve a live page of the view service at `HOST:PORT`")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	switch {
	case cfg.addr == "":
		return cfg, cmdline.Refuse(fs, "-addr is required")
	case fs.NArg() > 0:
		return cfg, cmdline.Refuse(fs, "unexpected argument %q", fs.Arg(0))
	}
	return cfg, nil
}

// run is viewd: it returns the exit status, 0 after a clean stop, 1 if it
// could not start, 2 for a mistake on the command line.
func run(args []string, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return cmdline.Status(err)
	}
	signals := cmdline.StopSignals()

	network := labrpc.MakeNetwork()
	defer network.Cleanup()
	vs := viewservice.StartServer(network, cfg.addr)
	defer vs.Kill()
	if _, err := network.ServeTCP(cfg.addr); err != nil {
		fmt.Fprintf(stderr, "viewd: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "viewd: view service at %s (pid %d)\n", cfg.addr, os.Getpid())
	if cfg.httpAddr != "" {
		stop, err := servePage(cfg.httpAddr, vs)
		if err != nil {
			fmt.Fprintf(stderr, "viewd: -http: %v\n", err)
			return 1
		}
		defer stop()
		fmt.Fprintf(stderr, "viewd: live page at http://%s/\n", cfg.httpAddr)
	}

	sig := logViews(vs, newViewLog(stderr), signals)
	fmt.Fprintf(stderr, "viewd: %v: stopping\n", sig)
	return 0
}

// servePage serves the live page of vs at addr until stop.
func servePage(addr string, vs *viewservice.ViewServer) (stop func(), err error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: newPage(vs), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	return func() { srv.Close() }, nil
}

// The topics of viewd's log, those of PBLAB_DEBUG.
const (
	topicView = "view" // each change of view, and why
	topicDead = "dead" // each server that lost its role in a change
)

// newViewLog returns viewd's log. It prints its topics whatever
// PBLAB_DEBUG says, except those PBLAB_DEBUG turns on: the view service
// prints those itself, and a line twice is a line too many.
func newViewLog(w io.Writer) *topiclog.Log {
	byPackage := topiclog.Parse(os.Getenv(topiclog.EnvVar), "vs", []string{topicView, topicDead})
	var topics []string
	for _, topic := range []string{topicView, topicDead} {
		if !byPackage[topic] {
			topics = append(topics, topic)
		}
	}
	return topiclog.Always(w, topics...)
}

// logViews logs every new view of vs, and every server that lost its role
// in it, until a signal comes; it returns the signal. It looks at vs's
// status every PingInterval; each line has the time the view began.
func logViews(vs *viewservice.ViewServer, log *topiclog.Log, signals <-chan os.Signal) os.Signal {
	t := time.NewTicker(viewservice.PingInterval)
	defer t.Stop()
	var last viewservice.View
	for {
		st := vs.Status()
		for _, rec := range st.Views {
			if rec.View.Viewnum > last.Viewnum {
				logChange(log, st.Me, last, rec)
				last = rec.View
			}
		}
		select {
		case sig := <-signals:
			return sig
		case <-t.C:
		}
	}
}

// logChange logs the move from view before to the view of rec.
func logChange(log *topiclog.Log, me string, before viewservice.View, rec viewservice.ViewRecord) {
	after := rec.View
	log.PrintfAt(rec.Start, topicView, me, "%s (%s)", viewservice.FormatView(after), rec.Why)
	for _, old := range []string{before.Primary, before.Backup} {
		if old != "" && old != after.Primary && old != after.Backup {
			log.PrintfAt(rec.Start, topicDead, me, "%s is out of view %d: dead, or restarted", old, after.Viewnum)
		}
	}
}
