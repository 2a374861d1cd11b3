package phases

import (
	"testing"

	"github.com/k0flow/k0flow/statestore"
)

func scriptsOn(store *statestore.Store, inRun string) Scripts {
	return Scripts{Store: store, InRun: inRun, Owner: statestore.Owner{PID: 4242, Host: "laptop"},
		Update: func(s *statestore.Store, fn func(*statestore.State) error) error { return s.Update(fn) }}
}

// A runner owns its run: inside apply a bash driver's start answers the
// runner's run and its complete records nothing; outside, they record a
// bash run of their own.
func TestScriptsRunnerOwnsItsRun(t *testing.T) {
	store := statestore.OpenStorage("state", statestore.NewMemory())

	inside := scriptsOn(store, "20261124T000000Z-abc123")
	id, err := inside.StartRun()
	if err != nil || id != "20261124T000000Z-abc123" {
		t.Fatalf("StartRun in a run = %q, %v; want the runner's run", id, err)
	}
	if _, err := store.Load(); !statestore.IsNotExist(err) {
		t.Fatalf("StartRun in a run wrote a state: %v", err)
	}
	if err := inside.CompleteRun("failed"); err != nil {
		t.Fatalf("CompleteRun in a run: %v", err)
	}

	outside := scriptsOn(store, "")
	id, err = outside.StartRun()
	if err != nil || id == "" {
		t.Fatalf("StartRun = %q, %v", id, err)
	}
	if cur, err := outside.CurrentRun(); err != nil || cur != id {
		t.Fatalf("CurrentRun = %q, %v; want %q", cur, err, id)
	}
	if err := outside.CompleteRun("success"); err != nil {
		t.Fatal(err)
	}
	st, err := store.Load()
	if err != nil {
		t.Fatal(err)
	}
	run := st.Run(id)
	if run == nil || run.Outcome != statestore.OutcomeSuccess || run.Owner == nil || run.Owner.Driver != "bash" || run.Owner.PID != 4242 {
		t.Fatalf("run = %+v, want a completed bash run owned by pid 4242", run)
	}
	if cur, _ := inside.CurrentRun(); cur != "20261124T000000Z-abc123" {
		t.Fatalf("CurrentRun in a run = %q, want the runner's", cur)
	}
}

// A reset names the phases it knows when given one it does not, and
// resets the phase and every later one otherwise.
func TestScriptsResetFrom(t *testing.T) {
	store := statestore.OpenStorage("state", statestore.NewMemory())
	s := scriptsOn(store, "")
	if _, err := s.StartRun(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"prepare_deployment", "setup_network", "create_vms"} {
		if err := s.Mark(statestore.Mark{Phase: p, Status: "completed"}); err != nil {
			t.Fatal(err)
		}
	}
	err := s.ResetFrom("no_such_phase")
	if u, ok := err.(*ErrUnknownPhase); !ok || len(u.Order) != len(statestore.PhaseSequence) {
		t.Fatalf("ResetFrom(unknown) = %v, want ErrUnknownPhase over the bash sequence", err)
	}
	if err := s.ResetFrom("setup_network"); err != nil {
		t.Fatal(err)
	}
	st, _ := store.Load()
	if got := st.PhaseStatus("prepare_deployment"); got != statestore.StatusCompleted {
		t.Errorf("prepare_deployment = %s, want completed", got)
	}
	for _, p := range []string{"setup_network", "create_vms"} {
		if got := st.PhaseStatus(p); got == statestore.StatusCompleted {
			t.Errorf("%s still completed after the reset", p)
		}
	}
}
