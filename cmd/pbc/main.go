// Command pbc is a client of the key/value service (Part B) run by viewd
// and pbd: one operation per run, through the pbservice package's Clerk,
// the student's code included.
//
// Usage:
//
//	pbc -vs HOST:PORT [-timeout D] put KEY VALUE
//	pbc -vs HOST:PORT [-timeout D] append KEY VALUE
//	pbc -vs HOST:PORT [-timeout D] get KEY
//	pbc -vs HOST:PORT [-timeout D] view
//
// put sets KEY to VALUE, append appends VALUE to KEY's value, get prints
// KEY's value alone on standard output ("" for a key never set), and view
// prints the view service's current view on one line:
//
//	view 3: primary 127.0.0.1:7001, backup 127.0.0.1:7002
//
// ("backup none" when there is none). The Clerk finds the primary through
// the view service and tries until the operation is done: a put or an
// append takes effect exactly once, however often it is sent.
//
// The exit status is 0 on success, 1 on failure, with a line on standard
// error saying why: the view service does not answer, no primary within
// -timeout (10s by default), or no answer from the primary within it, in
// which case a put or an append may or may not have taken effect. It is 2
// for a mistake on the command line.
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"pblab/cmd/internal/cmdline"
	"pblab/labrpc"
	"pblab/pbservice"
	"pblab/viewservice"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// name is the name pbc's calls are made under.
const name = "pbc"

// askViewFor bounds how long pbc tries to reach the view service before it
// says that it does not answer.
const askViewFor = time.Second

// An op is one operation of the command line.
type op struct {
	kind  string // "put", "append", "get" or "view"
	key   string
	value string
}

// config is what the command line asks for.
type config struct {
	vs      string
	timeout time.Duration
	op      op
}

// arity is how many arguments each operation takes.
var arity = map[string]int{"put": 2, "append": 2, "get": 1, "view": 0}

// parseArgs reads the command line. Its error has been explained on stderr
// already; -h is flag.ErrHelp.
func parseArgs(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := cmdline.NewFlagSet("pbc", "pbc -vs HOST:PORT [-timeout D] put KEY VALUE | append KEY VALUE | get KEY | view",
		"pbc runs one operation on the key/value service whose view service is at -vs.", stderr)
	fs.StringVar(&cfg.vs, "vs", "", "the view service's address, `HOST:PORT` (required)")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "give up after this long without a primary or an answer")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return cfg, cmdline.Refuse(fs, "no operation: put, append, get or view")
	}
	n, known := arity[rest[0]]
	switch {
	case cfg.vs == "":
		return cfg, cmdline.Refuse(fs, "-vs is required")
	case cfg.timeout <= 0:
		return cfg, cmdline.Refuse(fs, "-timeout must be positive")
	case !known:
		return cfg, cmdline.Refuse(fs, "unknown operation %q: put, append, get or view", rest[0])
	case len(rest)-1 != n:
		return cfg, cmdline.Refuse(fs, "%s takes %d argument(s), not %d", rest[0], n, len(rest)-1)
	}
	cfg.op = op{kind: rest[0]}
	if n > 0 {
		cfg.op.key = rest[1]
	}
	if n > 1 {
		cfg.op.value = rest[2]
	}
	return cfg, nil
}

// run is pbc: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseArgs(args, stderr)
	if err != nil {
		return cmdline.Status(err)
	}
	network := labrpc.MakeNetwork()
	defer network.Cleanup()
	network.DialTCP(true)

	out, err := perform(network, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "pbc: %v\n", err)
		return 1
	}
	if out != "" || cfg.op.kind == "get" {
		fmt.Fprintln(stdout, out)
	}
	return 0
}

// perform carries out cfg's operation on network, and returns what to
// print: the value of a get, the view of a view, nothing otherwise.
func perform(network *labrpc.Network, cfg config) (string, error) {
	deadline := time.Now().Add(cfg.timeout)
	vs := viewservice.MakeClerk(network, name, cfg.vs)
	view, ok := askView(vs, min(askViewFor, cfg.timeout))
	if !ok {
		return "", fmt.Errorf("the view service at %s does not answer: is viewd running there?", cfg.vs)
	}
	if cfg.op.kind == "view" {
		return viewservice.FormatView(view), nil
	}
	if _, ok := awaitPrimary(vs, view, deadline); !ok {
		return "", fmt.Errorf("no primary within %v: the view service at %s names none", cfg.timeout, cfg.vs)
	}

	done := make(chan string, 1)
	go func() { done <- apply(pbservice.MakeClerk(network, cfg.vs, name), cfg.op) }()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case value := <-done:
		return value, nil
	case <-timer.C:
		return "", noAnswer(vs, cfg)
	}
}

// askView asks the view service for the view, again every PingInterval,
// for the given time at most; ok is false if it never answered.
func askView(vs *viewservice.Clerk, patience time.Duration) (view viewservice.View, ok bool) {
	for deadline := time.Now().Add(patience); ; time.Sleep(viewservice.PingInterval) {
		if v, ok := vs.Get(); ok {
			return v, true
		}
		if time.Now().After(deadline) {
			return viewservice.View{}, false
		}
	}
}

// awaitPrimary returns the first view that has a primary, starting with
// view, asking the view service every PingInterval until the deadline.
func awaitPrimary(vs *viewservice.Clerk, view viewservice.View, deadline time.Time) (viewservice.View, bool) {
	for view.Primary == "" {
		if time.Now().After(deadline) {
			return view, false
		}
		time.Sleep(viewservice.PingInterval)
		if v, ok := vs.Get(); ok {
			view = v
		}
	}
	return view, true
}

// apply runs op through the clerk, which tries until it is done, and
// returns the value of a get.
func apply(ck *pbservice.Clerk, o op) string {
	switch o.kind {
	case "put":
		ck.Put(o.key, o.value)
	case "append":
		ck.Append(o.key, o.value)
	case "get":
		return ck.Get(o.key)
	}
	return ""
}

// noAnswer explains an operation that had no answer in time, with the
// latest view, if the view service still answers.
func noAnswer(vs *viewservice.Clerk, cfg config) error {
	o := cfg.op
	what := fmt.Sprintf("%s %q", o.kind, o.key)
	latest := "the view service does not answer either"
	if v, ok := vs.Get(); ok {
		latest = "latest " + viewservice.FormatView(v)
	}
	if o.kind != "get" {
		latest += "; the " + o.kind + " may or may not have taken effect"
	}
	return fmt.Errorf("%s: no answer from the primary within %v (%s)", what, cfg.timeout, latest)
}
