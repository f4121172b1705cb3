package labrpc_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks, after every test, example and benchmark of the package
// has run, that none left a goroutine behind (the examples and benchmarks
// run outside labtest.Run, which checks each test on its own).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
