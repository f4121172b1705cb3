package main

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/tcptest"
	"pblab/labrpc"
	"pblab/viewservice"
)

// These tests run pbc against a view service served over TCP in this
// process. They run on the wall clock, outside labtest.Run: the virtual
// clock cannot see a goroutine waiting on a socket.

const docProcs = "docs/real-processes.md"

// The command line: flags, then an operation and its arguments. A mistake
// is exit status 2, with the usage.
func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    op
		problem string // in the message; "" if the line is right
	}{
		{[]string{"-vs", "h:1", "put", "k", "v"}, op{kind: "put", key: "k", value: "v"}, ""},
		{[]string{"-vs", "h:1", "append", "k", "a b"}, op{kind: "append", key: "k", value: "a b"}, ""},
		{[]string{"-vs", "h:1", "get", "k"}, op{kind: "get", key: "k"}, ""},
		{[]string{"-vs", "h:1", "view"}, op{kind: "view"}, ""},
		{[]string{"put", "k", "v"}, op{}, "-vs is required"},
		{[]string{"-vs", "h:1"}, op{}, "no operation"},
		{[]string{"-vs", "h:1", "delete", "k"}, op{}, `unknown operation "delete"`},
		{[]string{"-vs", "h:1", "get"}, op{}, "get takes 1 argument(s), not 0"},
		{[]string{"-vs", "h:1", "put", "k"}, op{}, "put takes 2 argument(s), not 1"},
		{[]string{"-vs", "h:1", "-timeout", "0s", "view"}, op{}, "-timeout must be positive"},
	} {
		var stderr strings.Builder
		cfg, err := parseArgs(tc.args, &stderr)
		if tc.problem == "" {
			assert.NoError(t, err, "pbc %v is a valid command line", tc.args)
			assert.Equal(t, tc.want, cfg.op, "pbc %v: the operation", tc.args)
			continue
		}
		assert.Error(t, err, "pbc %v is refused", tc.args)
		assert.Contains(t, stderr.String(), "pbc: "+tc.problem, "pbc %v says what is wrong", tc.args)
		assert.Contains(t, stderr.String(), "usage: pbc -vs HOST:PORT", "pbc %v shows the usage", tc.args)
		assert.Equal(t, 2, run(tc.args, io.Discard, io.Discard), "pbc %v: a mistake on the command line is exit status 2", tc.args)
	}
}

// pbc view prints the view on one line, pbc reports a view service that
// does not answer and a primary that does not answer, each with exit
// status 1.
func TestRun(t *testing.T) {
	vs, primary := serveViewService(t)

	stdout, stderr, status := runPBC("-vs", vs, "view")
	assert.Equal(t, 0, status, "pbc view succeeds while the view service runs: %s (%s)", stderr, docProcs)
	assert.Equal(t, "view 1: primary "+primary+", backup none\n", stdout, "pbc view prints one line (%s)", docProcs)

	stdout, stderr, status = runPBC("-vs", vs, "-timeout", "300ms", "get", "k")
	assert.Equal(t, 1, status, "a get whose primary does not answer fails (%s)", docProcs)
	assert.Empty(t, stdout, "a failed get prints no value")
	assert.Equal(t, `pbc: get "k": no answer from the primary within 300ms (latest view 1: primary `+primary+", backup none)\n", stderr,
		"pbc says why the get failed")

	_, stderr, status = runPBC("-vs", vs, "-timeout", "300ms", "put", "k", "v")
	assert.Equal(t, 1, status, "a put whose primary does not answer fails (%s)", docProcs)
	assert.Contains(t, stderr, "the put may or may not have taken effect", "pbc says that a put that timed out is in doubt")

	_, stderr, status = runPBC("-vs", tcptest.FreeAddr(t), "-timeout", "300ms", "view")
	assert.Equal(t, 1, status, "pbc fails when the view service does not answer (%s)", docProcs)
	assert.Contains(t, stderr, "does not answer: is viewd running there?", "pbc says the view service does not answer")
}

// serveViewService serves a view service over TCP, whose primary is a
// name nobody serves; it returns the two addresses.
func serveViewService(t *testing.T) (vs, primary string) {
	t.Helper()
	vs, primary = tcptest.FreeAddr(t), tcptest.FreeAddr(t)
	network := labrpc.MakeNetwork()
	t.Cleanup(network.Cleanup)
	server := viewservice.StartServer(network, vs)
	t.Cleanup(server.Kill)
	_, err := network.ServeTCP(vs)
	require.NoError(t, err, "serving the view service over TCP")
	v, err := viewservice.MakeClerk(network, primary, vs).Ping(0)
	require.NoError(t, err, "the view service answers a ping")
	require.Equal(t, primary, v.Primary, "the first server to ping is primary of view 1 (Part A's rules)")
	return vs, primary
}

// runPBC runs pbc in this process and returns what it printed and its exit
// status.
func runPBC(args ...string) (stdout, stderr string, status int) {
	var out, errs strings.Builder
	status = run(args, &out, &errs)
	return out.String(), errs.String(), status
}
