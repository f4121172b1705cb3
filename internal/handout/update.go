package handout

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Update writes the handout of the tree at root over dst, a clean clone of
// the course's handout repository: it removes every file git tracks in dst
// and writes the handout in their place, so that after it `git add -A`
// records exactly the new handout (files the new handout no longer holds
// included). Only what git can give back is removed: dst must be a git
// work tree with nothing uncommitted, not even an untracked file, or
// Update changes nothing and says why.
func Update(root, dst string) (*Stats, error) {
	if _, err := os.Stat(filepath.Join(dst, ".git")); err != nil {
		return nil, fmt.Errorf("-update: %s is not a clone of a git repository (no .git): clone the course's handout repository there first", dst)
	}
	status, err := gitOutput(dst, "status", "--porcelain", "--untracked-files=all")
	if err != nil {
		return nil, fmt.Errorf("-update: %w", err)
	}
	if status != "" {
		return nil, fmt.Errorf("-update: %s has changes git has not committed; commit or remove them first, nothing was changed:\n%s", dst, status)
	}
	if err := requireBranchCheckedOut(dst); err != nil {
		return nil, err
	}
	tracked, err := gitOutput(dst, "ls-files", "-z")
	if err != nil {
		return nil, fmt.Errorf("-update: %w", err)
	}
	for _, rel := range strings.Split(tracked, "\x00") {
		if rel == "" {
			continue
		}
		if err := os.Remove(filepath.Join(dst, filepath.FromSlash(rel))); err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("-update: %w", err)
		}
	}
	if err := removeEmptyDirs(dst); err != nil {
		return nil, fmt.Errorf("-update: %w", err)
	}
	return write(root, dst)
}

// requireBranchCheckedOut refuses a clone that has checked out no commit
// while its remote has branches: a clone of a repository whose HEAD names
// a branch it does not have (a bare repository made on git's default
// master, pushed to on main). Written over, the handout would go to a new
// branch beside the published one. A clone of an empty repository has no
// branch anywhere, and is fine.
func requireBranchCheckedOut(dst string) error {
	if _, err := gitOutput(dst, "rev-parse", "--verify", "-q", "HEAD"); err == nil {
		return nil
	}
	remote, err := gitOutput(dst, "branch", "-r", "--format=%(refname:lstrip=3)")
	if err != nil {
		return fmt.Errorf("-update: %w", err)
	}
	if remote == "" {
		return nil
	}
	return fmt.Errorf("-update: %s has no branch checked out, but its remote has %s: check out the published one first (git -C %s checkout main), nothing was changed",
		dst, strings.Join(strings.Fields(remote), ", "), dst)
}

// removeEmptyDirs removes the folders under dir (.git aside) that hold no
// file, deepest first.
func removeEmptyDirs(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == ".git" {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		if err := removeEmptyDirs(sub); err != nil {
			return err
		}
		if left, err := os.ReadDir(sub); err == nil && len(left) == 0 {
			if err := os.Remove(sub); err != nil {
				return err
			}
		}
	}
	return nil
}

// gitOutput runs git in dir and returns its standard output, trimmed.
func gitOutput(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %v %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimRight(string(out), "\n"), nil
}
