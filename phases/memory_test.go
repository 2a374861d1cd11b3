package phases

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
)

// The seam, proven: apply, interrupt and resume with the state, its run
// records, events and phase logs in memory (statestore.Memory), the
// phases real processes. Nothing above statestore needs a directory.

type quietObserver struct{}

func (quietObserver) RunStarted(*statestore.Run, *Plan)         {}
func (quietObserver) PhaseStarted(*Step)                        {}
func (quietObserver) PhaseEnded(*Step, *statestore.PhaseRecord) {}
func (quietObserver) RunEnded(*statestore.Run)                  {}

const memoryWorkflow = `workflow "mem" {}
phase "first" {
  run = ["sh", "-c", "echo first ran"]
}
phase "slow" {
  run = ["sh", "-c", "if [ -f done ]; then echo quick; else touch started; sleep 30; fi"]
}
phase "last" {
  run = ["sh", "-c", "echo last ran"]
}
`

func memoryPlan(t testing.TB, dir string, store *statestore.Store) *Plan {
	t.Helper()
	l := workflow.NewLoader()
	wf, diags := l.Load(filepath.Join(dir, "deploy.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	vals, diags := l.ResolveVariables(wf, workflow.VarInputs{}, true)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	scope, diags := l.NewScope(wf, vals)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	st, err := store.Load()
	if err != nil && !statestore.IsNotExist(err) {
		t.Fatal(err)
	}
	digest, err := store.Digester()
	if err != nil {
		t.Fatal(err)
	}
	plan, diags := NewPlan(wf, scope, st, Options{Digest: digest})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return plan
}

func TestApplyInterruptResumeInMemory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "deploy.hcl"), []byte(memoryWorkflow), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	mem := statestore.NewMemory()
	store := statestore.OpenStorage("", mem)
	sigs := make(chan os.Signal, 1)
	runner := func() *Runner {
		return &Runner{Store: store, Observer: quietObserver{}, Output: &strings.Builder{}, Signals: sigs, Grace: 2 * time.Second, Version: "test"}
	}

	// Interrupt "slow" once it runs.
	go func() {
		for i := 0; i < 500; i++ {
			if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
				sigs <- syscall.SIGINT
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	unlock, err := store.LockRun(context.Background(), "apply deploy.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.LockRun(context.Background(), "apply again"); err == nil || !strings.Contains(err.Error(), "apply deploy.hcl") {
		t.Fatalf("a second run lock: err = %v, want one naming the holder", err)
	}
	run1, err := runner().Apply(memoryPlan(t, dir, store))
	_ = unlock()
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("first apply: err = %v, want interrupted", err)
	}
	if run1.Outcome != statestore.OutcomeInterrupted || run1.Phases.Get("slow").Status != statestore.StatusInterrupted {
		t.Fatalf("first run = %s, slow %s", run1.Outcome, run1.Phases.Get("slow").Status)
	}
	if data, _, err := mem.Read(statestore.LogName(run1.RunID, "first")); err != nil || string(data) != "first ran\n" {
		t.Fatalf("first's log in memory = %q, %v", data, err)
	}

	// Resume: first is reused, slow and last run.
	if err := os.WriteFile(filepath.Join(dir, "done"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	plan := memoryPlan(t, dir, store)
	if plan.ResumedFrom != run1.RunID {
		t.Fatalf("the second plan resumes %q, want %s", plan.ResumedFrom, run1.RunID)
	}
	run2, err := runner().Apply(plan)
	if err != nil {
		t.Fatalf("resumed apply: %v", err)
	}
	want := map[string]string{"first": statestore.StatusReused, "slow": statestore.StatusCompleted, "last": statestore.StatusCompleted}
	for name, status := range want {
		if got := run2.Phases.Get(name).Status; got != status {
			t.Errorf("resumed run: %s is %s, want %s", name, got, status)
		}
	}
	st, err := store.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.DeploymentRuns) != 2 || st.CurrentRunID != run2.RunID {
		t.Fatalf("state: %d runs, current %s", len(st.DeploymentRuns), st.CurrentRunID)
	}
	evs, err := store.Events()
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Action)
	}
	for _, a := range []string{"run_started", "phase_interrupted", "run_interrupted", "phase_completed", "run_success"} {
		if !strings.Contains(strings.Join(actions, " "), a) {
			t.Errorf("events %v lack %s", actions, a)
		}
	}
	if names, _ := mem.List("logs/"); len(names) < 4 {
		t.Errorf("logs in memory: %q", names)
	}
	if _, err := os.Stat(filepath.Join(dir, "state")); err == nil {
		t.Error("a state directory was made on disk")
	}
}
