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

	"pblab/internal/diagram"
	"pblab/internal/labenv"
)

// Artifacts are files a test writes for a person to open after it ran: the
// message diagram of every failing test (below), and the visualisation of a
// history that is not linearizable (pbservice). They go to one folder,
// named after the test and its seed, and the test prints each one's path on
// a line "<kind>: <path>", so that a failure's output says where to look.

// ArtifactPath returns where the test t should write an artifact of the
// given kind ("diagram", "linearizability") and file extension ("html"):
// <folder>/<Test>-<seed>-<kind>.<ext>, in the folder labenv.ArtifactDir
// names (PBLAB_ARTIFACTS, or $TMPDIR/pblab-<user>), where <seed> is the seed of the
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
	dir := labenv.ArtifactDir()
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
	v, _ := strconv.ParseBool(os.Getenv(labenv.TraceEnv))
	return v
}

// diagramMaxEvents returns how many journal events a diagram keeps:
// PBLAB_TRACE_EVENTS if set, diagram.DefaultMaxEvents otherwise.
func diagramMaxEvents() int {
	if n, err := strconv.Atoi(os.Getenv(labenv.TraceEventsEnv)); err == nil && n > 0 {
		return n
	}
	return diagram.DefaultMaxEvents
}

// writeDiagrams writes the message diagram of each of the test's networks
// and prints its path. It never fails the test: a diagram that cannot be
// written is only logged.
func (r *run) writeDiagrams(networks []network, failed bool) {
	for i, n := range networks {
		path, err := writeDiagram(r.t.Name(), n, diagramKind(i), failed, r.realtime)
		if err != nil {
			r.t.Logf("labtest: could not write the message diagram: %v", err)
		}
		if path != "" {
			fmt.Fprintf(r.t.Output(), "%s: %s\n", diagramKind(i), path)
		}
	}
}

// diagramKind names the diagram of a test's i-th network (from 0) as an
// artifact: "diagram", then "diagram2", "diagram3"...
func diagramKind(i int) string {
	if i == 0 {
		return "diagram"
	}
	return fmt.Sprintf("diagram%d", i+1)
}

// writeDiagram writes the message diagram of n, one of the networks of the
// test called test, as the artifact of the given kind, and its text form
// beside it (diagram.TextPath). It returns the diagram's path if the
// diagram was written, even if its text form was not.
func writeDiagram(test string, n network, kind string, failed, realtime bool) (string, error) {
	seed := n.Seed()
	dir := labenv.ArtifactDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, artifactName(test, &seed, kind, "html"))
	info := diagram.Info{Test: test, Seed: seed, Replay: replayCommand(test, seed), Failed: failed, Realtime: realtime}
	j := n.Journal()
	if err := diagram.WriteFile(path, info, j, n.description, diagramMaxEvents()); err != nil {
		return "", err
	}
	if err := diagram.WriteText(diagram.TextPath(path), info, j, n.description, diagramMaxEvents()); err != nil {
		return path, fmt.Errorf("its text form: %w", err)
	}
	return path, nil
}
