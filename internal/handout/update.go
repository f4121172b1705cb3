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
