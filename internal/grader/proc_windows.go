package grader

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// canLaunch: Windows has no launcher; the test binary starts directly,
// without limits.
const canLaunch = false

// setProcessGroup does nothing: Windows has no Unix process groups.
func setProcessGroup(cmd *exec.Cmd, sandbox bool) {}

// killProcessGroup kills cmd's process.
func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

// passFile makes f's handle one that the process cmd starts inherits, and
// returns its value there (the same), which os.NewFile takes.
func passFile(cmd *exec.Cmd, f *os.File) string {
	h := syscall.Handle(f.Fd())
	_ = syscall.SetHandleInformation(h, syscall.HANDLE_FLAG_INHERIT, syscall.HANDLE_FLAG_INHERIT)
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.AdditionalInheritedHandles = append(cmd.SysProcAttr.AdditionalInheritedHandles, h)
	return strconv.FormatUint(uint64(h), 10)
}

var errNoLauncher = errors.New("no launcher on Windows")

func setLimits(launch) error            { return errNoLauncher }
func execBinary(string, []string) error { return errNoLauncher }
