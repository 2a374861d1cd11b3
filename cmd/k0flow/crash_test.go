package main

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"gopkg.in/yaml.v3"
)

// crashloop apply|set: SIGKILL a runner at random instants, then prove
// nothing was lost. apply: a run whose phases call state set and state
// event add themselves is killed; afterwards the state loads, every phase
// recorded completed has its value and its event, and the next apply
// finishes. set: state set is killed mid-write; the state loads and the
// key holds the old or the new value. Trials: $K0FLOW_CRASH_TRIALS (20
// by default, 200 for the long run); the seed is printed and
// $K0FLOW_CRASH_SEED replays one.
func cmdCrashloop(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: crashloop apply|set")
	}
	trials := 20
	if n, err := strconv.Atoi(os.Getenv("K0FLOW_CRASH_TRIALS")); err == nil && n > 0 {
		trials = n
	}
	seed := time.Now().UnixNano()
	if s, err := strconv.ParseInt(os.Getenv("K0FLOW_CRASH_SEED"), 10, 64); err == nil {
		seed = s
	}
	ts.Logf("crashloop %s: %d trials, seed %d (K0FLOW_CRASH_SEED=%d replays)", args[0], trials, seed, seed)
	rng := rand.New(rand.NewSource(seed))
	env := append(os.Environ(), "PATH="+ts.Getenv("PATH"), "K0FLOW_CHECK_WRITES=1", "NO_COLOR=1")
	for i := 0; i < trials; i++ {
		dir := ts.MkAbs(fmt.Sprintf("trial%d", i))
		ts.Check(os.MkdirAll(dir, 0o700))
		ts.Check(os.WriteFile(filepath.Join(dir, "deploy.hcl"), []byte(crashWorkflow), 0o600))
		delay := time.Duration(rng.Intn(600)) * time.Millisecond
		switch args[0] {
		case "apply":
			crashApply(ts, dir, env, delay, i)
		case "set":
			crashSet(ts, dir, env, delay, i)
		default:
			ts.Fatalf("crashloop: apply or set, not %s", args[0])
		}
	}
}

const crashWorkflow = `workflow "crash" {}
phase "p1" {
  run = "\"$K0FLOW_BIN\" state set p1.done yes && \"$K0FLOW_BIN\" state event add p1_event 'p1 wrote' && sleep 0.05"
}
phase "p2" {
  run = "\"$K0FLOW_BIN\" state set p2.done yes && \"$K0FLOW_BIN\" state event add p2_event 'p2 wrote' && sleep 0.05"
}
phase "p3" {
  run = "\"$K0FLOW_BIN\" state set p3.done yes && \"$K0FLOW_BIN\" state event add p3_event 'p3 wrote' && sleep 0.05"
}
phase "p4" {
  run = "\"$K0FLOW_BIN\" state set p4.done yes && \"$K0FLOW_BIN\" state event add p4_event 'p4 wrote'"
}
`

func k0flowCmd(dir string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command("k0flow", args...)
	cmd.Dir, cmd.Env = dir, env
	return cmd
}

func crashApply(ts *testscript.TestScript, dir string, env []string, delay time.Duration, trial int) {
	cmd := k0flowCmd(dir, env, "apply")
	ts.Check(cmd.Start())
	time.Sleep(delay)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	time.Sleep(300 * time.Millisecond) // the phase a killed runner left finishes on its own
	statePath := filepath.Join(dir, "state", "deployment-state.yaml")
	data, err := os.ReadFile(statePath)
	if os.IsNotExist(err) {
		return // killed before the first save: nothing to lose
	}
	ts.Check(err)
	if out, err := k0flowCmd(dir, env, "state", "validate").CombinedOutput(); err != nil {
		ts.Fatalf("trial %d (killed after %s): the state does not load: %v\n%s", trial, delay, err, out)
	}
	var doc struct {
		Runtime        map[string]any `yaml:"runtime"`
		DeploymentRuns []struct {
			Phases map[string]struct{ Status string } `yaml:"phases"`
		} `yaml:"deployment_runs"`
	}
	ts.Check(yaml.Unmarshal(data, &doc))
	events, _ := os.ReadFile(filepath.Join(dir, "state", "deployment-events.yaml"))
	for _, run := range doc.DeploymentRuns {
		for name, p := range run.Phases {
			if p.Status != "completed" {
				continue
			}
			if v, _ := doc.Runtime[name].(map[string]any); v["done"] != "yes" {
				ts.Fatalf("trial %d: phase %s is completed but its value is lost", trial, name)
			}
			if !strings.Contains(string(events), `"action":"`+name+`_event"`) {
				ts.Fatalf("trial %d: phase %s is completed but its event is lost", trial, name)
			}
		}
	}
	var ev struct{ Events []map[string]any }
	if err := yaml.Unmarshal(events, &ev); len(events) > 0 && err != nil {
		ts.Fatalf("trial %d: the events file does not load: %v", trial, err)
	}
	if out, err := k0flowCmd(dir, env, "apply").CombinedOutput(); err != nil {
		ts.Fatalf("trial %d (killed after %s): the next apply failed: %v\n%s", trial, delay, err, out)
	}
}

func crashSet(ts *testscript.TestScript, dir string, env []string, delay time.Duration, trial int) {
	if out, err := k0flowCmd(dir, env, "apply").CombinedOutput(); err != nil {
		ts.Fatalf("trial %d: apply: %v\n%s", trial, err, out)
	}
	ts.Check(k0flowCmd(dir, env, "state", "set", "key", "old").Run())
	cmd := k0flowCmd(dir, env, "state", "set", "key", "new")
	ts.Check(cmd.Start())
	time.Sleep(delay / 40) // a state set takes milliseconds
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	out, err := k0flowCmd(dir, env, "state", "get", "key").Output()
	if err != nil {
		ts.Fatalf("trial %d: the state does not load after a killed state set: %v", trial, err)
	}
	if got := strings.TrimSpace(string(out)); got != "old" && got != "new" {
		ts.Fatalf("trial %d: key reads %q, want old or new", trial, got)
	}
}
