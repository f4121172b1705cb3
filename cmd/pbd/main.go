// Command pbd runs one key/value server (Part B) as a process of its own:
// it pings the view service (viewd) over TCP, and serves clerks (pbc) and
// the other server there. It runs the pbservice package as it is, the
// student's code included. kill -9 is the crash the lab is about: the other
// server takes over, and nothing acknowledged is lost.
//
// Usage:
//
//	pbd -addr HOST:PORT -vs HOST:PORT [-unreliable]
//
// The server is named by its address: the views name it by -addr, and the
// primary forwards to the backup there. -unreliable makes the server's
// network lossy, as labrpc's Reliable(false) does in the tests: about 10%
// of the requests and 10% of the replies it sends or receives are lost,
// and each request is delayed by up to 27 ms.
//
// pbd asks the view service for the view every PingInterval and logs one
// line per new view and one per change of its own role, on standard error:
//
//	20:41:07.524118 127.0.0.1:7002 view  view 2: primary 127.0.0.1:7001, backup 127.0.0.1:7002
//	20:41:07.524131 127.0.0.1:7002 role  idle -> backup
//
// PBLAB_DEBUG turns on the key/value service's own topic logs (pb, fwd,
// xfer, ...), as in a test. pbd runs until it is interrupted (Ctrl-C,
// SIGINT) or terminated (SIGTERM). docs/real-processes.md walks through a
// session.
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"pblab/cmd/internal/cmdline"
	"pblab/internal/topiclog"
	"pblab/labrpc"
	"pblab/pbservice"
	"pblab/viewservice"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// config is what the command line asks for.
type config struct {
	addr       string // the server's address and name
	vs         string // the view service's address
	unreliable bool
}

// parseFlags reads the command line. Its error has been explained on
// stderr already; -h is flag.ErrHelp.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := cmdline.NewFlagSet("pbd", "pbd -addr HOST:PORT -vs HOST:PORT [-unreliable]",
		"pbd runs one key/value server (Part B) as a process, with the view service at -vs.", stderr)
	fs.StringVar(&cfg.addr, "addr", "", "serve at `HOST:PORT`, which is also the server's name (required)")
	fs.StringVar(&cfg.vs, "vs", "", "the view service's address, `HOST:PORT` (required)")
	fs.BoolVar(&cfg.unreliable, "unreliable", false, "lose about 10% of the requests and replies the server sends or receives")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	switch {
	case cfg.addr == "":
		return cfg, cmdline.Refuse(fs, "-addr is required")
	case cfg.vs == "":
		return cfg, cmdline.Refuse(fs, "-vs is required")
	case cfg.addr == cfg.vs:
		return cfg, cmdline.Refuse(fs, "-addr and -vs must differ: the view service runs in viewd")
	case fs.NArg() > 0:
		return cfg, cmdline.Refuse(fs, "unexpected argument %q", fs.Arg(0))
	}
	return cfg, nil
}

// run is pbd: it returns the exit status, 0 after a clean stop, 1 if it
// could not start, 2 for a mistake on the command line.
func run(args []string, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return cmdline.Status(err)
	}
	signals := cmdline.StopSignals()

	network := labrpc.MakeNetwork()
	defer network.Cleanup()
	network.DialTCP(true)
	network.Reliable(!cfg.unreliable)
	pb := pbservice.StartServer(network, cfg.vs, cfg.addr)
	defer pb.Kill()
	stop, err := network.ServeTCP(cfg.addr)
	if err != nil {
		fmt.Fprintf(stderr, "pbd: %v\n", err)
		return 1
	}
	defer stop() // before Kill: no call reaches a server that is gone
	lossy := ""
	if cfg.unreliable {
		lossy = ", unreliable"
	}
	fmt.Fprintf(stderr, "pbd: key/value server at %s, view service at %s%s (pid %d)\n", cfg.addr, cfg.vs, lossy, os.Getpid())

	w := watcher{me: cfg.addr, vs: viewservice.MakeClerk(network, "", cfg.vs), log: topiclog.Always(stderr, topicView, topicRole)}
	sig := w.watch(signals)
	fmt.Fprintf(stderr, "pbd: %v: stopping\n", sig)
	return 0
}

// The topics of pbd's log: "view" as in PBLAB_DEBUG, and "role", its own.
const (
	topicView = "view" // each new view, and the view service falling silent or answering again
	topicRole = "role" // each change of this server's role
)

// A watcher follows the views the view service hands out, and logs what
// changes for one server.
type watcher struct {
	me  string             // the server watched
	vs  *viewservice.Clerk // asks the view service for the view (Get, not a ping)
	log *topiclog.Log

	view   viewservice.View
	role   string
	missed int // Gets in a row the view service did not answer
}

// watch asks the view service for the view every PingInterval, and logs
// each new view and each change of the server's role, until a signal
// comes; it returns the signal.
func (w *watcher) watch(signals <-chan os.Signal) os.Signal {
	w.role = "idle"
	t := time.NewTicker(viewservice.PingInterval)
	defer t.Stop()
	for {
		select {
		case sig := <-signals:
			return sig
		case <-t.C:
			v, ok := w.vs.Get()
			w.note(v, ok)
		}
	}
}

// note logs what an answer to Get changed: ok is false if none came. The
// view service is said to be silent once it has missed DeadPings Gets in a
// row, as a server is dead to it: one lost message is not news.
func (w *watcher) note(v viewservice.View, ok bool) {
	if !ok {
		w.missed++
		if w.missed == viewservice.DeadPings {
			w.log.Printf(topicView, w.me, "the view service has not answered for %v", viewservice.DeadPings*viewservice.PingInterval)
		}
		return
	}
	if w.missed >= viewservice.DeadPings {
		w.log.Printf(topicView, w.me, "the view service answers again")
	}
	w.missed = 0
	if v == w.view {
		return
	}
	w.view = v
	w.log.Printf(topicView, w.me, "%s", viewservice.FormatView(v))
	if role := viewservice.RoleIn(v, w.me); role != w.role {
		w.log.Printf(topicRole, w.me, "%s -> %s", w.role, role)
		w.role = role
	}
}
