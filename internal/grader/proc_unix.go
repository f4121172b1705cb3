//go:build unix

package grader

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// canLaunch: on Unix a test binary starts through the launcher, which sets
// its limits.
const canLaunch = true

// setProcessGroup makes cmd the leader of a new process group, so that
// killProcessGroup reaches everything it starts; with sandbox, in new user
// and mount namespaces too (Linux).
func setProcessGroup(cmd *exec.Cmd, sandbox bool) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setProcessAttrs(cmd.SysProcAttr, sandbox)
}

// killProcessGroup kills cmd's process group. It does nothing if cmd has not
// started.
func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

// setLimits sets the launcher's resource limits, which the test binary it
// becomes keeps: CPU time, no core dumps, the size of a file it writes, and
// its open files. Soft and hard limits are the same, so that the test
// binary cannot raise them (Go raises its soft limit on open files to the
// hard one at startup). A limit already lower stays as it is.
func setLimits(l launch) error {
	for _, lim := range []struct {
		resource int
		value    int64
	}{
		{syscall.RLIMIT_CPU, l.CPU},
		{syscall.RLIMIT_CORE, 0},
		{syscall.RLIMIT_FSIZE, l.FileSize},
		{syscall.RLIMIT_NOFILE, l.Files},
	} {
		var cur syscall.Rlimit
		if err := syscall.Getrlimit(lim.resource, &cur); err != nil {
			return err
		}
		v := uint64(max(lim.value, 0))
		v = min(v, cur.Max)
		if err := syscall.Setrlimit(lim.resource, &syscall.Rlimit{Cur: v, Max: v}); err != nil {
			return err
		}
	}
	return nil
}

// execBinary replaces the launcher with the test binary bin.
func execBinary(bin string, args []string) error {
	return syscall.Exec(bin, append([]string{bin}, args...), os.Environ())
}

// passFile makes f a file of the process cmd starts and returns its
// number there: 3 for the first of cmd.ExtraFiles, never 0, 1 or 2.
func passFile(cmd *exec.Cmd, f *os.File) string {
	cmd.ExtraFiles = append(cmd.ExtraFiles, f)
	return strconv.Itoa(2 + len(cmd.ExtraFiles))
}
