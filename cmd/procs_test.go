//go:build unix

package cmd_test

// The end-to-end tests: viewd, two pbd and pbc as real processes on the
// loopback interface, crashed with kill -9. They run on the wall clock,
// outside labtest.Run (the virtual clock cannot see other processes), take
// a few seconds, and are skipped with -short, or where the commands cannot
// be built or started.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/tcptest"

	// The packages the commands are built from, linked into this test
	// only so that go test runs it again when any of them changes (see
	// commands).
	_ "pblab/cmd/internal/cmdline"
	_ "pblab/pbservice"
	_ "pblab/viewservice"
)

const docProcs = "docs/real-processes.md"

// patience bounds every wait for the service to reach a state: a view, an
// answer. Failover after kill -9 takes under a second.
const patience = 15 * time.Second

// firstViewPatience bounds the wait for the first view: the first server
// pings within a PingInterval of starting. A tree whose Part A is not done
// yet stays at view 0, and fails this soon.
const firstViewPatience = 5 * time.Second

// Writes acknowledged by the service survive two crashes, each of the
// server that was primary: the backup takes over with everything, the
// crashed server comes back as backup and gets the state, and takes over
// in its turn.
func TestProcessesSurviveKill9(t *testing.T) {
	c := newCluster(t)
	a, b := c.startPrimaryAndBackup(t)
	assert.Regexp(t, `^view \d+: primary `+regexp.QuoteMeta(a.addr)+`, backup `+regexp.QuoteMeta(b.addr)+"\n$", c.pbc(t, "view"),
		"pbc view prints the view on one line (%s)", docProcs)

	want := map[string]string{}
	c.write(t, want, "first", 10)
	c.checkAll(t, want, c.kill9(a), "after kill -9 of the primary "+a.addr)

	c.restart(t, a)
	c.awaitView(t, b.addr, a.addr)
	c.write(t, want, "second", 5)
	c.checkAll(t, want, c.kill9(b), "after the restarted server became backup and the primary "+b.addr+" was killed")

	c.stop(t, a)
	c.stop(t, c.viewd)
}

