package phases

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/k0flow/k0flow/statestore"
)

// Observer is told of a run's progress, for rendering.
type Observer interface {
	RunStarted(run *statestore.Run, plan *Plan)
	PhaseStarted(step *Step)
	PhaseEnded(step *Step, rec *statestore.PhaseRecord)
	RunEnded(run *statestore.Run)
}

// ProgressObserver is told, besides, what a running phase is doing: an
// Observer may implement it.
type ProgressObserver interface {
	// PhaseStillRunning: the phase has printed nothing for a while.
	PhaseStillRunning(step *Step, elapsed time.Duration)
	// PhaseStopping: a signal is stopping the phase; second says a
	// repeated signal kills it now.
	PhaseStopping(step *Step, sig os.Signal, grace time.Duration, second bool)
}

// RetryObserver is told when a failed phase will be tried again: an
// Observer may implement it.
type RetryObserver interface {
	PhaseRetrying(step *Step, attempt, attempts, exitCode int, delay time.Duration)
}

// InfraObserver is told when the outputs cache was synced before a phase:
// an Observer may implement it.
type InfraObserver interface {
	InfraSynced(step *Step, reason string, outputsChanged bool)
}

// Runner executes plans. The caller holds the run lock.
type Runner struct {
	Store    *statestore.Store
	Observer Observer
	Output   io.Writer        // where phase output streams, besides its log
	Signals  <-chan os.Signal // SIGINT and SIGTERM, forwarded to phases
	Grace    time.Duration    // how long a signalled phase may take to exit
	Bin      string           // K0FLOW_BIN for phases
	Version  string           // recorded in each run
	Env      []string         // the environment phases inherit
	Infra    *Infra           // nil when the workflow has no terraform block
	// Heartbeat is how long a silent phase runs before the observer hears
	// it is still running (0: never).
	Heartbeat time.Duration

	run         *statestore.Run
	plan        *Plan
	eventWarned bool
	// unsaved is a change to the run's record that rides on its next save
	// (the outputs cache a phase saw, recorded with the phase's start).
	unsaved func(run *statestore.Run)
	began   time.Time // monotonic, for the run's duration
}

// ErrInterrupted matches (errors.Is) the error of a run a signal stopped.
var ErrInterrupted = errors.New("run interrupted")

// InterruptedError is a run a signal stopped. Its exit code is the shell's
// for the signal: 130 for SIGINT and SIGTERM, 129 for SIGHUP.
type InterruptedError struct{ Signal os.Signal }

func (e *InterruptedError) Error() string {
	if e.Signal == nil {
		return ErrInterrupted.Error()
	}
	return ErrInterrupted.Error() + " by " + SignalName(e.Signal)
}

func (e *InterruptedError) Is(target error) bool { return target == ErrInterrupted }

// ExitCode is 129 for SIGHUP (the terminal or SSH session went away), 130
// otherwise, as operators' scripts expect of an interrupted command.
func (e *InterruptedError) ExitCode() int {
	if e.Signal == syscall.SIGHUP {
		return 129
	}
	return 130
}

// ExitCode makes a phase failure exit 1.
func (e *PhaseError) ExitCode() int { return 1 }

// PhaseError is returned when a phase failed and stopped the run.
type PhaseError struct {
	Phase   string
	Message string
}

func (e *PhaseError) Error() string { return fmt.Sprintf("phase %s %s", e.Phase, e.Message) }

// Apply starts a recorded run and executes the plan's phases in order: an
// apply's run commands, or a destroy's destroy commands. It returns the run
// as recorded, and ErrInterrupted or a *PhaseError when it did not succeed.
func (r *Runner) Apply(plan *Plan) (*statestore.Run, error) {
	r.plan = plan
	if err := r.start(plan); err != nil {
		return nil, err
	}
	r.Observer.RunStarted(r.run, plan)
	var runErr error
	for _, step := range plan.Active() {
		if sig := r.pendingSignal(); sig != nil {
			runErr = &InterruptedError{Signal: sig}
			break
		}
		// A shared state's run lock is a lease: broken by force-unlock, or
		// expired while the storage was unreachable, it may be another
		// runner's now, and no further phase may start.
		if err := r.Store.RunLockLost(); err != nil {
			runErr = fmt.Errorf("stopped before phase %s: %w; another k0flow may be running this deployment now (k0flow status shows it); apply again once it has ended", step.Phase.Name, err)
			break
		}
		if runErr = r.step(step); runErr != nil {
			break
		}
	}
	return r.run, r.finish(runErr)
}

func (r *Runner) pendingSignal() os.Signal {
	select {
	case sig := <-r.Signals:
		return sig
	default:
		return nil
	}
}

