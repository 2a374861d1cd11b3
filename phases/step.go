package phases

import (
	"strings"

	"fmt"
	"github.com/hashicorp/hcl/v2"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
)

// step runs one phase: resolve it, decide reuse against its check, execute
// it, and record each transition.
func (r *Runner) step(step *Step) error {
	r.Observer.PhaseStarted(step)
	if err := r.resolve(step); err != nil {
		return r.fail(step, nil, err.Error(), "")
	}
	if r.plan.Kind == statestore.KindApply && step.Action == ActionReuse && step.Resolved.Check != nil {
		res := r.check(step)
		if res.Interrupted != nil {
			return r.interrupted(step, nil, res.Interrupted)
		}
		if !res.OK() {
			step.Decision = Decision{Action: ActionRerun, Reason: fmt.Sprintf("check failed (exit %d)", res.ExitCode)}
		}
	}
	if step.Action == ActionReuse {
		return r.reuse(step)
	}
	return r.execute(step)
}

func (r *Runner) resolve(step *Step) error {
	if step.Resolved != nil && !step.Phase.NeedsInfra {
		return nil
	}
	if step.Phase.NeedsInfra {
		if err := r.syncInfra(step); err != nil {
			return err
		}
		// Preconditions that read infra.* could not be checked before the
		// run; the outputs are known now.
		if diags := r.plan.Scope.CheckConditions(step.Phase.Preconditions, false); diags.HasErrors() {
			return fmt.Errorf("precondition failed: %s", conditionMessages(diags))
		}
	}
	res, diags := r.plan.Scope.Resolve(step.Phase)
	if diags.HasErrors() {
		return fmt.Errorf("cannot evaluate: %s", diags.Error())
	}
	step.Resolved = res
	if r.plan.Kind == statestore.KindDestroy {
		return nil // the destroy plan decided from history, not definitions
	}
	var history []*statestore.Run
	if r.plan.State != nil {
		history = r.plan.State.DeploymentRuns
	}
	from := r.plan.Options.From
	afterFrom := from != "" && r.plan.Workflow.Phase(from).Index <= step.Phase.Index
	sum, accepted := DefinitionSums(res, r.plan.Options.Digest)
	step.Decision = Decide(PhaseFacts{Name: step.Phase.Name, Checksum: sum, Accepted: accepted,
		AfterFrom: afterFrom, AlwaysRun: step.Phase.AlwaysRun, Parts: r.plan.Options.Digest.SumAll(res.Parts())}, r.plan.Options, history)
	return nil
}

func (r *Runner) reuse(step *Step) error {
	var rec *statestore.PhaseRecord
	err := r.update(func(run *statestore.Run) {
		rec = run.Phases.Get(step.Phase.Name)
		rec.Status, rec.ReusedFrom, rec.Reason = statestore.StatusReused, step.ReusedFrom, step.Reason
		rec.DefinitionChecksum, _ = DefinitionSums(step.Resolved, r.plan.Options.Digest)
	})
	if err != nil {
		return err
	}
	r.Observer.PhaseEnded(step, rec)
	return nil
}

func (r *Runner) execute(step *Step) error {
	started := statestore.Now()
	log := logPath(r.run.RunID, step.Phase.Name)
	// The phase is recorded as running before its process starts (its
	// process group just after, see exec): a runner killed at any instant
	// after that leaves a record the next apply checks.
	err := r.starting(func(run *statestore.Run) {
		rec := run.Phases.Get(step.Phase.Name)
		rec.Status, rec.StartedAt, rec.Log, rec.Reason = statestore.StatusRunning, &started, log, step.Reason
		rec.DefinitionChecksum, _ = DefinitionSums(step.Resolved, r.plan.Options.Digest)
		rec.DefinitionParts = r.plan.Options.Digest.SumAll(step.Resolved.Parts())
	})
	if err != nil {
		return err
	}
	r.eventInPhase(statestore.Event{Action: "phase_started", Phase: step.Phase.Name, Message: "Phase started: " + step.Phase.Name})
	var res Result
	if step.Phase.Terraform != "" {
		res = r.terraform(step, log)
	} else {
		res = r.execRetrying(step, log)
	}
	switch {
	case res.Interrupted != nil:
		return r.interrupted(step, &res, res.Interrupted)
	case !res.OK():
		return r.fail(step, &res, failureMessage(res, step.Resolved.Timeout), log)
	}
	return r.complete(step, res)
}

func conditionMessages(diags hcl.Diagnostics) string {
	var msgs []string
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			msgs = append(msgs, d.Detail)
		}
	}
	return strings.Join(msgs, "; ")
}

