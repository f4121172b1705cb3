// Package chromium runs headless Chromium for the tests of the pages the
// lab serves or writes: the message diagram (internal/diagram) and viewd's
// live page (cmd/viewd). A test that needs it is skipped, with what to
// install, where Chromium is not installed.
package chromium

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// EnvVar names the environment variable that points at a Chromium binary.
const EnvVar = "PBLAB_CHROMIUM"

// Find returns the path of a Chromium (or Chrome) binary: $PBLAB_CHROMIUM if
// set, else the first of the usual names on the PATH.
func Find() (string, bool) {
	if p := os.Getenv(EnvVar); p != "" {
		return p, true
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// Headless runs Chromium headless on url (file:// or http://) with the
// given extra arguments (--dump-dom, --screenshot=...) and returns what it
// printed on standard output. It uses a fresh profile and turns off
// everything that would reach for the network beyond url. It skips the
// test if Chromium is not installed.
func Headless(t testing.TB, url string, args ...string) []byte {
	t.Helper()
	bin, ok := Find()
	if !ok {
		t.Skip("Chromium is not installed, so this browser check cannot run: " +
			"install Debian's chromium package (apt-get install -y chromium), or set " + EnvVar + " to a Chromium binary")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	all := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir=" + t.TempDir(),
	}, args...)
	all = append(all, url)
	out, err := exec.CommandContext(ctx, bin, all...).Output()
	var stderr []byte
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		stderr = ee.Stderr
	}
	require.NoError(t, err, "running %s: %s", bin, stderr)
	return out
}
