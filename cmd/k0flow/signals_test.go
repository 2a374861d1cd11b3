package main

import (
	"github.com/k0flow/k0flow/phases"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// k0flowBinary returns a path that runs this test binary as k0flow:
// testscript.Main dispatches on the program's name.
func k0flowBinary(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "k0flow")
	if err := os.Symlink(self, bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

const slowWorkflow = `workflow "sig" {}
phase "slow" {
  run = ["bash", "-c", "trap 'echo got it > trapped; exit 130' INT TERM; touch ready; sleep 30 & wait"]
}
phase "after" {
  run = ["true"]
}
`

// TestSignalInterruptsRun sends a real SIGINT or SIGTERM to a running
// apply: the runner forwards it to the phase's group, records the phase and
// the run as interrupted, and exits 130.
func TestSignalInterruptsRun(t *testing.T) {
	bin := k0flowBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "deploy.hcl"), []byte(slowWorkflow), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "apply")
			cmd.Dir = dir
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, filepath.Join(dir, "ready"))
			_ = cmd.Process.Signal(sig)
			err := cmd.Wait()
			exit, ok := err.(*exec.ExitError)
			if !ok || exit.ExitCode() != 130 {
				t.Fatalf("apply ended with %v, want exit 130", err)
			}
			// The phase itself got the signal (its trap ran), rather than
			// being killed after the grace period.
			waitFor(t, filepath.Join(dir, "trapped"))
			state, _ := os.ReadFile(filepath.Join(dir, "state", "deployment-state.yaml"))
			for _, want := range []string{`"outcome": "interrupted"`, `"status": "interrupted"`, `"message": "interrupted by ` + phases.SignalName(sig) + `"`} {
				if !strings.Contains(string(state), want) {
					t.Errorf("state lacks %q:\n%s", want, state)
				}
			}
		})
	}
}

func waitFor(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never appeared", path)
}
