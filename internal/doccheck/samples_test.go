package doccheck

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/handout"
	"pblab/internal/mutants"
)

// A sample is a block of output on a page, with the command that prints it.
type sample struct {
	page string // slash path from the root
	line int    // the line of the opening fence
	spec sampleSpec
	text string
}

// A sampleSpec says how to get a sample's output: which command, run where.
type sampleSpec struct {
	tree    string // treeRoot or treeHandout
	mutant  string // the name of a .mutant applied to the root, "" for none
	command string // a shell command
}

const (
	treeRoot    = "root"
	treeHandout = "handout"
)

func (s sampleSpec) String() string {
	switch {
	case s.tree == treeHandout:
		return fmt.Sprintf("`%s`, run in a handout tree", s.command)
	case s.mutant != "":
		return fmt.Sprintf("`%s`, run from the repository root with the bug %s applied", s.command, s.mutant)
	}
	return fmt.Sprintf("`%s`, run from the repository root", s.command)
}

// sampleTimeout bounds the run of one sample's command.
const sampleTimeout = 5 * time.Minute

var (
	sampleMarkerRE = regexp.MustCompile(`^<!--\s*sample:\s*(.*?)\s*-->$`)
	sampleMutantRE = regexp.MustCompile(`^mutant ([A-Za-z0-9_-]+):\s*(.*)$`)
)

// mutantDirs are where a sample's mutant is looked for, in order: the
// grader's known bugs, then the bugs only the docs show.
var mutantDirs = []string{"grading/mutants", "internal/doccheck/testdata"}

// parseSampleMarker reads the marker of a sample, "<!-- sample: COMMAND -->",
// "<!-- sample: handout: COMMAND -->" or "<!-- sample: mutant NAME:
// COMMAND -->". It reports false if line is no marker at all.
func parseSampleMarker(line string) (sampleSpec, bool, error) {
	m := sampleMarkerRE.FindStringSubmatch(line)
	if m == nil {
		return sampleSpec{}, false, nil
	}
	spec := sampleSpec{tree: treeRoot, command: m[1]}
	if rest, ok := strings.CutPrefix(spec.command, "handout:"); ok {
		spec.tree, spec.command = treeHandout, strings.TrimSpace(rest)
	} else if mm := sampleMutantRE.FindStringSubmatch(spec.command); mm != nil {
		spec.mutant, spec.command = mm[1], mm[2]
	}
	if spec.command == "" {
		return spec, true, errors.New("the marker names no command")
	}
	return spec, true, nil
}

// isOutputBlock reports whether a block with this info string shows output:
// "text", or no info string at all.
func isOutputBlock(info string) bool {
	return info == "" || info == "text"
}

// samplePages are the pages whose output blocks must be samples: the
// student's pages in both languages.
func samplePages() []string {
	var pages []string
	for _, name := range studentPages {
		pages = append(pages, "docs/"+name, "docs/zh/"+name)
	}
	return pages
}

// pageSamples returns the samples of the guide's pages, and fails t for
// every output block of a student page without a marker and every marker
// that is not right.
func pageSamples(t *testing.T, root string) []sample {
	t.Helper()
	var samples []sample
	for _, rel := range guidePages(t, root) {
		mustMark := slices.Contains(samplePages(), rel)
		for _, b := range readPage(t, root, rel).blocks {
			where := fmt.Sprintf("%s:%d", rel, b.line)
			spec, marked, err := parseSampleMarker(b.before)
			switch {
			case err != nil:
				assert.Fail(t, where+": "+err.Error(), rule)
			case marked:
				samples = append(samples, sample{page: rel, line: b.line, spec: spec, text: b.text})
			case mustMark && isOutputBlock(b.info):
				assert.Fail(t, where+": a block of output must name the command that prints it, "+
					"in a marker on the line before: <!-- sample: COMMAND -->", rule)
			}
		}
	}
	return samples
}