// Several pbc processes append to one key while the primary is killed:
// every append that pbc acknowledged is in the value exactly once, and each
// appender's appends are in its order.
func TestProcessesConcurrentAppendsExactlyOnce(t *testing.T) {
	const appenders, appends = 4, 10
	c := newCluster(t)
	primary, _ := c.startPrimaryAndBackup(t)

	var done atomic.Int32
	killedAfter := make(chan int32, 1) // how many appends had finished
	go func() {
		for done.Load() < appenders*appends/3 {
			time.Sleep(10 * time.Millisecond)
		}
		c.kill9(primary)
		killedAfter <- done.Load()
	}()
	failures := make(chan error, appenders*appends)
	var wg sync.WaitGroup
	for i := range appenders {
		wg.Go(func() {
			for j := range appends {
				if _, err := c.runPBC("append", "k", fmt.Sprintf("x%d.%d ", i, j)); err != nil {
					failures <- err
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	t.Logf("kill -9 of the primary after %d of %d appends", <-killedAfter, appenders*appends)
	close(failures)
	for err := range failures {
		assert.NoError(t, err, "every append finishes, though the primary was killed (%s)", docProcs)
	}

	value := strings.TrimSuffix(c.pbc(t, "get", "k"), "\n")
	counts := map[string]int{}
	last := make([]int, appenders)
	for i := range last {
		last[i] = -1
	}
	for _, item := range strings.Fields(value) {
		counts[item]++
		var i, j int
		_, err := fmt.Sscanf(item, "x%d.%d", &i, &j)
		require.NoError(t, err, "the value holds only what was appended: %q", value)
		assert.Greater(t, j, last[i], "appender %d's appends are in its order: %q", i, value)
		last[i] = j
	}
	for i := range appenders {
		for j := range appends {
			item := fmt.Sprintf("x%d.%d", i, j)
			assert.Equal(t, 1, counts[item], "append %s is in the value exactly once, after kill -9 of the primary (%s): %q",
				item, docProcs, value)
		}
	}
}

// A cluster is a viewd and the pbd processes of one test, each on a free
// loopback port.
type cluster struct {
	bin      string // where the commands are
	vs       string // viewd's address
	httpAddr string // its live page's address
	viewd    *proc

	mu    sync.Mutex
	procs []*proc
}

// A proc is one daemon process, in a process group of its own.
type proc struct {
	addr string
	args []string
	log  *syncBuffer

	mu   sync.Mutex
	cmd  *exec.Cmd
	dead bool
}

// newCluster starts viewd. Every process of the cluster is killed, with
// its process group, when the test ends; a failed test shows their logs.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the end-to-end tests start processes and take seconds")
	}
	c := &cluster{bin: commands(t), vs: tcptest.FreeAddr(t), httpAddr: tcptest.FreeAddr(t)}
	t.Cleanup(func() { c.cleanup(t) })
	c.viewd = c.start(t, c.vs, "viewd", "-addr", c.vs, "-http", c.httpAddr)
	c.awaitStatus(t, patience, "viewd serving its live page", func(st status) bool { return true })
	return c
}

// startPrimaryAndBackup starts a pbd, waits for it to be primary, starts
// another, and waits for it to be backup, with the state.
func (c *cluster) startPrimaryAndBackup(t *testing.T) (primary, backup *proc) {
	t.Helper()
	primary = c.startServer(t)
	c.awaitStatus(t, firstViewPatience, fmt.Sprintf("view 1 with primary %s, the first server to ping", primary.addr), func(st status) bool {
		return st.View.Primary == primary.addr && st.View.Backup == "" && st.Acked
	})
	backup = c.startServer(t)
	c.awaitView(t, primary.addr, backup.addr)
	return primary, backup
}

// startServer starts a pbd on a free port.
func (c *cluster) startServer(t *testing.T) *proc {
	t.Helper()
	addr := tcptest.FreeAddr(t)
	return c.start(t, addr, "pbd", "-addr", addr, "-vs", c.vs)
}

// start starts one of the commands as a daemon of the cluster.
func (c *cluster) start(t *testing.T, addr, command string, args ...string) *proc {
	t.Helper()
	p := &proc{addr: addr, args: append([]string{filepath.Join(c.bin, command)}, args...), log: &syncBuffer{}}
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.mu.Unlock()
	c.launch(t, p)
	return p
}

// launch starts p's process, in a process group of its own.
func (c *cluster) launch(t *testing.T, p *proc) {
	t.Helper()
	cmd := exec.Command(p.args[0], p.args[1:]...)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start processes here, so the end-to-end test cannot run: %v", err)
	}
	p.mu.Lock()
	p.cmd, p.dead = cmd, false
	p.mu.Unlock()
}

// restart starts p again on its address, as a server restarted after a
// crash: with no state.
func (c *cluster) restart(t *testing.T, p *proc) {
	t.Helper()
	fmt.Fprintf(p.log, "--- restarted\n")
	c.launch(t, p)
}

// kill9 crashes p: SIGKILL to its process group. It returns when the
// signal was sent.
func (c *cluster) kill9(p *proc) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	at := time.Now()
	if p.dead {
		return at
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	_ = p.cmd.Wait()
	p.dead = true
	fmt.Fprintf(p.log, "--- kill -9\n")
	return at
}

// stop ends p with SIGTERM, and checks that it stops cleanly.
func (c *cluster) stop(t *testing.T, p *proc) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM), "sending SIGTERM to %s", p.addr)
	err := p.cmd.Wait()
	p.dead = true
	assert.NoError(t, err, "%s ends with status 0 on SIGTERM (%s)", p.args[0], docProcs)
	assert.Contains(t, p.log.String(), "terminated: stopping", "%s says it stops on SIGTERM", p.args[0])
}

// cleanup kills every process of the cluster, and shows their logs if the
// test failed.
func (c *cluster) cleanup(t *testing.T) {
	c.mu.Lock()
	procs := c.procs
	c.mu.Unlock()
	for _, p := range procs {
		c.kill9(p)
		if t.Failed() {
			t.Logf("%s:\n%s", strings.Join(p.args, " "), p.log)
		}
	}
}

