package viewservice

import (
	"testing"

	"pblab/internal/labtest"
)

// TestMain runs the tests through the harness, which reports each one's
// outcome to the grader on a channel of its own. Given: do not change this
// file; the grader uses its own copy of it.
func TestMain(m *testing.M) { labtest.Main(m) }