// TestSamplesAreMarked checks what can be checked without running
// anything: every block of output on a student page is a sample, every
// sample's mutant exists, and no marker stands away from a block.
func TestSamplesAreMarked(t *testing.T) {
	root := moduleRoot(t)
	samples := pageSamples(t, root)
	for _, s := range samples {
		if s.spec.mutant != "" {
			_, err := findMutant(root, s.spec.mutant)
			assert.NoError(t, err, "%s:%d: the sample's mutant (%s)", s.page, s.line, rule)
		}
	}
	for _, rel := range guidePages(t, root) {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		require.NoError(t, err)
		var f fences
		marker := 0 // the line of a marker not yet followed by its block
		for i, line := range strings.Split(string(data), "\n") {
			kind, _ := f.step(line)
			if marker > 0 && kind != openLine {
				assert.Fail(t, fmt.Sprintf("%s:%d: a sample's marker stands on the line right before the block of output it names", rel, marker), rule)
			}
			marker = 0
			if kind == textLine && strings.HasPrefix(strings.TrimSpace(line), "<!-- sample:") {
				marker = i + 1
			}
		}
		if marker > 0 {
			assert.Fail(t, fmt.Sprintf("%s:%d: a sample's marker ends the page, with no block of output after it", rel, marker), rule)
		}
	}
	t.Logf("%d samples", len(samples))
}

// TestSamples runs the command of every sample and checks that the block
// still shows what the command prints, after normalising both (see the
// package doc). Each command runs once, however many pages show it.
func TestSamples(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the samples' commands were not run; go test ./internal/doccheck runs them")
	}
	root := moduleRoot(t)
	if !holdsSolution(t, root) {
		t.Skip("this tree holds no solution regions (a handout, or a student's tree): the samples show the reference " +
			"solution's output, so they are checked only in the instructors' tree")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh on the PATH: the samples' commands were not run")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on the PATH: the samples' commands were not run")
	}
	r := &sampleRunner{root: root, artifacts: t.TempDir(), runs: map[sampleSpec]*sampleRun{}}
	start := time.Now()
	t.Cleanup(func() { t.Logf("%d commands run in %v", len(r.runs), time.Since(start).Round(time.Second)) })
	for _, s := range pageSamples(t, root) {
		t.Run(fmt.Sprintf("%s:%d", s.page, s.line), func(t *testing.T) {
			t.Parallel()
			out, err := r.output(s.spec)
			require.NoError(t, err, "%s:%d: the sample's command, %s, could not run (%s)", s.page, s.line, s.spec, rule)
			block := normalisedLines(s.text)
			if at, ok := matchSample(block, normalisedLines(out)); !ok {
				assert.Fail(t, fmt.Sprintf("%s:%d: the sample no longer shows what %s prints: its line %q is not in the output where it should be",
					s.page, s.line, s.spec, block[at]),
					"What the command printed:\n%s\n(samples are compared line by line after normalisation, and \"...\" stands for text left out: "+
						"see the package doc of internal/doccheck; %s)", excerpt(out), rule)
			}
		})
	}
}

// holdsSolution reports whether the tree at root holds the reference
// solution: its student's files have solution regions.
func holdsSolution(t *testing.T, root string) bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "viewservice", "server.go"))
	require.NoError(t, err)
	return strings.Contains(string(data), "// BEGIN SOLUTION")
}

// excerpt returns out, or its first and last lines if it is long.
func excerpt(out string) string {
	const keep = 60
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) <= 2*keep {
		return strings.Join(lines, "\n")
	}
	return strings.Join(lines[:keep], "\n") + fmt.Sprintf("\n[... %d lines ...]\n", len(lines)-2*keep) + strings.Join(lines[len(lines)-keep:], "\n")
}

// A sampleRunner runs the samples' commands, each once.
type sampleRunner struct {
	root      string
	artifacts string // where the commands' tests write their diagrams

	mu   sync.Mutex
	runs map[sampleSpec]*sampleRun

	handoutOnce sync.Once
	handoutDir  string
	handoutErr  error
}

type sampleRun struct {
	once sync.Once
	out  string
	err  error
}

