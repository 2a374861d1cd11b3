package phases

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/k0flow/k0flow/statestore"
)

func TestExecRecordsExitCodeAndOutput(t *testing.T) {
	var out bytes.Buffer
	res := Exec(Proc{Argv: []string{"bash", "-c", "echo out; echo err >&2; exit 3"}, Output: &out}, nil, time.Second)
	if res.ExitCode != 3 || res.OK() {
		t.Fatalf("exit = %d, ok = %v; want 3, false", res.ExitCode, res.OK())
	}
	if got := out.String(); !strings.Contains(got, "out\n") || !strings.Contains(got, "err\n") {
		t.Errorf("output = %q, want both streams", got)
	}
}

// On timeout the whole group gets SIGTERM: the script and a background
// child it started both trap it and say so.
func TestExecTimeoutStopsTheGroup(t *testing.T) {
	dir := t.TempDir()
	script := `trap 'echo leader > leader; exit 1' TERM
(trap 'echo child > child; exit 1' TERM; sleep 30 & wait) &
touch ready; wait`
	res := Exec(Proc{Argv: []string{"bash", "-c", script}, Dir: dir, Timeout: 300 * time.Millisecond,
		Output: &bytes.Buffer{}}, nil, 5*time.Second)
	if !res.TimedOut || res.OK() {
		t.Fatalf("TimedOut = %v, want true", res.TimedOut)
	}
	for _, who := range []string{"leader", "child"} {
		waitForFile(t, dir+"/"+who)
	}
}

// waitForFile polls for a file a process writes as it exits.
func waitForFile(t *testing.T, path string) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s was never written: the signal did not arrive", path)
}

func TestExecForwardsSignalThenKillsAfterGrace(t *testing.T) {
	ready := t.TempDir() + "/ready"
	sigs := make(chan os.Signal)
	go func() {
		for {
			if _, err := os.Stat(ready); err == nil {
				sigs <- syscall.SIGINT
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	// The script ignores SIGINT, so only the kill after the grace period ends it.
	script := "trap '' INT; touch " + ready + "; sleep 30"
	res := Exec(Proc{Argv: []string{"bash", "-c", script}, Output: &bytes.Buffer{}}, sigs, 200*time.Millisecond)
	if res.Interrupted != syscall.SIGINT {
		t.Fatalf("Interrupted = %v, want SIGINT", res.Interrupted)
	}
	if res.ExitCode != 128+int(syscall.SIGKILL) {
		t.Errorf("exit = %d, want killed", res.ExitCode)
	}
}

func TestExecMissingProgram(t *testing.T) {
	res := Exec(Proc{Argv: []string{"/nonexistent/k0flow-test"}, Output: &bytes.Buffer{}}, nil, time.Second)
	if res.Err == nil || res.OK() {
		t.Fatalf("Err = nil, want a start error")
	}
}

func TestExecReportsTheKillingSignal(t *testing.T) {
	res := Exec(Proc{Argv: []string{"bash", "-c", "kill -KILL $$"}, Output: &bytes.Buffer{}}, nil, time.Second)
	if res.Signaled != syscall.SIGKILL || res.ExitCode != 137 {
		t.Fatalf("Signaled = %v, exit = %d; want SIGKILL, 137", res.Signaled, res.ExitCode)
	}
	if msg := failureMessage(res, 0); msg != "killed by SIGKILL (exit code 137)" {
		t.Errorf("message = %q", msg)
	}
}

// A second signal does not wait for the grace period: the group is killed
// at once. (With a one-hour grace, only the second signal can end this.)
func TestExecSecondSignalKillsAtOnce(t *testing.T) {
	dir := t.TempDir()
	sigs := make(chan os.Signal, 2)
	go func() {
		waitForFile(t, dir+"/ready")
		sigs <- syscall.SIGINT
		sigs <- syscall.SIGINT
	}()
	res := Exec(Proc{Argv: []string{"bash", "-c", "trap '' INT; touch ready; sleep 3600"}, Dir: dir,
		Output: &bytes.Buffer{}}, sigs, time.Hour)
	if res.Interrupted != syscall.SIGINT || res.Signaled != syscall.SIGKILL {
		t.Fatalf("Interrupted = %v, Signaled = %v; want SIGINT then SIGKILL", res.Interrupted, res.Signaled)
	}
}

// A phase's processes are found by the run and phase their environment
// names, when its process group was never recorded (the runner killed
// just after starting it): the next apply must not start it twice.
func TestUnrecordedPhaseProcessIsFound(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	cmd.Env = append(os.Environ(), "K0FLOW_RUN_ID=20261123T000000Z-unrec0", "K0FLOW_PHASE=slow")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	if pid := PhaseProcess("20261123T000000Z-unrec0", "slow"); pid != cmd.Process.Pid {
		t.Fatalf("PhaseProcess = %d, want %d", pid, cmd.Process.Pid)
	}
	if pid := PhaseProcess("20261123T000000Z-unrec0", "other"); pid != 0 {
		t.Fatalf("another phase's process: %d", pid)
	}
	run := &statestore.Run{RunID: "20261123T000000Z-unrec0", Kind: statestore.KindApply, Outcome: statestore.OutcomeInterrupted,
		Phases: statestore.PhaseList{{Name: "slow", Status: statestore.StatusInterrupted}}}
	p := &Plan{State: &statestore.State{DeploymentRuns: []*statestore.Run{run}}}
	if d := p.stillRunning("slow"); !d.HasErrors() || !strings.Contains(d[0].Detail, fmt.Sprintf("process %d still runs", cmd.Process.Pid)) {
		t.Fatalf("stillRunning = %v", d)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if d := p.stillRunning("slow"); d.HasErrors() {
		t.Fatalf("after the process ended: %v", d)
	}
}
