//go:build unix

package pbservice

import (
	"syscall"
	"time"
)

// wallNow returns the wall-clock time even inside a virtual-time bubble,
// where time.Now is the bubble's clock. Tests use it only to report how long
// a computation really took.
func wallNow() time.Time {
	var tv syscall.Timeval
	if err := syscall.Gettimeofday(&tv); err != nil {
		return time.Time{}
	}
	return time.Unix(tv.Unix())
}
