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
	Reason string // phase_mark_skipped's reason
	RunID  string // K0FLOW_RUN_ID when called inside a k0flow run
	Self   string // K0FLOW_PHASE: the phase the calling script is
	Owner  Owner
}

var markStatus = map[string]string{"completed": StatusCompleted, "in_progress": StatusRunning,
	"pending": StatusPending, "failed": StatusFailed, "skipped": StatusSkipped}

// MarkPhase records a script's phase mark as v1's phase_mark_* did and
// returns the event v1 wrote with it (nil for none: in_progress and
// pending wrote none). As in v1, in_progress and completed also make the
// phase the deployment's `phase`.
//
// Inside a k0flow run the runner owns the calling phase's record and
// writes its events, so the script's mark of its own phase changes only
// `phase`; marking a later phase of the run completed records it. In a run
// a bash driver started (start_deployment_run) the mark updates that run.
// Outside any run the mark is recorded in a run of kind manual (one per
// calling script), so phase_status answers it and the next apply reuses a
// completed phase and re-runs the others.
func (s *State) MarkPhase(m Mark, now time.Time) (*Event, error) {
	status, ok := markStatus[m.Status]
	if !ok {
		return nil, fmt.Errorf("unknown phase status %q: use completed, in_progress, pending, failed or skipped", m.Status)
	}
	if _, err := SplitKey(m.Phase); err != nil {
		return nil, err
	}
	if m.Status == "completed" || m.Status == "in_progress" {
		if err := s.SetV1("phase", m.Phase, now); err != nil {
			return nil, err
		}
	}
	ev := markEvent(m)
	switch {
	case m.RunID != "":
		if m.Phase == m.Self {
			return nil, nil // the runner records this phase and its events
		}
		if run := s.Run(m.RunID); run != nil && run.Outcome == OutcomeRunning && m.Status == "completed" {
			if rec := run.Phases.Get(m.Phase); rec != nil && rec.Status == StatusPending {
				rec.Status, rec.EndedAt, rec.Reason = StatusCompleted, &now, "marked completed by phase "+m.Self
			}
		}
	case s.bashRun() != nil:
		markInRun(s.bashRun(), m, now)
	default:
		rec := s.manualRecord(m.Phase, m.Owner, now)
		rec.Status, rec.EndedAt, rec.Reason = status, &now, m.Reason
		if status == StatusRunning {
			rec.StartedAt, rec.EndedAt = &now, nil
		}
		if rec.Reason == "" {
			rec.Reason = "marked " + m.Status + " by a script outside any run"
		}
	}
	return ev, nil
}

func markEvent(m Mark) *Event {
	switch m.Status {
	case "completed":
		return &Event{Action: "phase_completed", Message: "Phase completed: " + m.Phase, Phase: m.Phase}
	case "skipped":
		return &Event{Action: "phase_skipped", Message: "Phase skipped: " + m.Phase + " - " + m.Reason, Phase: m.Phase}
	}
	return nil
}

// ResetFrom is v1's phase_reset_from: phases must run again, from the
// named one on (phases lists them). Outside any run that is recorded as a
// manual run, which the next apply honours; inside a run (a destroy
// command, or a script resetting itself) the run's own records say what
// happens, so only `phase` and the event are kept, as v1 kept them.
func (s *State) ResetFrom(phases []string, owner Owner, inRun bool, now time.Time) (*Event, error) {
	if err := s.SetV1("phase", phases[0], now); err != nil {
		return nil, err
	}
	if !inRun {
		for _, p := range phases {
			rec := s.manualRecord(p, owner, now)
			rec.Status, rec.EndedAt, rec.Reason, rec.StartedAt = StatusPending, &now, "reset by hand", nil
		}
	}
	return &Event{Action: "phase_reset", Message: "Phase reset invoked from: " + phases[0]}, nil
}

// manualRecord is the record of phase in the manual run of the calling
// script: the newest run when it is that script's manual run, else a new
// manual run. A script run by hand thus leaves one run however many
// phases it marks.
func (s *State) manualRecord(phase string, owner Owner, now time.Time) *PhaseRecord {
	run := s.LastRun()
	if run == nil || run.Kind != KindManual || run.Owner == nil || run.Owner.PID != owner.PID || run.Owner.Host != owner.Host {
		run = &Run{RunID: NewRunID(now), Kind: KindManual, StartedAt: now, Outcome: OutcomeSuccess,
			Owner: &owner, Phases: PhaseList{}}
		s.DeploymentRuns = append(s.DeploymentRuns, run)
	}
	run.EndedAt = &now
	rec := run.Phases.Get(phase)
	if rec == nil {
		rec = &PhaseRecord{Name: phase}
		run.Phases = append(run.Phases, rec)
	}
	return rec
}

// bashRun is the current run if a bash driver started it and it runs.
func (s *State) bashRun() *Run {
	run := s.CurrentRun()
	if run == nil || run.Outcome != OutcomeRunning || run.Owner == nil || run.Owner.Driver != "bash" {
		return nil
	}
	return run
}

func markInRun(run *Run, m Mark, now time.Time) {
	rec := run.Phases.Get(m.Phase)
	if rec == nil {
		rec = &PhaseRecord{Name: m.Phase}
		run.Phases = append(run.Phases, rec)
	}
	switch m.Status {
	case "in_progress":
		rec.Status, rec.StartedAt, rec.EndedAt = StatusRunning, &now, nil
	case "completed", "failed":
		rec.Status, rec.EndedAt = markStatus[m.Status], &now
		if rec.StartedAt != nil {
			rec.DurationSeconds = Seconds(now.Sub(*rec.StartedAt))
		}
	case "skipped":
		rec.Status, rec.EndedAt, rec.Reason = StatusSkipped, &now, m.Reason
	default:
		rec.Status = StatusPending
	}
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
