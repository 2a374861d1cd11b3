package statestore

import (
	"reflect"
	"sort"
	"time"
)

// Change is one difference between two runs, for `k0flow diff`.
type Change struct {
	Section string `json:"section"` // variables, flags, applicability, workflow, terraform, phases
	Key     string `json:"key"`
	From    any    `json:"from"`
	To      any    `json:"to"`
}

// DiffRuns lists what changed from run a to run b: variables (a changed
// secret by its digest, never its value), flags, applicability, the
// workflow, terraform, and each phase's outcome.
func DiffRuns(a, b *Run) []Change {
	sa, sb := snapshotOf(a), snapshotOf(b)
	out := []Change{}
	out = append(out, diffMaps("variables", withSecrets(sa), withSecrets(sb))...)
	out = append(out, diffMaps("flags", sa.Flags, sb.Flags)...)
	out = append(out, diffMaps("applicability", applicability(sa), applicability(sb))...)
	out = append(out, diffMaps("workflow", workflowOf(sa), workflowOf(sb))...)
	out = append(out, diffMaps("terraform", terraformOf(a), terraformOf(b))...)
	out = append(out, diffMaps("phases", phaseOutcomes(a), phaseOutcomes(b))...)
	return out
}

// SensitiveValue is a secret as DiffRuns compares it: equal when the
// digests are, shown as (sensitive).
type SensitiveValue struct{ digest string }

func (SensitiveValue) String() string { return "(sensitive)" }

// MarshalJSON shows a secret as (sensitive).
func (SensitiveValue) MarshalJSON() ([]byte, error) { return []byte(`"(sensitive)"`), nil }

// withSecrets is a snapshot's variables where a sensitive one, recorded as
// "(sensitive)", carries its digest, so a changed secret shows as changed.
func withSecrets(s *ConfigSnapshot) map[string]any {
	if len(s.SensitiveDigests) == 0 {
		return s.Variables
	}
	m := make(map[string]any, len(s.Variables))
	for k, v := range s.Variables {
		m[k] = v
	}
	for k, d := range s.SensitiveDigests {
		m[k] = SensitiveValue{digest: d}
	}
	return m
}

func snapshotOf(r *Run) *ConfigSnapshot {
	if r.ConfigSnapshot == nil {
		return &ConfigSnapshot{}
	}
	return r.ConfigSnapshot
}

// applicability says, per phase left out of a run, why.
func applicability(s *ConfigSnapshot) map[string]any {
	m := map[string]any{}
	for k, v := range s.Applicable {
		m[k] = "not applicable: " + v
	}
	return m
}

func workflowOf(s *ConfigSnapshot) map[string]any {
	return map[string]any{"checksum": s.WorkflowChecksum, "file": s.WorkflowFile, "k0flow_version": s.K0flowVersion, "selection": s.Selection}
}

func terraformOf(r *Run) map[string]any {
	if r.Terraform == nil {
		return map[string]any{}
	}
	return map[string]any{"version": r.Terraform.Version, "backend": r.Terraform.Backend.Type, "state_path": r.Terraform.StatePath}
}

func phaseOutcomes(r *Run) map[string]any {
	m := map[string]any{}
	for _, p := range r.Phases {
		status := p.Status
		if p.Message != "" {
			status += " (" + p.Message + ")"
		}
		m[p.Name] = status
	}
	return m
}

// diffMaps lists the keys whose values differ, in order, absent ones as nil.
func diffMaps(section string, a, b map[string]any) []Change {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []Change
	for _, k := range keys {
		if !reflect.DeepEqual(a[k], b[k]) {
			out = append(out, Change{Section: section, Key: k, From: a[k], To: b[k]})
		}
	}
	return out
}

// PickOld is prune's policy: the runs beyond the keep newest (keep < 0:
// any) that started before cutoff (zero: any time), oldest first.
func PickOld(keep int, cutoff time.Time) func(all []*Run) []*Run {
	return func(all []*Run) []*Run {
		var picked []*Run
		for i, r := range all {
			newer := len(all) - i // 1 for the newest
			if (keep < 0 || newer > keep) && (cutoff.IsZero() || r.StartedAt.Before(cutoff)) {
				picked = append(picked, r)
			}
		}
		return picked
	}
}
