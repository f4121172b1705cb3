package main

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

// progress is told what grading is doing, as it happens.
type progress interface {
	building(pkgs []string)
	start(runs int)
	begin(test string)
	done(test rubric.Test, iter int, r *runResult)
	skipped(test string)
	finish()
}

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

func (p *lineProgress) building(pkgs []string) {
	fmt.Fprintf(p.w, "building the tests of %s\n", strings.Join(pkgs, ", "))
}

func (p *lineProgress) start(runs int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total, p.began = runs, time.Now()
	fmt.Fprintf(p.w, "running %d test runs\n", runs)
}

func (p *lineProgress) begin(string) {}

func (p *lineProgress) done(test rubric.Test, iter int, r *runResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count++
	status := "ok  "
	if !r.passed() {
		status = "FAIL"
	}
	fmt.Fprintf(p.w, "[%*d/%d] %s %-40s %6s", len(fmt.Sprint(p.total)), p.count, p.total, status, test.Name, seconds(r.elapsed))
	if r.stalled != nil {
		fmt.Fprint(p.w, "  (virtual clock froze; re-ran on the wall clock)")
	}
	if !r.passed() {
		fmt.Fprintf(p.w, "  %s", firstLine(r.verdict))
	}
	fmt.Fprintln(p.w)
}

func (p *lineProgress) skipped(string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count++
}

func (p *lineProgress) finish() {}

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

func (p *termProgress) building(pkgs []string) {
	fmt.Fprintf(p.w, "building the tests of %s (race detector on by default) ...\n", strings.Join(pkgs, ", "))
}

func (p *termProgress) start(runs int) {
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

func (p *termProgress) begin(test string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running = append(p.running, test)
	p.drawLocked()
}

func (p *termProgress) done(test rubric.Test, iter int, r *runResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count++
	if i := slices.Index(p.running, test.Name); i >= 0 {
		p.running = slices.Delete(p.running, i, i+1)
	}
	if !r.passed() {
		p.failed++
		fmt.Fprintf(p.w, "\r\033[KFAIL %s (run %d, %s): %s\n", test.Name, iter, seconds(r.elapsed), firstLine(r.verdict))
	}
	p.drawLocked()
}

func (p *termProgress) skipped(string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count++
}

func (p *termProgress) finish() {
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
