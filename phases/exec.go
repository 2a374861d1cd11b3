package phases

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Proc is one process to run for a phase (its command or its check).
type Proc struct {
	Argv    []string
	Env     []string
	Dir     string
	Timeout time.Duration // 0: none
	Output  io.Writer     // stdout and stderr, interleaved as written
	// Heartbeat: when the process has written nothing for this long,
	// OnSilence is told how long it has been running (0: never).
	Heartbeat time.Duration
	OnSilence func(elapsed time.Duration)
	// OnSignal is told when a signal starts stopping the process (second:
	// a repeated signal that kills it at once).
	OnSignal func(sig os.Signal, grace time.Duration, second bool)
	// OnStart is told the process group once the process runs; an error
	// (the start could not be recorded) stops the process group at once.
	OnStart func(pgid int) error
}

// activity is an output writer that remembers when it was last written.
type activity struct {
	w    io.Writer
	last atomic.Int64
}

func (a *activity) Write(p []byte) (int, error) {
	a.last.Store(time.Now().UnixNano())
	return a.w.Write(p)
}

// Result is how a process ended.
type Result struct {
	ExitCode    int
	Signaled    os.Signal // the signal that killed the process, if one did
	Duration    time.Duration
	Interrupted os.Signal // set when a signal stopped it
	TimedOut    bool
	Err         error // the process could not be started or waited for
}

// OK says the process ran and exited 0.
func (r Result) OK() bool {
	return r.Err == nil && r.Interrupted == nil && !r.TimedOut && r.ExitCode == 0
}

// Exec runs p in its own process group, so that a signal reaches the whole
// tree a script starts (k0sctl, helm, ssh) and nothing else. A signal from
// sigs is forwarded to the group; if the group has not exited after grace,
// or a second signal comes, it is killed. A timeout does the same with
// SIGTERM.
func Exec(p Proc, sigs <-chan os.Signal, grace time.Duration) Result {
	cmd := exec.Command(p.Argv[0], p.Argv[1:]...)
	cmd.Env, cmd.Dir = p.Env, p.Dir
	out := &activity{w: p.Output}
	if p.Output == nil {
		out.w = io.Discard
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A background child (a port-forward, a daemon) may keep the output
	// pipe open after the phase's process exits; do not wait on it forever.
	cmd.WaitDelay = pipeDelay
	start := time.Now()
	out.last.Store(start.UnixNano())
	if err := cmd.Start(); err != nil {
		return Result{ExitCode: 127, Err: fmt.Errorf("start %s: %w", p.Argv[0], err), Duration: time.Since(start)}
	}
	if p.OnStart != nil {
		if err := p.OnStart(cmd.Process.Pid); err != nil {
			signalGroup(cmd.Process.Pid, syscall.SIGKILL)
			_ = cmd.Wait()
			return Result{ExitCode: -1, Err: err, Duration: time.Since(start)}
		}
	}
	done := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		if errors.Is(err, exec.ErrWaitDelay) {
			err = nil
			if !cmd.ProcessState.Success() {
				err = &exec.ExitError{ProcessState: cmd.ProcessState}
			}
		}
		done <- err
	}()
	res := supervise(cmd.Process.Pid, done, sigs, p.Timeout, grace, watch{p: p, out: out, start: start})
	if !res.OK() {
		// The phase failed or was stopped; whatever it left running in its
		// group goes too. (A phase that succeeds may leave a daemon.)
		signalGroup(cmd.Process.Pid, syscall.SIGKILL)
	}
	res.Duration = time.Since(start)
	return res
}

// pipeDelay is how long output may stay open after a phase's process exits.
const pipeDelay = 2 * time.Second

// watch is what supervise reports progress from.
type watch struct {
	p     Proc
	out   *activity
	start time.Time
}

