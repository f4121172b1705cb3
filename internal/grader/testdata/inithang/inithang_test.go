// Package inithang never gets past its initialisation, for the grader's
// own tests.
package inithang

import (
	"testing"
	"time"
)

func init() {
	for {
		time.Sleep(time.Hour)
	}
}

func TestA(t *testing.T) {}

func TestB(t *testing.T) {}
