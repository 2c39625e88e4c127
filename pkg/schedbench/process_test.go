package schedbench

import (
	"errors"
	"io"
	"os/exec"
	"testing"
	"time"
)

func TestProcessMemoryAndStop(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	p, err := StartProcess(io.Discard, sleep, "60")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	rss, err := p.RSS()
	if err != nil || rss <= 0 {
		t.Errorf("RSS() = %v, %v; want a positive size", rss, err)
	}
	peak, err := p.PeakRSS()
	if err != nil || peak < rss {
		t.Errorf("PeakRSS() = %v, %v; want at least RSS %v", peak, err, rss)
	}
	if err := p.Err(); err != nil {
		t.Errorf("Err() of a running process = %v, want nil", err)
	}
	p.Stop()
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done not closed after Stop")
	}
	var exit *exec.ExitError
	if err := p.Err(); !errors.As(err, &exit) {
		t.Errorf("Err() after SIGTERM = %v, want an *exec.ExitError", err)
	}
	p.Stop() // a second Stop is harmless
}