func supervise(pgid int, done <-chan error, sigs <-chan os.Signal, timeout, grace time.Duration, w watch) Result {
	var timer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	var beat <-chan time.Time
	if w.p.Heartbeat > 0 && w.p.OnSilence != nil {
		t := time.NewTicker(w.p.Heartbeat / 4)
		defer t.Stop()
		beat = t.C
	}
	lastNote := w.start
	var res Result
	var kill <-chan time.Time
	for {
		select {
		case err := <-done:
			res.ExitCode, res.Signaled, res.Err = exitCode(err)
			return res
		case now := <-beat:
			quiet := time.Unix(0, w.out.last.Load())
			if lastNote.After(quiet) {
				quiet = lastNote
			}
			if now.Sub(quiet) >= w.p.Heartbeat && res.Interrupted == nil {
				lastNote = now
				w.p.OnSilence(now.Sub(w.start))
			}
		case sig := <-sigs:
			if res.Interrupted != nil {
				if w.p.OnSignal != nil {
					w.p.OnSignal(sig, grace, true)
				}
				signalGroup(pgid, syscall.SIGKILL) // second signal: stop waiting
				continue
			}
			if w.p.OnSignal != nil {
				w.p.OnSignal(sig, grace, false)
			}
			res.Interrupted = sig
			signalGroup(pgid, sig)
			kill = time.After(grace)
		case <-timer:
			res.TimedOut = true
			signalGroup(pgid, syscall.SIGTERM)
			kill = time.After(grace)
		case <-kill:
			signalGroup(pgid, syscall.SIGKILL)
		}
	}
}

func signalGroup(pgid int, sig os.Signal) {
	if s, ok := sig.(syscall.Signal); ok {
		_ = syscall.Kill(-pgid, s)
	}
}

func exitCode(err error) (int, os.Signal, error) {
	if err == nil {
		return 0, nil, nil
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), ws.Signal(), nil
		}
		return exit.ExitCode(), nil, nil
	}
	return -1, nil, err
}

// SignalName is a signal as operators write it: SIGINT, not "interrupt".
func SignalName(sig os.Signal) string {
	names := map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM", syscall.SIGKILL: "SIGKILL",
		syscall.SIGHUP: "SIGHUP", syscall.SIGQUIT: "SIGQUIT", syscall.SIGABRT: "SIGABRT", syscall.SIGSEGV: "SIGSEGV",
		syscall.SIGPIPE: "SIGPIPE", syscall.SIGBUS: "SIGBUS", syscall.SIGUSR1: "SIGUSR1", syscall.SIGUSR2: "SIGUSR2"}
	if s, ok := sig.(syscall.Signal); ok {
		if name, ok := names[s]; ok {
			return name
		}
		return fmt.Sprintf("signal %d", int(s))
	}
	return sig.String()
}

// GroupAlive says whether any process of the process group pgid still
// runs. A zombie (exited, its parent gone, not yet reaped by init) does
// not count; /proc tells them apart where kill(2) cannot.
func GroupAlive(pgid int) bool {
	if pgid <= 0 {
		return false
	}
	if err := syscall.Kill(-pgid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	alive := false
	scanned := forEachProc(func(_, _, pgrp int, state string) {
		if pgrp == pgid && state != "Z" && state != "X" {
			alive = true
		}
	})
	return alive || !scanned // no /proc: kill(2) said yes
}

// PhaseProcess finds a live process started for phase by run runID, by
// the K0FLOW_RUN_ID and K0FLOW_PHASE every phase process (and what it
// starts) inherits: for a phase whose process group was not recorded (its
// runner was killed between starting it and saving the group), or whose
// processes left the group. 0 when there is none or /proc cannot tell.
func PhaseProcess(runID, phase string) int {
	want := [][]byte{[]byte("K0FLOW_RUN_ID=" + runID), []byte("K0FLOW_PHASE=" + phase)}
	found := 0
	forEachProc(func(pid, _, _ int, state string) {
		if found != 0 || state == "Z" || state == "X" || pid == os.Getpid() {
			return
		}
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil {
			return
		}
		vars := bytes.Split(env, []byte{0})
		for _, w := range want {
			if !slices.ContainsFunc(vars, func(v []byte) bool { return bytes.Equal(v, w) }) {
				return
			}
		}
		found = pid
	})
	return found
}

// forEachProc calls fn with each process's pid, parent, process group and
// state letter, from /proc; it reports whether /proc could be read.
func forEachProc(fn func(pid, ppid, pgrp int, state string)) bool {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(stats) == 0 {
		return false
	}
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces, so read
		// after its closing parenthesis.
		i := bytes.LastIndexByte(data, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(data[i+1:]))
		if len(f) < 3 {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		ppid, _ := strconv.Atoi(f[1])
		pgrp, _ := strconv.Atoi(f[2])
		fn(pid, ppid, pgrp, f[0])
	}
	return true
}
