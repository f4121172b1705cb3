// Package tcptest helps the tests that connect processes, or networks of
// one process, over TCP on the loopback interface: labrpc's, and the
// commands' in cmd/.
package tcptest

import (
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

// FreeAddr returns a loopback address, "127.0.0.1:port", whose port nobody
// listens on: the system has just handed it out, and taken it back.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err, "listening on a free loopback port")
	defer l.Close()
	return l.Addr().String()
}