// command is what the step runs in a run of this kind.
func (s *Step) command(kind string) *workflow.Command {
	if kind == statestore.KindDestroy {
		return s.Resolved.Destroy
	}
	return s.Resolved.Run
}

func failureMessage(res Result, timeout time.Duration) string {
	switch {
	case res.Err != nil:
		return res.Err.Error()
	case res.TimedOut:
		return fmt.Sprintf("timed out after %s", timeout)
	case res.Signaled != nil:
		// SIGKILL from nobody we know of is usually the OOM killer.
		return fmt.Sprintf("killed by %s (exit code %d)", SignalName(res.Signaled), res.ExitCode)
	}
	return fmt.Sprintf("exited with code %d", res.ExitCode)
}

func (r *Runner) complete(step *Step, res Result) error {
	var rec *statestore.PhaseRecord
	err := r.updateState(func(st *statestore.State, run *statestore.Run) {
		rec = run.Phases.Get(step.Phase.Name)
		ended(rec, statestore.StatusCompleted, res)
		if r.plan.Kind == statestore.KindApply {
			rec.DestroyCommand, rec.DestroyDir = recordedDestroy(r.plan.Workflow, step.Resolved)
		}
		st.PhaseCompleted(step.Phase.Name, statestore.Now())
	})
	r.event("", statestore.Event{Action: "phase_completed", Phase: step.Phase.Name, Message: "Phase completed: " + step.Phase.Name})
	if err != nil {
		return err
	}
	r.Observer.PhaseEnded(step, rec)
	return nil
}

func ended(rec *statestore.PhaseRecord, status string, res Result) {
	now := statestore.Now()
	rec.Status, rec.EndedAt = status, &now
	rec.DurationSeconds = statestore.Seconds(res.Duration)
	code := res.ExitCode
	rec.ExitCode = &code
}

// fail records a failed phase and the run's error with the log's tail.
func (r *Runner) fail(step *Step, res *Result, msg, log string) error {
	tail := ""
	if log != "" {
		tail = r.Store.LogTail(log, 20)
	}
	if err := r.stop(step, res, statestore.StatusFailed, msg, tail); err != nil {
		return err
	}
	return &PhaseError{Phase: step.Phase.Name, Message: msg}
}

// interrupted records a phase a signal stopped (res is nil when it
// stopped in its check).
func (r *Runner) interrupted(step *Step, res *Result, sig os.Signal) error {
	if err := r.stop(step, res, statestore.StatusInterrupted, "interrupted by "+SignalName(sig), ""); err != nil {
		return err
	}
	return &InterruptedError{Signal: sig}
}

// stop records a phase that did not complete, and the run's error.
func (r *Runner) stop(step *Step, res *Result, status, msg, tail string) error {
	var rec *statestore.PhaseRecord
	err := r.update(func(run *statestore.Run) {
		rec = run.Phases.Get(step.Phase.Name)
		if res != nil {
			ended(rec, status, *res)
		} else {
			now := statestore.Now()
			rec.Status, rec.EndedAt = status, &now
		}
		rec.Message = msg
		run.Error = &statestore.RunError{Phase: step.Phase.Name, Message: msg, LogTail: tail}
	})
	r.event("", statestore.Event{Action: "phase_" + status, Phase: step.Phase.Name,
		Message: "Phase " + status + ": " + step.Phase.Name + ": " + msg})
	if err != nil {
		return err
	}
	r.Observer.PhaseEnded(step, rec)
	return nil
}

// check runs a reused phase's check; its output goes to its own log.
func (r *Runner) check(step *Step) Result {
	return r.exec(step, step.Resolved.Check, logPath(r.run.RunID, step.Phase.Name+".check"))
}

func (r *Runner) exec(step *Step, cmd *workflow.Command, log string) Result {
	f, err := r.Store.OpenLog(log)
	if err != nil {
		return Result{ExitCode: -1, Err: fmt.Errorf("open log: %w", err)}
	}
	defer f.Close()
	p := Proc{
		Argv:    cmd.Args(),
		Env:     r.environ(step),
		Dir:     step.Resolved.Dir,
		Timeout: step.Resolved.Timeout,
		Output:  io.MultiWriter(r.Output, f),
	}
	p.OnStart = func(pgid int) error {
		return r.starting(func(run *statestore.Run) { run.Phases.Get(step.Phase.Name).PGID = pgid })
	}
	if po, ok := r.Observer.(ProgressObserver); ok {
		p.Heartbeat = r.Heartbeat
		p.OnSilence = func(elapsed time.Duration) { po.PhaseStillRunning(step, elapsed) }
		p.OnSignal = func(sig os.Signal, grace time.Duration, second bool) { po.PhaseStopping(step, sig, grace, second) }
	}
	return Exec(p, r.Signals, r.Grace)
}

