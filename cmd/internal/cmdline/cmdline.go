// Package cmdline holds what the lab's commands (viewd, pbd, pbc) share:
// they read their command lines the same way (flags, a usage message that
// -h prints, a clear line for a mistake, and the exit statuses that go with
// them), and the daemons stop on the same signals.
package cmdline

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Mistake is the exit status of a mistake on the command line.
const Mistake = 2

// NewFlagSet returns the flag set of the command name, whose usage message,
// written to stderr, is the synopsis, a sentence about what the command
// does, and its flags.
func NewFlagSet(name, synopsis, about string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s\n\n%s\n", synopsis, about)
		fs.PrintDefaults()
	}
	return fs
}

// Refuse explains a mistake on fs's command line, then shows the usage, and
// returns the mistake as an error.
func Refuse(fs *flag.FlagSet, format string, args ...any) error {
	err := fmt.Errorf("%s: %s", fs.Name(), fmt.Sprintf(format, args...))
	fmt.Fprintln(fs.Output(), err)
	fs.Usage()
	return err
}

// Status returns the exit status of a command whose command line could not
// be read: 0 if it asked for help (-h), Mistake otherwise.
func Status(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return Mistake
}

// StopSignals returns a channel that receives the signals that stop a
// daemon cleanly: SIGINT (Ctrl-C) and SIGTERM. kill -9 (SIGKILL) cannot be
// caught: it is the crash.
func StopSignals() <-chan os.Signal {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	return signals
}
