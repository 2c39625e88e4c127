package schedbench

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// stopTimeout is how long Stop waits after SIGTERM before it sends SIGKILL.
const stopTimeout = 30 * time.Second

// Process is a binary (the scheduler) started for the benchmark in its own
// process group, so Stop ends it and anything it started.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited; err is set then
	err  error
}

// StartProcess starts bin with args; its stdout and stderr go to logs.
func StartProcess(logs io.Writer, bin string, args ...string) (*Process, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Done is closed when the process has exited; Err then says how.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is the process's exit status once Done is closed.
func (p *Process) Err() error {
	select {
	case <-p.done:
		if p.err == nil {
			return fmt.Errorf("%s exited", p.cmd.Path)
		}
		return fmt.Errorf("%s: %w", p.cmd.Path, p.err)
	default:
		return nil
	}
}

// RSS returns the process's resident memory now (VmRSS), in MiB.
func (p *Process) RSS() (float64, error) { return p.status("VmRSS:") }

// PeakRSS returns the most resident memory the process has had (VmHWM), in MiB.
func (p *Process) PeakRSS() (float64, error) { return p.status("VmHWM:") }

func (p *Process) status(field string) (float64, error) {
	path := fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid)
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no %s in %s", field, path)
}

// Stop sends SIGTERM to the process group, then SIGKILL if it has not exited
// within stopTimeout, and waits for the exit.
func (p *Process) Stop() {
	select {
	case <-p.done:
		return // exited already; its group id may belong to someone else by now
	default:
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}
