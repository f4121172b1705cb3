package batch

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// barWidth is the width of the progress bar, in characters.
const barWidth = 24

// progress reports a batch as it goes: one line per submission graded,
// led by a bar of the class done so far. It suits a terminal and a log
// alike.
type progress struct {
	w     io.Writer
	start time.Time

	mu              sync.Mutex
	total, finished int
}

func newProgress(w io.Writer, total, skipped int) *progress {
	return &progress{w: w, start: time.Now(), total: total, finished: skipped}
}

// begin says what the batch will do.
func (p *progress) begin(todo int, opts Options) {
	skipped := p.total - todo
	fmt.Fprintf(p.w, "grading %d of %d submissions, %d at a time, %d tests of each at once", todo, p.total, max(1, min(opts.Jobs, todo)), opts.Grade.P)
	if opts.Deadline > 0 {
		fmt.Fprintf(p.w, ", each within %s", opts.Deadline)
	}
	fmt.Fprintln(p.w)
	if skipped > 0 {
		fmt.Fprintf(p.w, "  %d already graded (their results.json are in %s): not graded again; -force grades them again\n", skipped, opts.JSONDir)
	}
}

// done reports one submission graded.
func (p *progress) done(r *Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finished++
	filled := barWidth * p.finished / max(1, p.total)
	bar := strings.Repeat("#", filled) + strings.Repeat(".", barWidth-filled)
	outcome := fmt.Sprintf("%3d/%d", r.Score, r.Max)
	if r.Err != nil {
		outcome += "  (" + firstLine(r.Err.Error()) + ")"
	}
	fmt.Fprintf(p.w, "[%s] %*d/%d  %-20s %s  in %s\n", bar, len(fmt.Sprint(p.total)), p.finished, p.total, r.Student, outcome,
		r.Elapsed.Round(100*time.Millisecond))
}

// end says how long the batch took.
func (p *progress) end() {
	fmt.Fprintf(p.w, "graded in %s\n", time.Since(p.start).Round(100*time.Millisecond))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
