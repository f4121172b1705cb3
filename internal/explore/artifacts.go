package explore

import (
	"bufio"
	"fmt"
	"os"
	"pblab/internal/explore/plan"
	"time"

	"github.com/anishathalye/porcupine"

	"pblab/internal/diagram"
)

// scenarioDiagram tells the message diagram which node is the view
// service; the run's describer already turned each view into a
// diagram.View.
var scenarioDiagram = diagram.Description{ViewServices: []string{plan.VSName}}

// writeDiagram draws the message diagram of c's run into the file at path.
func writeDiagram(path string, c *checked, replay string) error {
	info := diagram.Info{
		Test:   "explore: " + c.verdict.Kind + ": " + c.verdict.What,
		Seed:   c.rec.sc.Seed,
		Replay: replay,
		Failed: c.verdict.Broken(),
	}
	if !c.verdict.Broken() {
		info.Test = "explore: no violation"
	}
	return diagram.WriteFile(path, info, c.rec.journal, scenarioDiagram, diagram.DefaultMaxEvents)
}

// writeVisualisation writes porcupine's picture of c's history, with the
// faults above it, into the file at path.
func writeVisualisation(path string, c *checked) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	err = porcupine.Visualize(KVModel, c.lin, w)
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeEvents writes the network's journal of c's run as text, one event
// a line, with times from the start of the run.
func writeEvents(path string, c *checked) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, e := range c.rec.journal.Events {
		e.Time = time.Time{}.Add(e.Time.Sub(c.rec.start))
		fmt.Fprintln(w, e)
	}
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
