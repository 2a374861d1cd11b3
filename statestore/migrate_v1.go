package statestore

import (
	"fmt"
	"strconv"
	"time"
)

// v1 keys the conversion places somewhere other than runtime.legacy.
var v1Handled = map[string]bool{
	"deployment_id": true, "deployer": true, "created_at": true, "deployment_flags": true,
	"config": true, "phases": true,
}

// FromV1 converts a v1 state (as the bash project's yq calls wrote it) into
// a v2 state. Nothing is dropped: every key lands in its v2 place or under
// runtime.legacy.
func FromV1(v1 map[string]any, now time.Time) (*State, error) {
	id, _ := v1["deployment_id"].(string)
	if id == "" {
		return nil, fmt.Errorf("deployment_id: missing, so this is not a k0rdent deployment state")
	}
	created, err := v1Time(v1["created_at"])
	if err != nil {
		created = now
	}
	st := NewState(id)
	st.CreatedAt, st.LastUpdated = created, now
	st.Deployer, _ = v1["deployer"].(string)
	st.DeploymentFlags = v1Flags(v1["deployment_flags"])
	facts := &InfraFacts{Source: "legacy-azure", Outputs: map[string]any{}}
	for _, key := range sortedKeys(v1) {
		val := v1[key]
		switch {
		case v1Handled[key]:
		case infraKeys[key] != "":
			facts.Outputs[infraKeys[key]] = val
		case legacyAliases[key] != "":
			if err := SetPath(st.Runtime, legacyAliases[key], val); err != nil {
				return nil, err
			}
		default:
			if err := SetPath(st.Runtime, "legacy."+key, val); err != nil {
				return nil, err
			}
		}
	}
	if len(facts.Outputs) > 0 {
		// Born stale: these facts came from Azure, not Terraform.
		at := created
		if t, err := v1Time(v1["last_updated"]); err == nil {
			at = t
		}
		facts.CacheTimestamp = &at
		st.InfrastructureFacts = facts
	}
	run := migratedRun(v1, st, created)
	st.DeploymentRuns = []*Run{run}
	st.CurrentRunID = run.RunID
	return st, st.Validate()
}

func v1Flags(v any) map[string]any {
	flags := map[string]any{"azure_children": false, "kof": false}
	if m, ok := asMap(v); ok {
		for k, val := range m {
			flags[k] = val
		}
	}
	return flags
}

// migratedRun turns the v1 phases map into one run of kind migrated.
func migratedRun(v1 map[string]any, st *State, created time.Time) *Run {
	started := created
	if t, err := v1Time(v1["deployment_start_time"]); err == nil {
		started = t
	}
	config, _ := asMap(v1["config"])
	run := &Run{
		RunID:     NewRunID(started),
		Kind:      KindMigrated,
		StartedAt: started,
		ConfigSnapshot: &ConfigSnapshot{Variables: config, Flags: st.DeploymentFlags,
			Applicable: map[string]string{}},
		Phases: PhaseList{},
	}
	phases, _ := asMap(v1["phases"])
	for _, name := range v1PhaseOrder(phases) {
		p, _ := asMap(phases[name])
		status, _ := p["status"].(string)
		// An optional phase the bash run never reached, whose component
		// is off, is not part of this deployment: not pending work.
		if flag := V1OptionalFlag[name]; flag != "" && v1Status(status) == StatusPending && st.DeploymentFlags[flag] != true {
			run.ConfigSnapshot.Applicable[name] = "deployment_flags." + flag + " is false"
			continue
		}
		rec := &PhaseRecord{Name: name, Status: v1Status(status), Reason: "migrated from the v1 state"}
		if rec.Status == StatusSkipped {
			rec.Reason, _ = p["skipped_reason"].(string) // get_state phases.X.skipped_reason answers it
		}
		if t, err := v1Time(p["updated_at"]); err == nil && rec.Status != StatusPending {
			rec.EndedAt = &t
		}
		run.Phases = append(run.Phases, rec)
	}
	finishMigrated(run, v1)
	return run
}

func v1Status(s string) string {
	switch s {
	case "completed":
		return StatusCompleted
	case "in_progress":
		return StatusInterrupted
	case "failed":
		return StatusFailed
	case "skipped":
		return StatusSkipped
	}
	return StatusPending
}

// finishMigrated sets the outcome the phases imply: a phase left in
// progress means the bash run was interrupted; all completed is a success;
// anything else stopped early without saying why.
func finishMigrated(run *Run, v1 map[string]any) {
	run.Outcome = OutcomeSuccess
	for _, p := range run.Phases {
		switch p.Status {
		case StatusInterrupted:
			run.Outcome = OutcomeInterrupted
			run.Error = &RunError{Phase: p.Name, Message: "the bash run stopped during this phase (v1 kept no error)"}
			return
		case StatusPending, StatusFailed:
			if run.Outcome == OutcomeSuccess {
				run.Outcome = OutcomeFailed
				run.Error = &RunError{Phase: p.Name, Message: "the bash run stopped before this phase completed (v1 kept no error)"}
			}
		}
	}
	if len(run.Phases) == 0 && v1["status"] != "completed" {
		run.Outcome = OutcomeFailed
		run.Error = &RunError{Message: "the v1 state records no phases and no completion"}
	}
	if run.Outcome == OutcomeSuccess {
		if d, err := strconv.ParseFloat(fmt.Sprint(v1["deployment_duration_seconds"]), 64); err == nil {
			run.DurationSeconds = &d
		}
	}
}

// v1PhaseOrder is the bash PHASE_SEQUENCE, then any other phase by name.
func v1PhaseOrder(phases map[string]any) []string {
	var out []string
	seen := map[string]bool{}
	for _, name := range PhaseSequence {
		if _, ok := phases[name]; ok {
			out = append(out, name)
			seen[name] = true
		}
	}
	for _, name := range sortedKeys(phases) {
		if !seen[name] {
			out = append(out, name)
		}
	}
	return out
}

// PhaseSequence is the bash project's PHASE_SEQUENCE.
var PhaseSequence = []string{"prepare_deployment", "setup_network", "create_vms", "setup_vpn", "connect_vpn",
	"install_k0s", "install_k0rdent", "setup_azure_children", "install_azure_csi", "install_kof_mothership",
	"install_kof_regional"}
