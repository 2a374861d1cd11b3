package statestore

import "fmt"

var (
	phaseStatuses = set(StatusPending, StatusRunning, StatusCompleted, StatusReused, StatusFailed, StatusInterrupted, StatusSkipped)
	runOutcomes   = set(OutcomeRunning, OutcomeSuccess, OutcomeFailed, OutcomeInterrupted)
	runKinds      = set(KindApply, KindDestroy, KindMigrated, KindManual)
)

func set(vals ...string) map[string]bool {
	m := make(map[string]bool, len(vals))
	for _, v := range vals {
		m[v] = true
	}
	return m
}

// Validate checks what the YAML decoder cannot: required values, enums and
// references between runs.
func (s *State) Validate() error {
	if s.SchemaVersion != SchemaVersion {
		return fmt.Errorf("schema_version: want %d, got %d", SchemaVersion, s.SchemaVersion)
	}
	if s.DeploymentID == "" {
		return fmt.Errorf("deployment_id: required")
	}
	seen := map[string]bool{}
	for i, r := range s.DeploymentRuns {
		at := fmt.Sprintf("deployment_runs[%d]", i)
		if r.RunID == "" {
			return fmt.Errorf("%s.run_id: required", at)
		}
		if seen[r.RunID] {
			return fmt.Errorf("%s.run_id: %s appears twice", at, r.RunID)
		}
		seen[r.RunID] = true
		if err := r.validate(at); err != nil {
			return err
		}
	}
	if s.CurrentRunID != "" && !seen[s.CurrentRunID] {
		return fmt.Errorf("current_run_id: %s is not in deployment_runs", s.CurrentRunID)
	}
	return nil
}

func (r *Run) validate(at string) error {
	if r.RunID == "" {
		return fmt.Errorf("%s.run_id: required", at)
	}
	if !runKinds[r.Kind] {
		return fmt.Errorf("%s.kind: %q is not one of apply, destroy, migrated, manual", at, r.Kind)
	}
	if !runOutcomes[r.Outcome] {
		return fmt.Errorf("%s.outcome: %q is not one of running, success, failed, interrupted", at, r.Outcome)
	}
	for _, p := range r.Phases {
		if !phaseStatuses[p.Status] {
			return fmt.Errorf("%s.phases.%s.status: %q is not one of pending, running, completed, reused, failed, interrupted, skipped", at, p.Name, p.Status)
		}
	}
	return nil
}
