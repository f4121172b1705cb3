package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The grader is a command, not a test: it runs the student's code only in
// test binaries of its own making, so it links neither the testing
// packages nor the harness and the network the tests are built on. A
// package that drags them in (the explorer's test-side code, say) belongs
// behind a package of plain types, as internal/explore/plan is.
func TestGraderLinksNoTestCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "pblab/grading").Output()
	require.NoError(t, err, "go list -deps pblab/grading")
	deps := strings.Fields(string(out))
	for _, pkg := range []string{"testing", "testing/synctest", "go.uber.org/goleak", "pblab/internal/labtest", "pblab/labrpc"} {
		assert.NotContains(t, deps, pkg, "the grader must not link %s (see the architecture in ARCHITECTURE.md)", pkg)
	}
}
