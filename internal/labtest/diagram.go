package labtest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"pblab/labrpc"
)

// Artifacts are files a test writes for a person to open after it ran: the
// message diagram of every failing test (below), and the visualisation of a
// history that is not linearizable (pbservice). They go to one folder,
// named after the test and its seed, and the test prints each one's path on
// a line "<kind>: <path>", so that a failure's output says where to look.

// ArtifactDirEnv names the environment variable that overrides where
// artifacts are written; by default they go to $TMPDIR/pblab.
const ArtifactDirEnv = "PBLAB_ARTIFACTS"

// TraceEnv names the environment variable that makes passing tests write
// their diagram too (PBLAB_TRACE=1). Failing tests always write it.
const TraceEnv = "PBLAB_TRACE"

// TraceEventsEnv names the environment variable that sets how many journal
// events a diagram keeps (default DiagramMaxEvents).
const TraceEventsEnv = "PBLAB_TRACE_EVENTS"

// ArtifactDir returns the folder artifacts are written to: $PBLAB_ARTIFACTS
// if set, $TMPDIR/pblab otherwise.
func ArtifactDir() string {
	if dir := os.Getenv(ArtifactDirEnv); dir != "" {
		return dir
	}
	return filepath.Join(os.TempDir(), "pblab")
}

// ArtifactPath returns where the test t should write an artifact of the
// given kind ("diagram", "linearizability") and file extension ("html"):
// ArtifactDir()/<Test>-<seed>-<kind>.<ext>, where <seed> is the seed of the
// test's first network (left out if it has none). It creates the folder; if
// that fails it logs why, and writing the file will fail too. Use it from
// the test's goroutine, inside labtest.Run.
func ArtifactPath(t *testing.T, kind, ext string) string {
	t.Helper()
	r := current(t)
	r.mu.Lock()
	var seed *int64
	if len(r.networks) > 0 {
		s := r.networks[0].Seed()
		seed = &s
	}
	r.mu.Unlock()
	dir := ArtifactDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("labtest: cannot create the artifact folder: %v", err)
	}
	return filepath.Join(dir, artifactName(t.Name(), seed, kind, ext))
}

// artifactName builds "<Test>-<seed>-<kind>.<ext>" from a test name that may
// hold subtest slashes and other characters a file name should not.
func artifactName(test string, seed *int64, kind, ext string) string {
	safe := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
				return r
			}
			return '_'
		}, s)
	}
	name := safe(test)
	if seed != nil {
		name += "-" + strconv.FormatInt(*seed, 10)
	}
	return name + "-" + safe(kind) + "." + safe(ext)
}

// LogArtifact prints the line "<kind>: <path>" in the test's output, where
// a failure's reader (and the grader's logs) will find it.
func LogArtifact(t *testing.T, kind, path string) {
	t.Helper()
	fmt.Fprintf(t.Output(), "%s: %s\n", kind, path)
}

// WriteArtifact writes an artifact of the given kind and extension for the
// test t (at ArtifactPath) with write, then prints its path with
// LogArtifact. It never fails the test: an error is logged, and the path is
// returned only if the file was written. For example, the linearizability
// check writes porcupine's visualisation with
//
//	labtest.WriteArtifact(t, "linearizability", "html", func(w io.Writer) error {
//		return porcupine.Visualize(model, info, w)
//	})
func WriteArtifact(t *testing.T, kind, ext string, write func(w io.Writer) error) (string, bool) {
	t.Helper()
	path := ArtifactPath(t, kind, ext)
	f, err := os.Create(path)
	if err == nil {
		bw := bufio.NewWriter(f)
		err = write(bw)
		if ferr := bw.Flush(); err == nil {
			err = ferr
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		t.Logf("labtest: could not write the %s artifact: %v", kind, err)
		return "", false
	}
	LogArtifact(t, kind, path)
	return path, true
}

// traceAll reports whether PBLAB_TRACE asks for diagrams of passing tests.
func traceAll() bool {
	v, _ := strconv.ParseBool(os.Getenv(TraceEnv))
	return v
}

// diagramMaxEvents returns how many journal events a diagram keeps.
func diagramMaxEvents() int {
	if n, err := strconv.Atoi(os.Getenv(TraceEventsEnv)); err == nil && n > 0 {
		return n
	}
	return DiagramMaxEvents
}

// writeDiagrams writes the message diagram of each of the test's networks
// and prints its path. It never fails the test: a diagram that cannot be
// written is only logged.
func (r *run) writeDiagrams(networks []*labrpc.Network, failed bool) {
	for i, n := range networks {
		kind := "diagram"
		if i > 0 {
			kind = fmt.Sprintf("diagram%d", i+1)
		}
		seed := n.Seed()
		dir := ArtifactDir()
		path := filepath.Join(dir, artifactName(r.t.Name(), &seed, kind, "html"))
		info := diagramInfo{
			Test:     r.t.Name(),
			Seed:     seed,
			Replay:   replayCommand(r.t.Name(), seed),
			Failed:   failed,
			Realtime: r.realtime,
		}
		err := os.MkdirAll(dir, 0o755)
		if err == nil {
			err = writeDiagramFile(path, info, n.Journal(), diagramMaxEvents())
		}
		if err != nil {
			r.t.Logf("labtest: could not write the message diagram: %v", err)
			continue
		}
		fmt.Fprintf(r.t.Output(), "%s: %s\n", kind, path)
	}
}

// writeDiagramFile renders a journal as a diagram and writes it to path.
func writeDiagramFile(path string, info diagramInfo, j labrpc.Journal, maxEvents int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	err = renderDiagram(w, buildDiagram(info, j, maxEvents))
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
