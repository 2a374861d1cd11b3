package phases

import (
	"fmt"
	"slices"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
)

// Scripts are the records the bash project's own scripts keep through the
// shell library: phase marks, resets, and the runs a bash driver
// (deploy-k0rdent.sh) starts and completes itself. One rule governs them:
// a runner owns its run. Inside `k0flow apply` (InRun is its run id) a
// script's start_deployment_run answers that run instead of starting
// another, and its complete_deployment_run records nothing: the runner
// records the outcome.
type Scripts struct {
	Store *statestore.Store
	// InRun is the run of the k0flow apply the script runs in ("" outside one).
	InRun string
	// Workflow finds the workflow beside the script, if any: its phases
	// are the order, its id file names a new deployment. Called only by
	// what needs it (a reset, a new run), since finding it parses a file.
	Workflow func() *workflow.Workflow
	Owner    statestore.Owner
	// Update is how a change is saved: callers differ in what "no state
	// yet" means to them.
	Update func(*statestore.Store, func(*statestore.State) error) error
}

// Order is the phases in order: the workflow's, else the bash project's
// PHASE_SEQUENCE.
func Order(w *workflow.Workflow) []string {
	if w != nil {
		return w.PhaseNames()
	}
	return statestore.PhaseSequence
}

// DeploymentIDFor names a deployment a bash driver starts: the workflow's
// id file, else the bash project's ./.clusterid, else a new id.
func DeploymentIDFor(w *workflow.Workflow) string {
	if w != nil {
		if id, err := NewDeploymentID(w); err == nil {
			return id
		}
	}
	if id, err := ReadIDFile(".clusterid"); err == nil && id != "" {
		return id
	}
	return statestore.NewDeploymentID("k0rdent")
}

// StartRun is start_deployment_run: the runner's run inside apply, else a
// new bash run (and a new state if there is none).
func (s Scripts) StartRun() (string, error) {
	if s.InRun != "" {
		return s.InRun, nil
	}
	var id string
	err := s.Store.UpdateOrInit(func() *statestore.State {
		return statestore.NewState(DeploymentIDFor(s.workflow()))
	}, func(st *statestore.State) error {
		id = st.StartBashRun(s.Owner, statestore.Now()).RunID
		return nil
	})
	return id, err
}

// CompleteRun is complete_deployment_run OUTCOME: nothing inside apply.
func (s Scripts) CompleteRun(outcome string) error {
	if s.InRun != "" {
		return nil
	}
	return s.Update(s.Store, func(st *statestore.State) error {
		_, err := st.CompleteBashRun(outcome, statestore.Now())
		return err
	})
}

// CurrentRun is get_current_run_id: the runner's run inside apply, else
// the state's current run ("" when there is none).
func (s Scripts) CurrentRun() (string, error) {
	if s.InRun != "" {
		return s.InRun, nil
	}
	st, err := s.Store.LoadRecent() // the current run is a recent one
	if err != nil {
		return "", err
	}
	return st.CurrentRunID, nil
}

// Mark records a script's phase mark, and the event v1 wrote with it.
func (s Scripts) Mark(m statestore.Mark) error {
	m.RunID = s.InRun
	m.Owner = s.Owner
	return s.record(func(st *statestore.State) (*statestore.Event, error) { return st.MarkPhase(m, statestore.Now()) })
}

// ErrUnknownPhase is a reset from a phase not in the order.
type ErrUnknownPhase struct {
	Name  string
	Order []string
}

func (e *ErrUnknownPhase) Error() string {
	return fmt.Sprintf("unknown phase %q (phases: %v)", e.Name, e.Order)
}

// ResetFrom is phase_reset_from: name and every phase after it in order.
func (s Scripts) ResetFrom(name string) error {
	order := Order(s.workflow())
	i := slices.Index(order, name)
	if i < 0 {
		return &ErrUnknownPhase{Name: name, Order: order}
	}
	return s.record(func(st *statestore.State) (*statestore.Event, error) {
		return st.ResetFrom(order[i:], s.Owner, s.InRun != "", statestore.Now())
	})
}

// record saves change and then appends the event it returns, as v1 wrote
// one with each mark and reset.
func (s Scripts) record(change func(*statestore.State) (*statestore.Event, error)) error {
	var id string
	var ev *statestore.Event
	err := s.Update(s.Store, func(st *statestore.State) (err error) {
		id = st.DeploymentID
		ev, err = change(st)
		return err
	})
	if err != nil {
		return err
	}
	return s.event(id, ev)
}

func (s Scripts) workflow() *workflow.Workflow {
	if s.Workflow == nil {
		return nil
	}
	return s.Workflow()
}

// Event appends an event a script adds, tagged with the run it runs in.
func (s Scripts) Event(id string, ev statestore.Event) error {
	return s.event(id, &ev)
}

func (s Scripts) event(id string, ev *statestore.Event) error {
	if ev == nil {
		return nil
	}
	ev.RunID = s.InRun
	return s.Store.AppendEvent(id, *ev)
}