// runPBC runs pbc with the cluster's view service and returns its
// standard output; the error has its exit status and standard error.
func (c *cluster) runPBC(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(c.bin, "pbc"), append([]string{"-vs", c.vs}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("pbc %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// pbc runs pbc and requires it to succeed.
func (c *cluster) pbc(t *testing.T, args ...string) string {
	t.Helper()
	out, err := c.runPBC(args...)
	require.NoError(t, err, "pbc succeeds while a primary runs (%s)", docProcs)
	return out
}

// write puts and appends to n keys, and notes in want what each holds
// once pbc has acknowledged it.
func (c *cluster) write(t *testing.T, want map[string]string, prefix string, n int) {
	t.Helper()
	for i := range n {
		key := fmt.Sprintf("%s-%d", prefix, i)
		c.pbc(t, "put", key, "v"+key)
		c.pbc(t, "append", key, "+a")
		want[key] = "v" + key + "+a"
	}
}

// checkAll reads every key of want back after the primary was killed at
// crashed. The first read waits for the new primary: the time from the
// crash to its answer, the failover time, is logged.
func (c *cluster) checkAll(t *testing.T, want map[string]string, crashed time.Time, when string) {
	t.Helper()
	first := true
	for key, value := range want {
		assert.Equal(t, value+"\n", c.pbc(t, "get", key), "%s: an acknowledged write is never lost (%s)", when, docProcs)
		if first {
			t.Logf("failover: %v from kill -9 of the primary to the first get answered by the new primary", time.Since(crashed).Round(time.Millisecond))
			first = false
		}
	}
}

// status is what viewd's live page reads from /status.
type status struct {
	View struct {
		Viewnum uint   `json:"viewnum"`
		Primary string `json:"primary"`
		Backup  string `json:"backup"`
	} `json:"view"`
	Acked bool `json:"acked"`
}

// awaitView waits for the view with primary p and backup b, acked by p:
// the backup holds the state, and the view service may move on.
func (c *cluster) awaitView(t *testing.T, p, b string) {
	t.Helper()
	c.awaitStatus(t, patience, fmt.Sprintf("a view with primary %s and backup %s, acked by its primary", p, b), func(st status) bool {
		return st.View.Primary == p && st.View.Backup == b && st.Acked
	})
}

// awaitStatus asks viewd's live page for the status until ok accepts it,
// for the given time at most.
func (c *cluster) awaitStatus(t *testing.T, patience time.Duration, what string, ok func(status) bool) {
	t.Helper()
	var last status
	var lastErr error
	for deadline := time.Now().Add(patience); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		last, lastErr = c.status()
		if lastErr == nil && ok(last) {
			return
		}
	}
	require.Failf(t, "the service never reached "+what,
		"within %v; the latest status: %+v (%v). Are Parts A and B done? (%s)", patience, last, lastErr, docProcs)
}

func (c *cluster) status() (status, error) {
	var st status
	resp, err := http.Get("http://" + c.httpAddr + "/status")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// The commands are built once, into a folder removed after the tests.
var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
	skipWhy   string
)

// commands returns the folder holding viewd, pbd and pbc, built from this
// tree. It skips the test if the go command is not there.
//
// go test keeps a passing result until the test binary or a file the test
// read changes, and a child go build reads the commands' sources behind its
// back. So the test links the packages the commands use (the imports
// above) and reads the commands' own files, and a change to the student's
// code or to a command runs it again.
func commands(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildErr = readSources(commandNames...); buildErr != nil {
			return
		}
		gobin, err := exec.LookPath("go")
		if err != nil {
			skipWhy = "the go command is not on the PATH, so the commands cannot be built: " + err.Error()
			return
		}
		if binDir, buildErr = os.MkdirTemp("", "pblab-cmd-"); buildErr != nil {
			return
		}
		args := []string{"build", "-o", binDir}
		for _, name := range commandNames {
			args = append(args, "pblab/cmd/"+name)
		}
		out, err := exec.Command(gobin, args...).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
	require.NoError(t, buildErr, "building the commands")
	return binDir
}

// commandNames are the commands, each in the folder of its name.
var commandNames = []string{"viewd", "pbd", "pbc"}

// readSources reads the Go files of the given folders, so that go test
// knows the test depends on them.
func readSources(dirs ...string) error {
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			return err
		}
		for _, f := range files {
			if _, err := os.ReadFile(f); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// syncBuffer is a bytes.Buffer that a process and the test can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
