package main

import (
	"fmt"
	"io"
	"reflect"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
)

func init() {
	register(&command{
		name:    "diff",
		summary: "Show what changed between two runs: variables, flags, applicability, workflow, terraform, phases",
		usage:   "diff RUN_A RUN_B [--output json]\n\nRUN is a run id, a unique prefix, or last, current, last-success, last-failed.",
		example: "k0flow diff last-success last-failed",
		run:     cmdDiff,
	})
}

// change is one difference between two runs.
type change struct {
	Section string `json:"section"` // variables, flags, applicability, workflow, terraform, phases
	Key     string `json:"key"`
	From    any    `json:"from"`
	To      any    `json:"to"`
}

type diffJSON struct {
	From    string   `json:"from"`
	To      string   `json:"to"`
	Changes []change `json:"changes"`
}

func cmdDiff(c *cli, args []string) error {
	fs := c.flags(find("diff"))
	var out output
	out.add(fs)
	stateDir := fs.String("state-dir", "", "state directory")
	if err := c.parseOutput(fs, args, &out); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageErrorf("usage: k0flow diff RUN_A RUN_B")
	}
	_, st, err := c.readState(*stateDir)
	if err != nil {
		return err
	}
	a, err := resolveRun(st, fs.Arg(0))
	if err != nil {
		return err
	}
	b, err := resolveRun(st, fs.Arg(1))
	if err != nil {
		return err
	}
	d := diffJSON{From: a.RunID, To: b.RunID, Changes: diffRuns(a, b)}
	if out.json() {
		return c.printJSON(d)
	}
	printDiff(c.stdout, a, b, d.Changes)
	return nil
}

func diffRuns(a, b *statestore.Run) []change {
	sa, sb := snapshotOf(a), snapshotOf(b)
	out := []change{}
	out = append(out, diffMaps("variables", withSecrets(sa), withSecrets(sb))...)
	out = append(out, diffMaps("flags", sa.Flags, sb.Flags)...)
	out = append(out, diffMaps("applicability", applicability(sa), applicability(sb))...)
	out = append(out, diffMaps("workflow", map[string]any{"checksum": sa.WorkflowChecksum, "file": sa.WorkflowFile,
		"k0flow_version": sa.K0flowVersion, "selection": sa.Selection},
		map[string]any{"checksum": sb.WorkflowChecksum, "file": sb.WorkflowFile, "k0flow_version": sb.K0flowVersion, "selection": sb.Selection})...)
	out = append(out, diffMaps("terraform", terraformOf(a), terraformOf(b))...)
	out = append(out, diffMaps("phases", phaseOutcomes(a), phaseOutcomes(b))...)
	return out
}

// withSecrets is a snapshot's variables where a sensitive one, recorded as
// "(sensitive)", carries its digest, so a changed secret shows as changed
// (its value never shown).
func withSecrets(s *statestore.ConfigSnapshot) map[string]any {
	if len(s.SensitiveDigests) == 0 {
		return s.Variables
	}
	m := make(map[string]any, len(s.Variables))
	for k, v := range s.Variables {
		m[k] = v
	}
	for k, d := range s.SensitiveDigests {
		m[k] = sensitiveValue{digest: d}
	}
	return m
}

// sensitiveValue is a secret as diff compares it: equal when the digests
// are, shown as (sensitive).
type sensitiveValue struct{ digest string }

func (sensitiveValue) String() string { return "(sensitive)" }

func (v sensitiveValue) MarshalJSON() ([]byte, error) { return []byte(`"(sensitive)"`), nil }

func snapshotOf(r *statestore.Run) *statestore.ConfigSnapshot {
	if r.ConfigSnapshot == nil {
		return &statestore.ConfigSnapshot{}
	}
	return r.ConfigSnapshot
}

// applicability says, per phase left out of either run, why.
func applicability(s *statestore.ConfigSnapshot) map[string]any {
	m := map[string]any{}
	for k, v := range s.Applicable {
		m[k] = "not applicable: " + v
	}
	return m
}

func terraformOf(r *statestore.Run) map[string]any {
	if r.Terraform == nil {
		return map[string]any{}
	}
	return map[string]any{"version": r.Terraform.Version, "backend": r.Terraform.Backend.Type, "state_path": r.Terraform.StatePath}
}

func phaseOutcomes(r *statestore.Run) map[string]any {
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

// diffMaps lists the keys whose values differ, absent ones as nil.
func diffMaps(section string, a, b map[string]any) []change {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	var out []change
	for _, k := range workflow.Keys(keys) {
		if !reflect.DeepEqual(a[k], b[k]) {
			out = append(out, change{Section: section, Key: k, From: a[k], To: b[k]})
		}
	}
	return out
}

func printDiff(w io.Writer, a, b *statestore.Run, changes []change) {
	fmt.Fprintf(w, "From run %s (%s, %s)\n  to run %s (%s, %s)\n\n", a.RunID, a.Kind, a.Outcome, b.RunID, b.Kind, b.Outcome)
	if len(changes) == 0 {
		fmt.Fprintln(w, "No differences in configuration, applicability, workflow, terraform or phase outcomes.")
		return
	}
	section := ""
	for _, ch := range changes {
		if ch.Section != section {
			section = ch.Section
			fmt.Fprintf(w, "%s:\n", section)
		}
		_, fromSecret := ch.From.(sensitiveValue)
		if _, toSecret := ch.To.(sensitiveValue); fromSecret && toSecret {
			fmt.Fprintf(w, "  %s: changed (sensitive: values not shown)\n", ch.Key)
			continue
		}
		fmt.Fprintf(w, "  %s: %s -> %s\n", ch.Key, shown(ch.From), shown(ch.To))
	}
}

func shown(v any) string {
	if v == nil {
		return "(absent)"
	}
	if s, ok := v.(string); ok && s == "" {
		return `""`
	}
	return inline(v)
}
