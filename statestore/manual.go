package statestore

import (
	"fmt"
	"time"
)

// Mark is a phase status set by a script through the bash library
// (phase_mark_completed and friends), with where the script runs.
type Mark struct {
	Phase  string
	Status string // completed, in_progress, pending, failed, skipped
	Reason string
	RunID  string // K0FLOW_RUN_ID when called inside a k0flow run
	Self   string // K0FLOW_PHASE: the phase the calling script is
	Owner  Owner
}

// MarkPhase records a script's phase mark and reports whether the state
// changed. Inside a k0flow run the runner owns the calling phase's status,
// so marking itself changes nothing. In a run a bash driver started, the
// mark updates that run. Outside any run, a completion (or a reset to
// pending) is recorded as a manual run, so the next apply reuses (or re-runs)
// the phase; in_progress and skipped leave only an event.
func (s *State) MarkPhase(m Mark, now time.Time) (bool, error) {
	if m.RunID != "" {
		run := s.Run(m.RunID)
		if run == nil || run.Outcome != OutcomeRunning || m.Phase == m.Self {
			return false, nil
		}
		rec := run.Phases.Get(m.Phase)
		if rec == nil || m.Status != "completed" || rec.Status != StatusPending {
			return false, nil
		}
		rec.Status, rec.EndedAt, rec.Reason = StatusCompleted, &now, "marked completed by phase "+m.Self
		return true, nil
	}
	if run := s.bashRun(); run != nil {
		return markInRun(run, m, now), nil
	}
	switch m.Status {
	case "completed", "pending":
		s.manualRun(now, m.Owner, m.Reason, m.Phase)
		last := s.LastRun().Phases[0]
		last.Status = map[string]string{"completed": StatusCompleted, "pending": StatusPending}[m.Status]
		return true, nil
	case "in_progress", "skipped", "failed":
		return false, nil
	}
	return false, fmt.Errorf("unknown phase status %q: use completed, in_progress, pending, failed or skipped", m.Status)
}

// ResetFrom records, outside any run, that phases must run again: the
// bash project's phase_reset_from.
func (s *State) ResetFrom(phases []string, owner Owner, now time.Time) {
	s.manualRun(now, owner, "reset by hand", phases...)
}

func (s *State) manualRun(now time.Time, owner Owner, reason string, phases ...string) {
	if reason == "" {
		reason = "marked by a script outside any run"
	}
	run := &Run{RunID: NewRunID(now), Kind: KindManual, StartedAt: now, EndedAt: &now,
		Outcome: OutcomeSuccess, Owner: &owner, Phases: PhaseList{}}
	for _, p := range phases {
		run.Phases = append(run.Phases, &PhaseRecord{Name: p, Status: StatusPending, Reason: reason, EndedAt: &now})
	}
	s.DeploymentRuns = append(s.DeploymentRuns, run)
}

// bashRun is the current run if a bash driver started it and it runs.
func (s *State) bashRun() *Run {
	run := s.CurrentRun()
	if run == nil || run.Outcome != OutcomeRunning || run.Owner == nil || run.Owner.Driver != "bash" {
		return nil
	}
	return run
}

func markInRun(run *Run, m Mark, now time.Time) bool {
	if m.Status == "skipped" {
		if run.ConfigSnapshot == nil {
			run.ConfigSnapshot = &ConfigSnapshot{}
		}
		if run.ConfigSnapshot.Applicable == nil {
			run.ConfigSnapshot.Applicable = map[string]string{}
		}
		run.ConfigSnapshot.Applicable[m.Phase] = "skipped by a script: " + m.Reason
		return true
	}
	rec := run.Phases.Get(m.Phase)
	if rec == nil {
		rec = &PhaseRecord{Name: m.Phase}
		run.Phases = append(run.Phases, rec)
	}
	switch m.Status {
	case "in_progress":
		rec.Status, rec.StartedAt, rec.EndedAt = StatusRunning, &now, nil
	case "completed", "failed":
		rec.Status, rec.EndedAt = map[string]string{"completed": StatusCompleted, "failed": StatusFailed}[m.Status], &now
		if rec.StartedAt != nil {
			rec.DurationSeconds = Seconds(now.Sub(*rec.StartedAt))
		}
	default:
		rec.Status = StatusPending
	}
	return true
}

// StartBashRun starts a run for a bash driver (start_deployment_run) and
// returns it; an existing run of the same owner is returned as it is.
func (s *State) StartBashRun(owner Owner, now time.Time) *Run {
	if run := s.bashRun(); run != nil && run.Owner.PID == owner.PID {
		return run
	}
	owner.Driver = "bash"
	resumed := ""
	if last := s.LastRun(); last != nil && (last.Outcome == OutcomeFailed || last.Outcome == OutcomeInterrupted) {
		resumed = last.RunID
	}
	run := &Run{RunID: NewRunID(now), Kind: KindApply, StartedAt: now, Outcome: OutcomeRunning, ResumedFrom: resumed,
		Owner: &owner, ConfigSnapshot: &ConfigSnapshot{Flags: s.DeploymentFlags}, Phases: PhaseList{}}
	s.DeploymentRuns = append(s.DeploymentRuns, run)
	s.CurrentRunID = run.RunID
	return run
}

// CompleteBashRun ends the bash driver's run with an outcome.
func (s *State) CompleteBashRun(outcome string, now time.Time) (*Run, error) {
	if !runOutcomes[outcome] || outcome == OutcomeRunning {
		return nil, fmt.Errorf("outcome %q: use success, failed or interrupted", outcome)
	}
	run := s.bashRun()
	if run == nil {
		return nil, fmt.Errorf("no run started by start_deployment_run is running")
	}
	run.Outcome, run.EndedAt = outcome, &now
	run.DurationSeconds = Seconds(now.Sub(run.StartedAt))
	for _, p := range run.Phases {
		if p.Status == StatusRunning {
			p.Status = map[string]string{OutcomeSuccess: StatusCompleted, OutcomeFailed: StatusFailed}[outcome]
			if p.Status == "" {
				p.Status = StatusInterrupted
			}
			if outcome != OutcomeSuccess && run.Error == nil {
				run.Error = &RunError{Phase: p.Name, Message: "the bash driver ended the run " + outcome + " during this phase"}
			}
		}
	}
	return run, nil
}
