package grader

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"pblab/internal/rubric"
)

// A Progress is told what grading is doing, as it happens. Begin, Done
// and Skipped may be called from several goroutines at once.
type Progress interface {
	// Building is called once, before the test binaries of pkgs are built.
	Building(pkgs []string)
	// Start is called once the binaries are built, with the number of runs
	// to make.
	Start(runs int)
	// Begin is called as a run of test starts.
	Begin(test string)
	// Done is called as run iter (from 1) of test ends, with its result.
	Done(test rubric.Test, iter int, r *RunResult)
	// Skipped is called, in place of Begin and Done, for a run not made
	// because an earlier run of test failed in a costly way.
	Skipped(test string)
	// Finish is called once, after the last run.
	Finish()
}

// NewProgress returns the progress output for w: a live status line if w
// is a terminal, one line per finished run otherwise (for logs and CI).
func NewProgress(w io.Writer) Progress {
	if f, ok := w.(*os.File); ok && isTerminal(f) {
		return newTermProgress(w)
	}
	return &lineProgress{w: w}
}

// silent is the Progress of a grading that prints nothing.
type silent struct{}

func (silent) Building([]string)                 {}
func (silent) Start(int)                         {}
func (silent) Begin(string)                      {}
func (silent) Done(rubric.Test, int, *RunResult) {}
func (silent) Skipped(string)                    {}
func (silent) Finish()                           {}

// isTerminal reports whether f is a terminal (a character device).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// lineProgress prints one line per finished run: for logs and CI.
type lineProgress struct {
	w     io.Writer
	mu    sync.Mutex
	total int
	count int
	began time.Time
}

func (p *lineProgress) Building(pkgs []string) {
	fmt.Fprintf(p.w, "building the tests of %s\n", strings.Join(pkgs, ", "))
}

func (p *lineProgress) Start(runs int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total, p.began = runs, time.Now()
	fmt.Fprintf(p.w, "running %d test runs\n", runs)
}

func (p *lineProgress) Begin(string) {}

func (p *lineProgress) Done(test rubric.Test, iter int, r *RunResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count++
	status := "ok  "
	if !r.Passed() {
		status = "FAIL"
	}
	fmt.Fprintf(p.w, "[%*d/%d] %s %-40s %6s", len(fmt.Sprint(p.total)), p.count, p.total, status, test.Name, seconds(r.Elapsed))
	switch {
	case r.Frozen != nil && r.rerun:
		fmt.Fprint(p.w, "  (virtual clock froze; re-ran on the wall clock)")
	case r.Frozen != nil:
		fmt.Fprint(p.w, "  (virtual clock froze; not re-run)")
	}
	if !r.Passed() {
		fmt.Fprintf(p.w, "  %s", firstLine(r.Verdict))
	}
	fmt.Fprintln(p.w)
}

func (p *lineProgress) Skipped(string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count++
}

func (p *lineProgress) Finish() {}

// termProgress keeps one live status line at the bottom of a terminal, and
// prints failures above it as they happen.
type termProgress struct {
	w       io.Writer
	mu      sync.Mutex
	total   int
	count   int
	failed  int
	running []string
	began   time.Time
	stop    chan struct{}
	stopped chan struct{}
}

func newTermProgress(w io.Writer) *termProgress {
	return &termProgress{w: w}
}

func (p *termProgress) Building(pkgs []string) {
	fmt.Fprintf(p.w, "building the tests of %s (race detector on by default) ...\n", strings.Join(pkgs, ", "))
}

func (p *termProgress) Start(runs int) {
	p.mu.Lock()
	p.total, p.began = runs, time.Now()
	p.stop, p.stopped = make(chan struct{}), make(chan struct{})
	p.mu.Unlock()
	go func() {
		defer close(p.stopped)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.mu.Lock()
				p.drawLocked()
				p.mu.Unlock()
			}
		}
	}()
}

func (p *termProgress) drawLocked() {
	running := strings.Join(p.running, ", ")
	if len(running) > 60 {
		running = running[:57] + "..."
	}
	fmt.Fprintf(p.w, "\r\033[K[%d/%d] %d failed  %s  running: %s",
		p.count, p.total, p.failed, time.Since(p.began).Round(time.Second), running)
}

func (p *termProgress) Begin(test string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running = append(p.running, test)
	p.drawLocked()
}

func (p *termProgress) Done(test rubric.Test, iter int, r *RunResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count++
	if i := slices.Index(p.running, test.Name); i >= 0 {
		p.running = slices.Delete(p.running, i, i+1)
	}
	if !r.Passed() {
		p.failed++
		fmt.Fprintf(p.w, "\r\033[KFAIL %s (run %d, %s): %s\n", test.Name, iter, seconds(r.Elapsed), firstLine(r.Verdict))
	}
	p.drawLocked()
}

func (p *termProgress) Skipped(string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count++
}

func (p *termProgress) Finish() {
	if p.stop != nil {
		close(p.stop)
		<-p.stopped
	}
	fmt.Fprint(p.w, "\r\033[K")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSuffix(line, ":")
}

func seconds(d time.Duration) string {
	return fmt.Sprintf("%.1fs", d.Seconds())
}
