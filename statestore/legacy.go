package statestore

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// legacyAliases is the one table between v1 keys, which the bash scripts
// read and write with get_state/update_state, and where v2 keeps them. The
// migrator places values with it and `state get/set` resolves through it,
// so a script's `get_state wg_vpn_connected` answers after a migration.
var legacyAliases = map[string]string{
	"wg_keys_generated":          "wireguard.keys_generated",
	"wg_laptop_config_created":   "wireguard.laptop_config_created",
	"wg_vpn_connected":           "wireguard.connected",
	"wg_setup_method":            "wireguard.setup_method",
	"wg_macos_interface":         "wireguard.macos_interface",
	"wireguard_peers":            "wireguard.peers",
	"k0s_config_generated":       "k0s.config_generated",
	"k0s_cluster_deployed":       "k0s.cluster_deployed",
	"network_validation_failed":  "k0s.network_validation_failed",
	"k0rdent_installed":          "k0rdent.installed",
	"k0rdent_ready":              "k0rdent.ready",
	"k0rdent_ready_partial":      "k0rdent.ready_partial",
	"azure_csi_installed":        "azure_csi.installed",
	"kof_mothership_installed":   "kof.mothership.installed",
	"kof_mothership_version":     "kof.mothership.version",
	"kof_mothership_namespace":   "kof.mothership.namespace",
	"kof_regional_installed":     "kof.regional.installed",
	"kof_regional_version":       "kof.regional.version",
	"kof_regional_cluster_name":  "kof.regional.cluster_name",
	"kof_regional_domain":        "kof.regional.domain",
	"kof_regional_namespace":     "kof.regional.namespace",
	"kof_regional_cluster_label": "kof.regional.cluster_label",
	"aws_credentials_configured": "aws.credentials_configured",
	"aws_account_id":             "aws.account_id",
	"aws_role_arn":               "aws.role_arn",
	"aws_profile_name":           "aws.profile_name",
	"artifacts":                  "artifacts",
	"source_config_file":         "source_config_file",
	// The deployment's phase and status as the scripts keep them
	// (phase_mark_*, complete_deployment); without them both are derived
	// from the runs.
	"phase":  "phase",
	"status": "status",
}

// infraKeys are v1 keys that were infrastructure facts: they move to the
// outputs cache.
var infraKeys = map[string]string{
	"vm_states":            "vm_details",
	"azure_rg_status":      "azure_rg_status",
	"azure_network_status": "azure_network_status",
	"azure_ssh_key_status": "azure_ssh_key_status",
}

// RuntimeKey maps a key as a script wrote it to its v2 runtime path: a v1
// key (or a key below one, artifacts.kubeconfig_file.path) through the
// alias table, anything else as it is.
func RuntimeKey(key string) string {
	head, rest, _ := strings.Cut(key, ".")
	if alias, ok := legacyAliases[head]; ok {
		if rest == "" {
			return alias
		}
		return alias + "." + rest
	}
	return key
}

// LegacyValue answers a v1 key that v2 keeps outside runtime values:
// deployment metadata, flags, config, phases, run times, infrastructure
// facts, and keys kept under runtime.legacy.
func (s *State) LegacyValue(key string) (any, bool) {
	head, rest, _ := strings.Cut(key, ".")
	switch head {
	case "deployment_id":
		return s.DeploymentID, rest == ""
	case "deployer":
		return s.Deployer, rest == "" && s.Deployer != ""
	case "created_at":
		return s.CreatedAt.Format(time.RFC3339), rest == ""
	case "last_updated":
		return s.LastUpdated.Format(time.RFC3339), rest == ""
	case "deployment_flags":
		return lookupIn(s.DeploymentFlags, rest)
	case "config":
		return s.configValue(rest)
	case "phases":
		return s.phaseValue(rest)
	case "phase", "status", "deployment_start_time", "deployment_end_time", "deployment_duration_seconds":
		if v, ok := s.runValue(head); ok && rest == "" {
			return v, true
		}
	}
	if out, ok := infraKeys[head]; ok && s.InfrastructureFacts != nil {
		if v, ok := lookupIn(s.InfrastructureFacts.Outputs, joinKey(out, rest)); ok {
			return v, true
		}
	}
	if v, ok := lookupIn(s.Runtime, joinKey("legacy."+head, rest)); ok {
		return v, true
	}
	if key == "vm_states" {
		return map[string]any{}, true // v1 started with none; scripts count them
	}
	return nil, false
}

func joinKey(a, b string) string {
	if b == "" {
		return a
	}
	return a + "." + b
}

func lookupIn(m map[string]any, key string) (any, bool) {
	if key == "" {
		return m, m != nil
	}
	return GetPath(m, key)
}

// configValue reads the configuration of the newest run that recorded it.
func (s *State) configValue(key string) (any, bool) {
	for i := len(s.DeploymentRuns) - 1; i >= 0; i-- {
		snap := s.DeploymentRuns[i].ConfigSnapshot
		if snap == nil || snap.Variables == nil {
			continue
		}
		if v, ok := lookupIn(snap.Variables, key); ok {
			return v, true
		}
	}
	return nil, false
}