// environ is what a phase process sees: the runner's environment, the
// phase's env, and k0flow's own variables, which a phase cannot override.
func (r *Runner) environ(step *Step) []string {
	return PhaseEnv(r.Env, r.plan.Workflow, step, r.Store.Dir, r.Bin, r.run.RunID)
}

// PhaseEnv is what a phase's processes see, its command and its check,
// whether apply runs them or plan runs the check: the base environment,
// the phase's env, and k0flow's variables (K0FLOW_RUN_ID only in a run).
func PhaseEnv(base []string, w *workflow.Workflow, step *Step, stateDir, bin, runID string) []string {
	own := []string{
		"K0FLOW_PHASE=" + step.Phase.Name,
		"K0FLOW_STATE_DIR=" + stateDir,
		"K0FLOW_BIN=" + bin,
		"K0FLOW_WORKFLOW=" + filepath.Join(w.Dir, filepath.Base(w.Filename)),
		"K0FLOW_INFRA_MAX_AGE=" + maxAge(w).String(),
		"K0FLOW_VM_OUTPUT=" + vmOutput(w),
	}
	if runID != "" {
		own = append([]string{"K0FLOW_RUN_ID=" + runID}, own...)
	}
	return environ(base, step.Resolved, own...)
}

func environ(base []string, res *workflow.Resolved, own ...string) []string {
	env := append([]string(nil), base...)
	keys := make([]string, 0, len(res.Env))
	for k := range res.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+res.Env[k])
	}
	return append(env, own...)
}

// recordedDestroy is a completed phase's destroy command as the state keeps
// it: nothing when the phase has none or it holds a sensitive value.
func recordedDestroy(w *workflow.Workflow, res *workflow.Resolved) ([]string, string) {
	if res == nil || res.Destroy == nil {
		return nil, ""
	}
	for _, secret := range res.Destroy.Secret {
		if secret {
			return nil, ""
		}
	}
	dir := w.RelDir(res.Dir)
	if dir == "." {
		dir = ""
	}
	return res.Destroy.Args(), dir
}

// execRetrying runs a phase's command, and again as its retry block says
// while it fails: each attempt with its own log, recorded with its exit
// code and duration, the phase's log the last one's. A signal during the
// delay between attempts interrupts the phase.
func (r *Runner) execRetrying(step *Step, log string) Result {
	cmd := step.command(r.plan.Kind)
	retry := step.Phase.Retry
	base := log
	started := statestore.Now()
	res := r.exec(step, cmd, log)
	if retry == nil || r.plan.Kind != statestore.KindApply {
		return res
	}
	var attempts []statestore.Attempt
	for n := 1; ; n++ {
		at := started // each attempt its own time: started changes for the next
		attempts = append(attempts, statestore.Attempt{Attempt: n, StartedAt: &at,
			DurationSeconds: statestore.Seconds(res.Duration), ExitCode: res.ExitCode, Log: log})
		if res.OK() || res.Interrupted != nil || res.TimedOut || res.Err != nil || n >= retry.Attempts || !retry.Retries(res.ExitCode) {
			break
		}
		r.recordAttempts(step, attempts, log)
		r.eventInPhase(statestore.Event{Action: "phase_retried", Phase: step.Phase.Name,
			Message: fmt.Sprintf("Phase %s: attempt %d of %d exited with code %d; retrying in %s", step.Phase.Name, n, retry.Attempts, res.ExitCode, retry.Delay)})
		if o, ok := r.Observer.(RetryObserver); ok {
			o.PhaseRetrying(step, n, retry.Attempts, res.ExitCode, retry.Delay)
		}
		if sig := r.sleep(retry.Delay); sig != nil {
			return Result{Interrupted: sig, ExitCode: res.ExitCode}
		}
		log = strings.TrimSuffix(base, ".log") + fmt.Sprintf(".attempt-%d.log", n+1)
		started = statestore.Now()
		res = r.exec(step, cmd, log)
	}
	if len(attempts) > 1 {
		r.recordAttempts(step, attempts, log)
	}
	return res
}

func (r *Runner) recordAttempts(step *Step, attempts []statestore.Attempt, log string) {
	_ = r.update(func(run *statestore.Run) {
		rec := run.Phases.Get(step.Phase.Name)
		rec.Attempts = append([]statestore.Attempt(nil), attempts...)
		rec.Log = log
	})
}

// sleep waits d, or until a signal, which it returns.
func (r *Runner) sleep(d time.Duration) os.Signal {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case sig := <-r.Signals:
		return sig
	}
}