func (r *Runner) start(plan *Plan) error {
	r.began = time.Now()
	now := statestore.Now()
	host, _ := os.Hostname()
	run := &statestore.Run{
		RunID:       statestore.NewRunID(now),
		Kind:        plan.Kind,
		StartedAt:   now,
		Outcome:     statestore.OutcomeRunning,
		ResumedFrom: plan.ResumedFrom,
		Owner:       &statestore.Owner{PID: os.Getpid(), Host: host},
		ConfigSnapshot: &statestore.ConfigSnapshot{
			Variables:        plan.Scope.Snapshot(),
			Flags:            plan.Scope.FlagValues(),
			Applicable:       plan.NotApplicable,
			SensitiveDigests: plan.Options.Digest.SumAll(plan.Scope.SensitiveValues()),
			Selection:        plan.Options.Selection(),
			WorkflowFile:     plan.Workflow.Filename,
			WorkflowChecksum: plan.Workflow.Checksum,
			K0flowVersion:    r.Version,
		},
	}
	for _, s := range plan.Active() {
		run.Phases = append(run.Phases, &statestore.PhaseRecord{Name: s.Phase.Name, Status: statestore.StatusPending})
	}
	var deploymentID string
	var idErr error // naming a new deployment can fail (its id file): nothing is saved then
	err := r.Store.UpdateOrInit(func() *statestore.State {
		id, err := NewDeploymentID(plan.Workflow)
		idErr = err
		return statestore.NewState(id)
	}, func(st *statestore.State) error {
		if idErr != nil {
			return idErr
		}
		run.Terraform = snapshot(st.Terraform)
		st.DeploymentRuns = append(st.DeploymentRuns, run)
		st.CurrentRunID = run.RunID
		st.DeploymentFlags = run.ConfigSnapshot.Flags
		deploymentID = st.DeploymentID
		return nil
	})
	if err != nil {
		return fmt.Errorf("start run: %w", err)
	}
	r.run = run
	msg := "Run " + run.RunID + " started"
	if run.ResumedFrom != "" {
		msg += ", resuming " + run.ResumedFrom
	}
	r.event(deploymentID, statestore.Event{Action: "run_started", Message: msg})
	return nil
}

// update changes this run's record in the stored state.
func (r *Runner) update(fn func(run *statestore.Run)) error {
	return r.updateState(func(_ *statestore.State, run *statestore.Run) { fn(run) })
}

func (r *Runner) updateState(fn func(st *statestore.State, run *statestore.Run)) error {
	return r.save(r.Store.Update, fn)
}

// starting records a phase starting: it must outlive the runner (a SIGKILL)
// but need not outlive the machine, so it is saved without fsync; the
// phase's end is durable, and makes it durable too.
func (r *Runner) starting(fn func(run *statestore.Run)) error {
	return r.save(r.Store.UpdateStarting, func(_ *statestore.State, run *statestore.Run) { fn(run) })
}

func (r *Runner) save(update func(func(*statestore.State) error) error, fn func(st *statestore.State, run *statestore.Run)) error {
	err := update(func(st *statestore.State) error {
		stored := st.Run(r.run.RunID)
		if stored == nil {
			return fmt.Errorf("run %s is no longer in the state", r.run.RunID)
		}
		if r.unsaved != nil {
			r.unsaved(stored)
		}
		fn(st, stored)
		r.run = stored
		return nil
	})
	if err == nil {
		r.unsaved = nil
	}
	return err
}

// snapshot is the terraform section as a run records it: where the state
// was and which terraform, without the deployment-wide history.
func snapshot(t *statestore.TerraformRef) *statestore.TerraformRef {
	if t == nil {
		return nil
	}
	return &statestore.TerraformRef{StatePath: t.StatePath, Backend: t.Backend, Version: t.Version}
}

func (r *Runner) event(deploymentID string, ev statestore.Event) {
	r.appendEvent(deploymentID, ev, r.Store.AppendEvent)
}

// eventInPhase records an event within a phase (it started, it is
// retried), made durable by the event that ends the phase.
func (r *Runner) eventInPhase(ev statestore.Event) {
	r.appendEvent("", ev, r.Store.AppendEventDeferred)
}

func (r *Runner) appendEvent(deploymentID string, ev statestore.Event, appendFn func(string, statestore.Event) error) {
	ev.RunID = r.run.RunID
	if deploymentID == "" && r.plan.State != nil {
		deploymentID = r.plan.State.DeploymentID
	}
	// Events are a log for people and the notifier; losing one must not
	// fail a deployment, but it is said, once a run.
	if err := appendFn(deploymentID, ev); err != nil && !r.eventWarned {
		r.eventWarned = true
		fmt.Fprintf(r.Output, "Warning: events are not being recorded: %v\n", err)
	}
}

func (r *Runner) finish(runErr error) error {
	now := statestore.Now()
	outcome := statestore.OutcomeSuccess
	var pe *PhaseError
	switch {
	case errors.Is(runErr, ErrInterrupted):
		outcome = statestore.OutcomeInterrupted
	case errors.As(runErr, &pe):
		outcome = statestore.OutcomeFailed
	case runErr != nil:
		outcome = statestore.OutcomeFailed
	}
	err := r.updateState(func(st *statestore.State, run *statestore.Run) {
		if st.Terraform != nil {
			run.Terraform = snapshot(st.Terraform) // as it stands after this run's terraform phases
		}
		run.Outcome, run.EndedAt = outcome, &now
		run.DurationSeconds = statestore.Seconds(time.Since(r.began))
		if runErr != nil && run.Error == nil {
			run.Error = &statestore.RunError{Message: runErr.Error()}
		}
	})
	r.event("", statestore.Event{Action: "run_" + outcome, Message: "Run " + r.run.RunID + " ended: " + outcome})
	r.Observer.RunEnded(r.run)
	if err != nil {
		switch {
		case statestore.IsNotExist(err):
			return fmt.Errorf("run %s stopped: its state file was removed while it ran (%v); the events and logs that remain are in %s", r.run.RunID, err, r.Store.Dir)
		case runErr != nil && runErr.Error() != err.Error():
			// The cause first: recording the end usually fails for it.
			return fmt.Errorf("%w (and recording the end of run %s failed too: %v)", runErr, r.run.RunID, err)
		}
		return fmt.Errorf("record the end of run %s: %w", r.run.RunID, err)
	}
	return runErr
}

// logPath is where a phase's output goes: a storage name.
func logPath(runID, phase string) string { return statestore.LogName(runID, phase) }
