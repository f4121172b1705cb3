package cmdline

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A mistake is one line naming the command, then the usage; -h shows the
// usage and is no mistake.
func TestRefuse(t *testing.T) {
	var stderr strings.Builder
	fs := NewFlagSet("viewd", "viewd -addr HOST:PORT", "viewd runs the view service.", &stderr)
	fs.String("addr", "", "the `HOST:PORT` to serve at")
	err := Refuse(fs, "-addr is required")
	assert.EqualError(t, err, "viewd: -addr is required", "the error names the command")
	assert.Equal(t, "viewd: -addr is required\nusage: viewd -addr HOST:PORT\n\nviewd runs the view service.\n"+
		"  -addr HOST:PORT\n    \tthe HOST:PORT to serve at\n", stderr.String(), "the mistake, then the usage")
	assert.Equal(t, Mistake, Status(err), "a mistake on the command line is exit status 2")

	stderr.Reset()
	err = fs.Parse([]string{"-h"})
	assert.Equal(t, 0, Status(err), "-h is no mistake")
	assert.True(t, strings.HasPrefix(stderr.String(), "usage: viewd"), "-h shows the usage")
	assert.Equal(t, Mistake, Status(fs.Parse([]string{"-nope"})), "an unknown flag is a mistake")
}
