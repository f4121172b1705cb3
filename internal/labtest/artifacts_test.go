package labtest

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/diagram"
	"pblab/internal/labenv"
	"pblab/labrpc"
)

// ViewServer stands in for the lab's view service: each Ping makes its
// caller the primary of a new view.
type ViewServer struct {
	mu      sync.Mutex
	viewnum uint
}

type PingArgs struct{ Me string }
type PingReply struct {
	Viewnum uint
	Primary string
}

func (vs *ViewServer) Ping(args *PingArgs, reply *PingReply) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	vs.viewnum++
	reply.Viewnum, reply.Primary = vs.viewnum, args.Me
}

// description describes ViewServer to the diagram, as each part's tests
// describe the lab's services.
var description = diagram.Description{
	ViewServices: []string{"vs"},
	View: func(msg any) (diagram.View, bool) {
		r, ok := msg.(PingReply)
		return diagram.View{Viewnum: r.Viewnum, Primary: r.Primary}, ok
	},
}

func TestArtifactNames(t *testing.T) {
	seed := int64(42)
	assert.Equal(t, "TestA_sub_case-42-diagram.html", artifactName("TestA/sub case", &seed, "diagram", "html"))
	assert.Equal(t, "TestA-linearizability.html", artifactName("TestA", nil, "linearizability", "html"))
}

// The helper tests below run only as child processes of the tests after
// them, chosen by helperEnv.
const helperEnv = "PBLAB_LABTEST_DIAGRAM_HELPER"

// TestDiagramHelperFailingTest fails on purpose.
func TestDiagramHelperFailingTest(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("a helper: runs only as the child process of TestDiagramFailingTestPrintsSeedAndDiagram")
	}
	Run(t, func(t *testing.T) {
		net := NewNetwork(t)
		Describe(t, net, description)
		require.NoError(t, net.AddServer("vs", &ViewServer{}))
		net.MakeEnd("s1").Call("vs", "ViewServer.Ping", &PingArgs{Me: "s1"}, &PingReply{})
		t.Errorf("failing on purpose")
	})
}

func TestDiagramFailingTestPrintsSeedAndDiagram(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		t.Skip("in the child process")
	}
	dir := t.TempDir()
	for _, mode := range []string{"virtual", "realtime"} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestDiagramHelperFailingTest$", "-test.count", "1")
		cmd.Env = append(os.Environ(), helperEnv+"=1", labenv.ArtifactDirEnv+"="+dir, "LABRPC_SEED=12345", "PBLAB_REALTIME=")
		if mode == "realtime" {
			cmd.Env = append(cmd.Env, "PBLAB_REALTIME=1")
		}
		out, err := cmd.CombinedOutput()
		require.Error(t, err, "%s: the helper test fails on purpose; output:\n%s", mode, out)

		seeds := regexp.MustCompile(`(?m)^\s*seed: (\d+)$`).FindAllStringSubmatch(string(out), -1)
		require.Len(t, seeds, 1, "%s: a failing test prints exactly one line \"seed: N\"; output:\n%s", mode, out)
		assert.Equal(t, "12345", seeds[0][1], "%s: the seed is LABRPC_SEED's", mode)
		want := "replay: LABRPC_SEED=12345 go test -race -run '^TestDiagramHelperFailingTest$' ./internal/labtest"
		if mode == "realtime" {
			want = "replay: LABRPC_SEED=12345 PBLAB_REALTIME=1 go test -race -run '^TestDiagramHelperFailingTest$' ./internal/labtest"
		}
		assert.Contains(t, string(out), want, "%s: the replay command", mode)

		paths := regexp.MustCompile(`(?m)^\s*diagram: (.+)$`).FindAllStringSubmatch(string(out), -1)
		require.Len(t, paths, 1, "%s: a failing test prints one diagram path; output:\n%s", mode, out)
		path := paths[0][1]
		assert.Equal(t, filepath.Join(dir, "TestDiagramHelperFailingTest-12345-diagram.html"), path)
		page, err := os.ReadFile(path)
		require.NoError(t, err, "%s: the diagram file exists", mode)
		assert.Contains(t, string(page), `"test":"TestDiagramHelperFailingTest"`)
		assert.Contains(t, string(page), `ViewServer.Ping`, "the diagram holds the test's call")
		assert.Contains(t, string(page), `{"name":"vs","role":"viewservice"}`, "%s: Describe names the view service's lane", mode)
		assert.Regexp(t, `"views":\[\{"p":\[\d+,\d+\],"v":1,"pr":"s1","b":"","n":1\}\]`, string(page),
			"%s: the diagram shows the view the described reply carried", mode)

		text, err := os.ReadFile(diagram.TextPath(path))
		require.NoError(t, err, "%s: the diagram's text form is written beside it", mode)
		assert.Contains(t, string(text), "TestDiagramHelperFailingTest (seed 12345): FAILED", "%s: the text form names the test", mode)
		assert.Contains(t, string(text), "view 1: primary s1, backup none", "%s: the text form shows the view the described reply carried", mode)
	}
}

// TestDiagramOfPassingTestWithTrace checks that PBLAB_TRACE=1 writes the
// diagram of a passing test, and that without it nothing is written.
func TestDiagramOfPassingTestWithTrace(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		t.Skip("in the child process")
	}
	for _, trace := range []string{"1", ""} {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run", "^TestDiagramHelperPassingTest$", "-test.v", "-test.count", "1")
		cmd.Env = append(os.Environ(), labenv.ArtifactDirEnv+"="+dir, labenv.TraceEnv+"="+trace, helperEnv+"=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "output:\n%s", out)
		files, _ := filepath.Glob(filepath.Join(dir, "*.html"))
		if trace == "1" {
			assert.Len(t, files, 1, "PBLAB_TRACE=1 writes the diagram of a passing test; output:\n%s", out)
			assert.Contains(t, string(out), "diagram: ")
			assert.NotContains(t, string(out), "seed: ", "a passing test prints no seed")
		} else {
			assert.Empty(t, files, "a passing test writes no diagram without PBLAB_TRACE")
		}
	}
}

func TestDiagramHelperPassingTest(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("a helper: runs only as the child process of TestDiagramOfPassingTestWithTrace")
	}
	Run(t, func(t *testing.T) {
		net := NewNetwork(t)
		require.NoError(t, net.AddServer("vs", &ViewServer{}))
		net.MakeEnd("s1").Call("vs", "ViewServer.Ping", &PingArgs{Me: "s1"}, &PingReply{})
	})
}

// Describe takes only the test's own networks.
func TestDescribeOtherNetwork(t *testing.T) {
	Run(t, func(t *testing.T) {
		net := labrpc.MakeNetwork()
		defer net.Cleanup()
		assert.PanicsWithValue(t, "labtest: TestDescribeOtherNetwork describes a network that NewNetwork did not make",
			func() { Describe(t, net, description) }, "Describe of a network NewNetwork did not make")
	})
}

func TestWriteArtifact(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		t.Skip("in the child process")
	}
	dir := t.TempDir()
	t.Setenv(labenv.ArtifactDirEnv, dir)
	t.Setenv("LABRPC_SEED", "99")
	Run(t, func(t *testing.T) {
		NewNetwork(t)
		path, ok := WriteArtifact(t, "linearizability", "html", func(w io.Writer) error {
			_, err := io.WriteString(w, "<p>history</p>")
			return err
		})
		require.True(t, ok, "the artifact is written")
		assert.Equal(t, filepath.Join(dir, "TestWriteArtifact-99-linearizability.html"), path)
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, "<p>history</p>", string(got))
	})
}