// output returns what the command of spec prints, running it the first
// time it is asked for.
func (r *sampleRunner) output(spec sampleSpec) (string, error) {
	r.mu.Lock()
	run, ok := r.runs[spec]
	if !ok {
		run = &sampleRun{}
		r.runs[spec] = run
	}
	r.mu.Unlock()
	run.once.Do(func() { run.out, run.err = r.run(spec) })
	return run.out, run.err
}

// run runs the command of spec in its tree, with the environment of a
// plain run: none of the lab's variables but those the command sets, and
// the mutant's overlay in GOFLAGS.
func (r *sampleRunner) run(spec sampleSpec) (string, error) {
	dir := r.root
	if spec.tree == treeHandout {
		r.handoutOnce.Do(func() { r.handoutDir, r.handoutErr = cachedHandout(r.root) })
		if r.handoutErr != nil {
			return "", r.handoutErr
		}
		dir = r.handoutDir
	}
	env := []string{"PBLAB_ARTIFACTS=" + r.artifacts}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "PBLAB_") && name != "LABRPC_SEED" && name != "GOFLAGS" {
			env = append(env, kv)
		}
	}
	if spec.mutant != "" {
		m, err := findMutant(r.root, spec.mutant)
		if err != nil {
			return "", err
		}
		overlay, cleanup, err := m.Overlay(r.root)
		if err != nil {
			return "", fmt.Errorf("the mutant %s: %w", spec.mutant, err)
		}
		defer cleanup()
		env = append(env, "GOFLAGS=-overlay="+overlay)
	}
	ctx, cancel := context.WithTimeout(context.Background(), sampleTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", spec.command)
	cmd.Dir = dir
	cmd.Env = env
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return string(out), fmt.Errorf("still running after %v", sampleTimeout)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return string(out), err
	}
	return string(out), nil // a failing test is what many samples show
}

// findMutant reads the mutant called name from the first of mutantDirs
// that has it.
func findMutant(root, name string) (*mutants.Mutant, error) {
	for _, dir := range mutantDirs {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(dir), name+".mutant"))
		if err == nil {
			return mutants.Parse(name, data)
		}
	}
	return nil, fmt.Errorf("no mutant %s: there is no %s.mutant in %s", name, name, strings.Join(mutantDirs, " or "))
}

// cachedHandout writes the handout of the tree at root, and returns where
// it is: a folder of the user's cache named after the handout's contents,
// so that the go command's build cache serves every run that finds the
// same handout, and a run never changes a handout another run may be
// using. Handouts unused for a week are removed.
func cachedHandout(root string) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	cache = filepath.Join(cache, "pblab", "doccheck")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(cache, "new-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	fresh := filepath.Join(tmp, "handout")
	if _, err := handout.Write(root, fresh); err != nil {
		return "", fmt.Errorf("writing the handout: %w", err)
	}
	sum, err := treeSum(fresh)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "handout-"+sum)
	if _, err := os.Stat(dir); err != nil {
		if err := os.Rename(fresh, dir); err != nil {
			if _, serr := os.Stat(dir); serr != nil { // not another run's, written meanwhile
				return "", err
			}
		}
	}
	now := time.Now()
	_ = os.Chtimes(dir, now, now) // in use
	removeStale(cache, dir, now.Add(-7*24*time.Hour))
	return dir, nil
}

// removeStale removes the handouts in cache, other than keep, last used
// before cutoff, and the leftovers of runs that stopped half way.
func removeStale(cache, keep string, cutoff time.Time) {
	entries, _ := os.ReadDir(cache)
	for _, e := range entries {
		p := filepath.Join(cache, e.Name())
		info, err := e.Info()
		if err != nil || p == keep || info.ModTime().After(cutoff) {
			continue
		}
		if strings.HasPrefix(e.Name(), "handout-") || strings.HasPrefix(e.Name(), "new-") {
			os.RemoveAll(p)
		}
	}
}

