package controllertest

import (
	"testing"
	"time"
)

// WaitTimeout is how long WaitFor waits by default.
const WaitTimeout = 30 * time.Second

// pollInterval is how often WaitFor asks again.
const pollInterval = 20 * time.Millisecond

// WaitFor polls cond until it returns true, and fails the test if that has
// not happened within WaitTimeout, saying what it waited for and cond's last
// error. An error from cond does not end the wait (the apiserver may be busy);
// return false, nil to keep waiting without one.
func WaitFor(t testing.TB, what string, cond func() (bool, error)) {
	t.Helper()
	WaitForWithin(t, WaitTimeout, what, cond)
}

// WaitForWithin is WaitFor with another timeout.
func WaitForWithin(t testing.TB, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		ok, err := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			if err != nil {
				t.Fatalf("timed out after %v waiting for %s: last error: %v", timeout, what, err)
			}
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		<-tick.C
	}
}
