//go:build !unix

package pbservice

import "time"

// wallNow returns the time. Outside Unix it cannot see past a virtual-time
// bubble's clock, so durations measured with it in virtual time read zero.
func wallNow() time.Time { return time.Now() }