// PhaseStatus is a phase's status in the bash project's words: the newest
// record that says something about it, with v2 statuses mapped to v1
// (reused is completed, running and interrupted are in_progress). A phase
// never recorded is pending.
func (s *State) PhaseStatus(name string) string {
	rec := s.phaseRecord(name)
	if rec == nil {
		return StatusPending
	}
	switch rec.Status {
	case StatusCompleted, StatusReused:
		return StatusCompleted
	case StatusRunning, StatusInterrupted:
		return "in_progress"
	}
	return rec.Status
}

// LastRecord is the newest record that says something about a phase, with
// its run; nil when a finished destroy or nothing says anything.
func (s *State) LastRecord(name string) (*Run, *PhaseRecord) {
	rec := s.phaseRecord(name)
	if rec == nil {
		return nil, nil
	}
	for i := len(s.DeploymentRuns) - 1; i >= 0; i-- {
		if s.DeploymentRuns[i].Phases.Get(name) == rec {
			return s.DeploymentRuns[i], rec
		}
	}
	return nil, nil
}

// phaseRecord is the newest record that says something about a phase: a
// pending record of a run that never reached the phase says nothing, a
// destroy undoes everything before it.
func (s *State) phaseRecord(name string) *PhaseRecord {
	rec, _ := s.findPhaseRecord(name)
	return rec
}

// findPhaseRecord is phaseRecord, and whether the runs s holds decided it
// (a record, or a destroy that undid the phase) rather than running out.
func (s *State) findPhaseRecord(name string) (*PhaseRecord, bool) {
	for i := len(s.DeploymentRuns) - 1; i >= 0; i-- {
		r := s.DeploymentRuns[i]
		if r.Kind == KindDestroy {
			// A finished destroy undid everything; an unfinished one what
			// it tore down, not what it never reached.
			if r.Outcome == OutcomeSuccess || r.Outcome == OutcomeRunning {
				return nil, true
			}
			if d := r.Phases.Get(name); d != nil && d.Status != StatusPending {
				return nil, true
			}
			continue
		}
		rec := r.Phases.Get(name)
		if rec == nil || rec.Status == StatusPending && r.Kind != KindManual {
			continue
		}
		return rec, true
	}
	return nil, false
}

// Answers says whether the runs s holds answer a lookup of key as all the
// deployment's runs would: a key that reads no run record, or one whose
// deciding record s holds. A state loaded with its recent runs only
// (Store.LoadRecent) may not: Store.LoadFor then loads every run.
func (s *State) Answers(key string) bool {
	head, rest, _ := strings.Cut(key, ".")
	switch head {
	case "phases":
		name, _, _ := strings.Cut(rest, ".")
		_, decided := s.findPhaseRecord(name)
		return decided
	case "deployment_end_time", "deployment_duration_seconds":
		_, ok := s.runValue(head)
		return ok
	}
	return true // the current run, always in the state file, or no run at all
}

func (s *State) phaseValue(key string) (any, bool) {
	name, field, _ := strings.Cut(key, ".")
	if name == "" {
		return nil, false
	}
	status := s.PhaseStatus(name)
	switch field {
	case "status":
		return status, true
	case "skipped_reason":
		if rec := s.phaseRecord(name); rec != nil && status == StatusSkipped {
			return rec.Reason, true
		}
	case "":
		m := map[string]any{"status": status}
		if rec := s.phaseRecord(name); rec != nil && status == StatusSkipped {
			m["skipped_reason"] = rec.Reason
		}
		return m, true
	}
	return nil, false
}

// runValue derives the v1 run bookkeeping keys from the runs.
func (s *State) runValue(key string) (any, bool) {
	cur := s.CurrentRun()
	if cur == nil {
		return nil, false
	}
	switch key {
	case "status":
		return map[string]string{OutcomeRunning: "in_progress", OutcomeSuccess: "completed",
			OutcomeFailed: "failed", OutcomeInterrupted: "failed"}[cur.Outcome], true
	case "phase":
		for i := len(cur.Phases) - 1; i >= 0; i-- {
			if cur.Phases[i].Status != StatusPending {
				return cur.Phases[i].Name, true
			}
		}
		return nil, false
	case "deployment_start_time":
		if cur.Kind == KindMigrated {
			return nil, false // the v1 value, if v1 had one
		}
		return cur.StartedAt.Format(time.RFC3339), true
	}
	for i := len(s.DeploymentRuns) - 1; i >= 0; i-- {
		r := s.DeploymentRuns[i]
		if r.Outcome != OutcomeSuccess || r.EndedAt == nil {
			continue
		}
		if key == "deployment_end_time" {
			return r.EndedAt.Format(time.RFC3339), true
		}
		if r.DurationSeconds != nil {
			return strconv.Itoa(int(*r.DurationSeconds)), true
		}
	}
	return nil, false
}

// sortedKeys lists a map's keys in order.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// v1Time reads a v1 timestamp: quoted UTC ISO text as yq writes it, or an
// unquoted one, which YAML itself reads as a time.
func v1Time(v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t.UTC(), nil
	case string:
		return time.Parse(time.RFC3339, t)
	}
	return time.Time{}, fmt.Errorf("%v is not a timestamp", v)
}
