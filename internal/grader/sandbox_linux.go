package grader

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// setProcessAttrs adds Linux's attributes to a launcher's process: it dies
// with the grader, and a sandbox's launcher starts in new user and mount
// namespaces, as root of its user namespace (the grader's own user outside
// it), which lets it change its own mounts and nothing else.
func setProcessAttrs(attr *syscall.SysProcAttr, sandbox bool) {
	attr.Pdeathsig = syscall.SIGKILL
	if !sandbox {
		return
	}
	attr.Cloneflags = syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS
	attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
	attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
}

// enterSandbox makes the readOnly folders read-only for this process and
// those it starts, except the writable folders under them. The launcher
// calls it in its own mount namespace: nothing changes outside it.
//
// Each writable folder is first bound onto itself, then each read-only
// folder, with what is mounted under it; remounting that bind read-only
// changes it alone, so the writable binds under it stay writable.
func enterSandbox(readOnly, writable []string) error {
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making the mounts private: %w", err)
	}
	for _, dir := range writable {
		if err := syscall.Mount(dir, dir, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
			return fmt.Errorf("binding %s: %w", dir, err)
		}
	}
	for _, dir := range readOnly {
		if err := syscall.Mount(dir, dir, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
			return fmt.Errorf("binding %s: %w", dir, err)
		}
		var st syscall.Statfs_t
		if err := syscall.Statfs(dir, &st); err != nil {
			return fmt.Errorf("reading the mount flags of %s: %w", dir, err)
		}
		flags := syscall.MS_BIND | syscall.MS_REMOUNT | syscall.MS_RDONLY | lockedFlags(int64(st.Flags))
		if err := syscall.Mount("", dir, "", uintptr(flags), ""); err != nil {
			return fmt.Errorf("making %s read-only: %w", dir, err)
		}
	}
	return nil
}

// lockedFlags returns the mount flags (MS_*) matching statfs's flags
// (ST_*) that a remount in a user namespace must keep: the kernel refuses
// to drop them.
func lockedFlags(st int64) int {
	const (
		stNoSUID      = 0x2
		stNoDev       = 0x4
		stNoExec      = 0x8
		stNoATime     = 0x400
		stNoDirATime  = 0x800
		stRelATime    = 0x1000
		msRelATimeBit = syscall.MS_RELATIME
	)
	var flags int
	for _, f := range []struct {
		st int64
		ms int
	}{
		{stNoSUID, syscall.MS_NOSUID}, {stNoDev, syscall.MS_NODEV}, {stNoExec, syscall.MS_NOEXEC},
		{stNoATime, syscall.MS_NOATIME}, {stNoDirATime, syscall.MS_NODIRATIME}, {stRelATime, msRelATimeBit},
	} {
		if st&f.st != 0 {
			flags |= f.ms
		}
	}
	return flags
}

// canWatchMemory: Linux's /proc shows each process's memory.
const canWatchMemory = true

var pageSize = int64(os.Getpagesize())

// groupMemory returns the resident memory, in bytes, of process pid and
// the processes it started, and so on down. A test process starts none of
// its own, so in practice it is the test process's.
func groupMemory(pid int) int64 {
	total := int64(0)
	for _, p := range descendants(pid) {
		data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "statm"))
		if err != nil {
			continue // ended
		}
		if f := strings.Fields(string(data)); len(f) > 1 {
			if pages, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				total += pages * pageSize
			}
		}
	}
	return total
}

// descendants returns pid and every process started by it or by one of
// them, as far as /proc/PID/task/TID/children tells.
func descendants(pid int) []int {
	pids := []int{pid}
	for i := 0; i < len(pids); i++ {
		tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pids[i]), "task", "*", "children"))
		for _, file := range tasks {
			data, err := os.ReadFile(file)
			if err != nil {
				continue
			}
			for _, f := range strings.Fields(string(data)) {
				if child, err := strconv.Atoi(f); err == nil {
					pids = append(pids, child)
				}
			}
		}
	}
	return pids
}

// A fileStamp identifies a file and the last change to it: its device and
// inode, size, and modification and change times.
type fileStamp struct {
	dev, ino, size int64
	mtime, ctime   syscall.Timespec
}

// stampOf returns the stamp of the file at path.
func stampOf(path string) (fileStamp, bool) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return fileStamp{}, false
	}
	return fileStamp{dev: int64(st.Dev), ino: int64(st.Ino), size: st.Size, mtime: st.Mtim, ctime: st.Ctim}, true
}
