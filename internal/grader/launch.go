package grader

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// A test binary never starts on its own: the grader starts itself again as
// a launcher (launcherName as argv[0], a launch as argv[1]), which sets the
// process's limits and, where the machine allows it, its sandbox, and then
// replaces itself with the test binary (exec), so that the test process
// starts with its limits already in place. The launcher is this package's
// init: every program that links the grader (the grading command, the
// grader's and the mutants' test binaries) can launch.

// launcherName is argv[0] of the grader started as a launcher.
const launcherName = "pblab-launch"

// Exit statuses of a launcher that could not launch. The test binary never
// ran: the run's verdict is the grader's failure, not the student's.
const (
	launchFailed = 125 // setting the limits or the sandbox up failed
	execFailed   = 126 // the test binary could not be started
)

// A launch is what the launcher does before it becomes the test binary.
type launch struct {
	Bin      string   // the test binary
	Args     []string // its arguments, after argv[0]
	CPU      int64    // RLIMIT_CPU, in seconds
	FileSize int64    // RLIMIT_FSIZE, in bytes
	Files    int64    // RLIMIT_NOFILE
	// The sandbox, in new user and mount namespaces (Linux): ReadOnly
	// folders are made read-only, except the Writable folders under them.
	Sandbox  bool
	ReadOnly []string
	Writable []string
	Probe    bool // set everything up, then exit 0 instead of starting Bin
}

func init() {
	if len(os.Args) == 2 && os.Args[0] == launcherName {
		os.Exit(runLauncher(os.Args[1]))
	}
}

// runLauncher is the launcher's main: it sets up what spec (a launch, as
// JSON) says and execs the test binary. It returns only on failure, with
// its exit status.
func runLauncher(spec string) int {
	var l launch
	if err := json.Unmarshal([]byte(spec), &l); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", launcherName, err)
		return launchFailed
	}
	if l.Sandbox {
		if err := enterSandbox(l.ReadOnly, l.Writable); err != nil {
			fmt.Fprintf(os.Stderr, "%s: sandbox: %v\n", launcherName, err)
			return launchFailed
		}
	}
	if err := setLimits(l); err != nil {
		fmt.Fprintf(os.Stderr, "%s: limits: %v\n", launcherName, err)
		return launchFailed
	}
	if l.Probe {
		return 0
	}
	err := execBinary(l.Bin, l.Args)
	fmt.Fprintf(os.Stderr, "%s: starting %s: %v\n", launcherName, l.Bin, err)
	return execFailed
}

// command returns the command that launches l: the grader itself as a
// launcher, in a process group of its own (and in new namespaces for a
// sandbox). Where the grader cannot launch (no Unix), it is the test binary
// itself, without limits.
func (l launch) command() (*exec.Cmd, error) {
	if !canLaunch {
		cmd := exec.Command(l.Bin, l.Args...)
		setProcessGroup(cmd, false)
		return cmd, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the grader's own executable: %w", err)
	}
	spec, err := json.Marshal(l)
	if err != nil {
		return nil, err
	}
	cmd := &exec.Cmd{Path: exe, Args: []string{launcherName, string(spec)}}
	setProcessGroup(cmd, l.Sandbox)
	return cmd, nil
}

// A sandbox is what the sandbox of each test process makes read-only.
type sandbox struct {
	readOnly []string
}

// setUpSandbox returns the sandbox of the grading's test processes: the
// tree graded, the test binaries in binDir and opts.Protect are read-only
// in it, and the folders of the runs (under workRoot) and artifacts stay
// writable. It tries a launch first; if that fails (no Linux, or no
// unprivileged user namespaces, as in some containers), it returns nil and
// why, and the tests run without one.
func setUpSandbox(opts Options, binDir, workRoot, artifacts string) (*sandbox, string) {
	if !canLaunch {
		return nil, "this system has no launcher"
	}
	var readOnly []string
	for _, dir := range append([]string{opts.Root, binDir}, opts.Protect...) {
		if abs, err := filepath.Abs(dir); err == nil {
			readOnly = append(readOnly, abs)
		}
	}
	writable := []string{workRoot}
	if artifacts != "" {
		writable = append(writable, artifacts)
	}
	probe := launch{Sandbox: true, ReadOnly: readOnly, Writable: writable, Probe: true}
	cmd, err := probe.command()
	if err != nil {
		return nil, err.Error()
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err.Error()
	}
	stuck := time.AfterFunc(10*time.Second, func() { killProcessGroup(cmd) })
	err = cmd.Wait()
	stuck.Stop()
	if err != nil {
		why := strings.TrimSpace(out.String())
		if why == "" {
			why = err.Error()
		}
		return nil, strings.TrimPrefix(why, launcherName+": ")
	}
	return &sandbox{readOnly: readOnly}, ""
}
