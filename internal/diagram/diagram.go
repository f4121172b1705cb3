// Package diagram draws the message diagram of a test run from its
// network's journal: one self-contained HTML page with a lane per node
// (the view service, the servers, the clerks, the test's own notes), an
// arrow per call with its fate (and a dash-dot arrow for each late or
// repeated delivery of its request), and the network's crashes,
// partitions, cut and mended links, link delays and notes. The harness
// (internal/labtest) writes one for every failing test.
//
// The journal says who called whom; what the messages mean comes from a
// Description, which each part's tests give for their own services: which
// servers are view services, and which messages carry a view. Install puts
// it on a network, whose journal then keeps each view as a typed value
// (labrpc's Describe), and WriteFile draws the page with it.
package diagram

import (
	"bufio"
	"io"
	"os"
	"slices"

	"pblab/labrpc"
)

// DefaultMaxEvents is how many journal events a diagram keeps by default:
// the calls of the last DefaultMaxEvents events before the test ended (the
// failure is most often near the end), plus every crash, restart,
// partition, heal, cut, mend, link delay, note and view change.
const DefaultMaxEvents = 20_000

// A View is what the diagram knows of a view: its number, primary and
// backup.
type View struct {
	Viewnum uint
	Primary string
	Backup  string
}

// A Description says what a network's messages mean to the diagram.
type Description struct {
	// ViewServices names the servers that are view services. Their lanes
	// come first, and the views in their replies are drawn.
	ViewServices []string
	// View returns the view a message carries, if it carries one. It is
	// called with each message as labrpc's Describe passes it: the
	// message's value, not a pointer to it.
	View func(msg any) (View, bool)
}

// Install makes net's journal keep the view of every message that carries
// one, as d.View finds it, so that the diagram of that journal can draw
// the views. It replaces net's describer, if it had one.
func (d Description) Install(net *labrpc.Network) {
	if d.View == nil {
		net.Describe(nil)
		return
	}
	net.Describe(func(_ string, msg any) any {
		if v, ok := d.View(msg); ok {
			return v
		}
		return nil
	})
}

// isViewService reports whether the server called name is a view service.
func (d Description) isViewService(name string) bool {
	return slices.Contains(d.ViewServices, name)
}

// Info describes the run a diagram is drawn from; the page shows it in its
// title.
type Info struct {
	Test     string `json:"test"`
	Seed     int64  `json:"seed,string"` // a string: JavaScript numbers lose digits past 2^53
	Replay   string `json:"replay"`      // the command that replays the run
	Failed   bool   `json:"failed"`
	Realtime bool   `json:"realtime"` // the run was on the wall clock
}

// WriteFile draws the diagram of the journal j, as d describes its
// messages, into the file at path. It keeps the calls of at most
// maxEvents events, the latest.
func WriteFile(path string, info Info, j labrpc.Journal, d Description, maxEvents int) error {
	return writeFile(path, func(w io.Writer) error { return render(w, build(info, j, d, maxEvents)) })
}

// writeFile creates the file at path and writes it with write, buffered.
func writeFile(path string, write func(w io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	err = write(w)
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
