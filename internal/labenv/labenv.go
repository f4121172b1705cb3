// Package labenv holds the names that pblab's test harness, its tools and
// its grader share: the environment variables that steer a test run, and
// where the lab's tree is. It imports neither testing nor any part of the
// lab, so that a command (the grader) can use it without linking the test
// harness.
package labenv

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The environment variables of a test run.
const (
	// RealtimeEnv runs the tests on the wall clock instead of in virtual
	// time (PBLAB_REALTIME=1).
	RealtimeEnv = "PBLAB_REALTIME"
	// StallTimeoutEnv overrides DefaultStallTimeout (a Go duration, "30s").
	StallTimeoutEnv = "PBLAB_STALL_TIMEOUT"
	// ArtifactDirEnv overrides where tests write the files a person opens
	// after a run (message diagrams, linearizability visualisations).
	ArtifactDirEnv = "PBLAB_ARTIFACTS"
	// TraceEnv makes passing tests write their message diagram too
	// (PBLAB_TRACE=1); failing tests always write it.
	TraceEnv = "PBLAB_TRACE"
	// TraceEventsEnv sets how many journal events a diagram keeps.
	TraceEventsEnv = "PBLAB_TRACE_EVENTS"
	// PackageEnv names the test's package as go test takes it
	// ("./pbservice"), for a test binary the grader runs outside its
	// package's folder; the replay commands a failing test prints use it.
	PackageEnv = "PBLAB_PACKAGE"
)

// DefaultStallTimeout is how long, in real time, a test's virtual clock may
// stand still before the harness ends the test as frozen.
const DefaultStallTimeout = 20 * time.Second

// StallMarker starts the line the harness prints when it ends a test whose
// virtual clock froze.
const StallMarker = "pblab: STALL:"

// Realtime reports whether tests run on the wall clock (PBLAB_REALTIME=1).
func Realtime() bool {
	v, _ := strconv.ParseBool(os.Getenv(RealtimeEnv))
	return v
}

// StallTimeout returns PBLAB_STALL_TIMEOUT if it is set to a positive
// duration, DefaultStallTimeout otherwise.
func StallTimeout() time.Duration {
	if d, err := time.ParseDuration(os.Getenv(StallTimeoutEnv)); err == nil && d > 0 {
		return d
	}
	return DefaultStallTimeout
}

// ArtifactDir returns the folder artifacts are written to: $PBLAB_ARTIFACTS
// if set, otherwise a folder of the user's own in the system's temporary
// folder, pblab-<user> ($TMPDIR/pblab-alice; /tmp/pblab-alice on Linux),
// so that the users of a shared machine neither mix their files nor find
// the folder owned by someone else.
func ArtifactDir() string {
	if dir := os.Getenv(ArtifactDirEnv); dir != "" {
		return dir
	}
	return filepath.Join(os.TempDir(), "pblab-"+userTag())
}

// userTag names the user running the program in a form fit for a file
// name (see fileSafe): the login name, or the numeric user id if the name
// is unknown.
func userTag() string {
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		name = os.Getenv("USER")
	}
	if tag := fileSafe(name); tag != "" {
		return tag
	}
	return strconv.Itoa(max(os.Getuid(), 0))
}

// fileSafe returns name with every character other than an ASCII letter or
// digit, '-', '_' and '.' turned into '_' ("DOMAIN\\ana" becomes
// "DOMAIN_ana"), or "" if nothing of it could name a folder.
func fileSafe(name string) string {
	if strings.Trim(name, ".") == "" {
		return ""
	}
	return strings.Map(func(r rune) rune {
		if r <= unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.') {
			return r
		}
		return '_'
	}, name)
}

// ModulePath is the module path of the lab, as its go.mod declares it.
const ModulePath = "pblab"

// ModuleRoot returns the root of the pblab module that contains dir: the
// nearest directory at or above dir that holds a go.mod. It is an error if
// there is none, or if the nearest go.mod declares another module.
func ModuleRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			if declaresModule(data, ModulePath) {
				return d, nil
			}
			return "", fmt.Errorf("%s is not the %s module", filepath.Join(d, "go.mod"), ModulePath)
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s: run this inside the lab's tree", dir)
		}
	}
}

// declaresModule reports whether go.mod data declares the module path.
func declaresModule(gomod []byte, path string) bool {
	for line := range strings.Lines(string(gomod)) {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" && strings.Trim(f[1], `"`) == path {
			return true
		}
	}
	return false
}

// PackageDir returns dir's path relative to the root of its module, in the
// form go test takes as an argument ("./pbservice"), or "." if dir is the
// root or not inside the module.
func PackageDir(dir string) string {
	root, err := ModuleRoot(dir)
	if err != nil {
		return "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "."
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return "."
	}
	return "./" + filepath.ToSlash(rel)
}
