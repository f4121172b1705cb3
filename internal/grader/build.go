package grader

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"pblab/internal/rubric"
)

// A build is a package's compiled test binary, or why there is none.
type build struct {
	bin   string
	err   string          // "build failed: ..." if the package did not build
	tests map[string]bool // the tests the binary holds
}

// buildAll compiles the test binary of every package of opts.Tests into
// binDir, two at a time.
func buildAll(ctx context.Context, opts Options, binDir string) map[string]*build {
	builds := map[string]*build{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for _, pkg := range rubric.Packages(opts.Tests) {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			b := buildPackage(ctx, opts, binDir, pkg)
			mu.Lock()
			builds[pkg] = b
			mu.Unlock()
		})
	}
	wg.Wait()
	return builds
}

// buildPackage compiles the test binary of pkg and lists its tests.
func buildPackage(ctx context.Context, opts Options, binDir, pkg string) *build {
	bin := filepath.Join(binDir, pkg+".test")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	args := []string{"test", "-c", "-o", bin}
	if opts.Race {
		args = append(args, "-race")
	}
	args = append(args, opts.BuildFlags...)
	args = append(args, "./"+pkg)
	cmd := exec.CommandContext(ctx, GoCommand(), args...)
	cmd.Dir = opts.Root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return &build{err: "build failed:" + compilerErrors(string(out), err)}
	}
	if _, err := os.Stat(bin); err != nil {
		return &build{err: fmt.Sprintf("build failed: package %s has no tests", pkg)}
	}
	tests, err := listTests(bin, filepath.Join(opts.Root, pkg))
	if err != nil {
		return &build{err: "build failed: " + err.Error()}
	}
	return &build{bin: bin, tests: tests}
}

// compilerErrors keeps the useful lines of go test -c's output: the
// compiler's and vet's messages, without go's own headers.
func compilerErrors(out string, err error) string {
	var keep []string
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, "\n")
		if line == "" || strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "FAIL") {
			continue
		}
		keep = append(keep, line)
		if len(keep) == 12 {
			keep = append(keep, "...")
			break
		}
	}
	if len(keep) == 0 {
		return " " + err.Error()
	}
	return "\n  " + strings.Join(keep, "\n  ")
}

// listTests returns the names of the tests a test binary holds.
func listTests(bin, dir string) (map[string]bool, error) {
	cmd := exec.Command(bin, "-test.list=.")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("listing the tests of %s: %w", filepath.Base(bin), err)
	}
	names := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "ok ") {
			names[line] = true
		}
	}
	return names, nil
}

// GoCommand returns the go command: the one on the PATH, or else the one
// in GOROOT/bin if the environment names a GOROOT.
func GoCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if root := os.Getenv("GOROOT"); root != "" {
		return filepath.Join(root, "bin", "go")
	}
	return "go"
}