// treeSum returns a hash of the names and contents of the files under dir.
func treeSum(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		fmt.Fprintf(h, "%s\x00", filepath.ToSlash(rel))
		_, err = io.Copy(h, f)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))[:16], err
}

// The normalisations applied to a sample and to its command's output
// before they are compared, in order, each written as what it replaces.
var sampleNormalisers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(^|[\s'"(=])/(?:[^\s/'"():]+/)+`), "$1"},                     // the folders of an absolute path
	{regexp.MustCompile(`\b0x[0-9a-fA-F]+\b`), "0x<hex>"},                             // addresses, offsets
	{regexp.MustCompile(`\b\d{4}/\d\d/\d\d\b`), "<date>"},                             // the log package's dates
	{regexp.MustCompile(`\b\d\d:\d\d:\d\d(?:\.\d+)?\b`), "<time>"},                    // clock times
	{regexp.MustCompile(`\(cached\)`), "<duration>"},                                  // go test's cached result
	{regexp.MustCompile(`\b(?:\d+(?:\.\d+)?(?:ns|µs|us|ms|h|m|s))+\b`), "<duration>"}, // durations
	{regexp.MustCompile(`\.(go|s):\d+`), ".$1:<line>"},                                // line numbers
	{regexp.MustCompile(`\b([Gg])oroutine \d+`), "${1}oroutine <n>"},                  // goroutine ids
	{regexp.MustCompile(`\(\d+ B\)`), "(<n> B)"},                                      // message sizes, which hold random ids
	{regexp.MustCompile(`\b\d{5,}\b`), "<n>"},                                         // seeds, client ids, ports
	{regexp.MustCompile(`[ \t]+`), " "},                                               // spacing
}

// normalise returns line as samples compare it.
func normalise(line string) string {
	for _, n := range sampleNormalisers {
		line = n.re.ReplaceAllString(line, n.with)
	}
	return strings.TrimSpace(line)
}

// normalisedLines returns the normalised non-blank lines of text.
func normalisedLines(text string) []string {
	var lines []string
	for line := range strings.Lines(text) {
		if l := normalise(line); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// ellipsis stands for text left out of a sample: alone on a line, any
// number of lines; within a line, any text.
const ellipsis = "..."

// matchSample reports whether the lines of a sample occur in the lines of
// the output: consecutive lines of the sample on consecutive lines of the
// output, except where the sample has a line "...", anywhere in the output
// (a sample may be an excerpt). If not, it returns the index of the first
// line of the sample that could not be placed.
func matchSample(block, out []string) (int, bool) {
	// at[j]: the sample's lines so far can end just before out[j].
	at := make([]bool, len(out)+1)
	for j := range at {
		at[j] = true // a sample may start anywhere
	}
	for i, line := range block {
		next := make([]bool, len(out)+1)
		found := false
		if line == ellipsis {
			for j := range at {
				found = found || at[j]
				next[j] = found // any number of lines left out
			}
		} else {
			for j := range out {
				if at[j] && lineMatches(line, out[j]) {
					next[j+1], found = true, true
				}
			}
		}
		if !found {
			return i, false
		}
		at = next
	}
	return 0, true
}

// lineMatches reports whether the output line out is what the sample's
// line shows, where "..." in the sample's line stands for any text.
func lineMatches(line, out string) bool {
	parts := strings.Split(line, ellipsis)
	if len(parts) == 1 {
		return line == out
	}
	rest, ok := strings.CutPrefix(out, parts[0])
	if !ok {
		return false
	}
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(rest, p)
		if i < 0 {
			return false
		}
		rest = rest[i+len(p):]
	}
	return strings.HasSuffix(rest, parts[len(parts)-1])
}

func TestNormalise(t *testing.T) {
	for in, want := range map[string]string{
		"--- FAIL: TestBasicFail (0.03s)":                                    "--- FAIL: TestBasicFail (<duration>)",
		"    seed: 7086181481176466295":                                      "seed: <n>",
		"    diagram: /tmp/pblab-ana/TestX-7086181481176466295-diagram.html": "diagram: TestX-<n>-diagram.html",
		"  Error Trace:\t/home/you/pblab/pbservice/pbservice_test.go:59":     "Error Trace: pbservice_test.go:<line>",
		"00:00:01.100000 s1     view  view 1: primary s1":                    "<time> s1 view view 1: primary s1",
		"ok  \tpblab/viewservice\t(cached)":                                  "ok pblab/viewservice <duration>",
		"no progress after 2m0s of virtual time, 100ms pings":                "no progress after <duration> of virtual time, <duration> pings",
		"Read at 0x00c00007a060 by goroutine 28:":                            "Read at 0x<hex> by goroutine <n>:",
		"Goroutine 29 (running) created at:":                                 "Goroutine <n> (running) created at:",
		"      /usr/local/go/src/runtime/asm_amd64.s:836 +0x39":              "asm_amd64.s:<line> +0x<hex>",
		"2025/01/02 15:04:05 labrpc: the args are 50.0 MB encoded":           "<date> <time> labrpc: the args are 50.0 MB encoded",
		"#41 PutAppend ck1 -> p1 {Seq:3} (31 B)":                             "#41 PutAppend ck1 -> p1 {Seq:3} (<n> B)",
		"A     TestViewStateFirstPrimary    1/1     0.1s  1/1     passed":    "A TestViewStateFirstPrimary 1/1 <duration> 1/1 passed",
		"s1 pings 0 and s2 2/2":                                              "s1 pings 0 and s2 2/2",
	} {
		assert.Equal(t, want, normalise(in), "normalise(%q)", in)
	}
}

func TestMatchSample(t *testing.T) {
	out := []string{"a", "b", "c", "d", "e"}
	for _, c := range []struct {
		block []string
		ok    bool
		at    int
	}{
		{[]string{"b", "c"}, true, 0},
		{[]string{"a", "...", "e"}, true, 0},
		{[]string{"b", "d"}, false, 1},
		{[]string{"b", "...", "d", "e"}, true, 0},
		{[]string{"...", "e", "f"}, false, 2},
		{[]string{"a", "...", "...", "b"}, true, 0},
		{[]string{"x"}, false, 0},
		{[]string{"c", "..."}, true, 0},
	} {
		at, ok := matchSample(c.block, out)
		assert.Equal(t, c.ok, ok, "%q in %q", c.block, out)
		if !c.ok {
			assert.Equal(t, c.at, at, "%q in %q: the first line that cannot be placed", c.block, out)
		}
	}
	assert.True(t, lineMatches("Error Trace: ...", "Error Trace: x.go:<line>"), "... at the end of a line stands for the rest")
	assert.True(t, lineMatches("a ... c ... e", "a b c d e"))
	assert.False(t, lineMatches("a ... c ... e", "a b d e"))
	assert.False(t, lineMatches("a...b", "ab c"), "the text after the last ... ends the line")
}

func TestParseSampleMarker(t *testing.T) {
	for line, want := range map[string]sampleSpec{
		"<!-- sample: go test ./x -->":                           {tree: treeRoot, command: "go test ./x"},
		"<!-- sample: handout: go test -race ./viewservice -->":  {tree: treeHandout, command: "go test -race ./viewservice"},
		"<!-- sample: mutant b18-lock: go test ./pbservice -->":  {tree: treeRoot, mutant: "b18-lock", command: "go test ./pbservice"},
		"<!--sample:LABRPC_SEED=1 go test -run '^TestX$' ./x-->": {tree: treeRoot, command: "LABRPC_SEED=1 go test -run '^TestX$' ./x"},
	} {
		spec, ok, err := parseSampleMarker(line)
		require.NoError(t, err, line)
		assert.True(t, ok, line)
		assert.Equal(t, want, spec, line)
	}
	_, ok, _ := parseSampleMarker("<!-- a comment -->")
	assert.False(t, ok, "a comment that is not a marker")
	_, _, err := parseSampleMarker("<!-- sample: handout: -->")
	assert.Error(t, err, "a marker must name a command")
}
