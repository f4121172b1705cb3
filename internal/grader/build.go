package grader

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"pblab/internal/rubric"
)

// A build is a package's compiled test binary, or why there is none.
type build struct {
	bin   string
	sum   [sha256.Size]byte // the binary's checksum, taken when it was built
	stamp fileStamp         // the binary's file as it was built
	err   string            // "build failed: ..." if the package did not build
	tests map[string]bool   // the tests the package's test sources define
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

// buildPackage compiles the test binary of pkg, takes its checksum, and
// lists the tests of its sources. Nothing it built runs here: the list of
// tests comes from the test files, not from the binary.
func buildPackage(ctx context.Context, opts Options, binDir, pkg string) *build {
	if !opts.Deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, opts.Deadline)
		defer cancel()
	}
	bin := filepath.Join(binDir, strings.ReplaceAll(pkg, "/", "_")+".test")
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
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return &build{err: "not built: out of time (the grading's deadline came during the build)"}
		}
		return &build{err: "build failed:" + compilerErrors(string(out), err)}
	}
	if _, err := os.Stat(bin); err != nil {
		return &build{err: fmt.Sprintf("build failed: package %s has no tests", pkg)}
	}
	stamp, _ := stampOf(bin)
	sum, err := checksum(bin)
	if err != nil {
		return &build{err: "build failed: " + err.Error()}
	}
	tests, err := DefinedTests(filepath.Join(opts.Root, pkg))
	if err != nil {
		return &build{err: "build failed: " + err.Error()}
	}
	return &build{bin: bin, sum: sum, stamp: stamp, tests: tests}
}

// checksum returns the SHA-256 of the file at path.
func checksum(path string) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	f, err := os.Open(path)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return sum, err
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}

// unchanged reports whether the binary is still the one that was built:
// the same file, its size and times as they were, or else its checksum as
// it was. The stamp spares each run the checksum's cost, and is as sure:
// the kernel sets a file's change time on every write, and no unprivileged
// process can set it back.
func (b *build) unchanged() bool {
	if stamp, ok := stampOf(b.bin); ok && stamp == b.stamp {
		return true
	}
	sum, err := checksum(b.bin)
	return err == nil && sum == b.sum
}

// DefinedTests returns the names of the tests the _test.go files of the
// package in dir define: every top-level func TestX(t *testing.T). It
// reads the sources and runs nothing.
func DefinedTests(dir string) (map[string]bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	fset := token.NewFileSet()
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("reading the tests of %s: %w", filepath.Base(dir), err)
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && isTest(fn) {
				names[fn.Name.Name] = true
			}
		}
	}
	return names, nil
}

// isTest reports whether fn is a test function as go test finds them: a
// top-level func named Test, or Test followed by a name that does not start
// with a lower-case letter, with one parameter; TestMain is not a test.
func isTest(fn *ast.FuncDecl) bool {
	name, ok := strings.CutPrefix(fn.Name.Name, "Test")
	if !ok || name == "Main" || fn.Recv != nil || fn.Type.TypeParams != nil || fn.Type.Params.NumFields() != 1 {
		return false
	}
	r, _ := utf8.DecodeRuneInString(name)
	return name == "" || !unicode.IsLower(r)
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
