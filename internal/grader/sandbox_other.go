//go:build !linux

package grader

import (
	"errors"
	"syscall"
)

// setProcessAttrs adds nothing: the sandbox needs Linux.
func setProcessAttrs(*syscall.SysProcAttr, bool) {}

// enterSandbox fails: the sandbox needs Linux's namespaces.
func enterSandbox(_, _ []string) error {
	return errors.New("the sandbox needs Linux")
}

// canWatchMemory: without Linux's /proc, the grader cannot see a test
// process's memory.
const canWatchMemory = false

func groupMemory(int) int64 { return 0 }
