package phases

import (
	"fmt"
	"strings"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
)

// Action is what a run does with a phase.
type Action string

// The actions a plan can take for a phase.
const (
	ActionRun           Action = "run"
	ActionReuse         Action = "reuse"
	ActionRerun         Action = "re-run"
	ActionNotApplicable Action = "not applicable"
	ActionNotSelected   Action = "not selected"
)

// Options narrow or widen what a run does.
type Options struct {
	From  string // re-run this phase and every later one
	Only  string // run just this phase
	Fresh bool   // ignore earlier completions
	// Digest digests definition parts, so a re-run can say what changed
	// (nil: it says only that the definition changed).
	Digest *statestore.Digester
}

// Selection describes the options for the run's config snapshot.
func (o Options) Selection() string {
	switch {
	case o.Only != "":
		return "--only " + o.Only
	case o.From != "":
		return "--from " + o.From
	case o.Fresh:
		return "--fresh"
	}
	return ""
}

// Decision is the planner's verdict on one applicable phase, before any
// check runs.
type Decision struct {
	Action     Action
	Reason     string
	ReusedFrom string // for reuse: the run that completed the phase
	// NoRecord: the history given had no record of the phase. With only
	// the recent runs given, older ones may have one (NeedsOlderRuns).
	NoRecord bool `json:"-"`
}

// PhaseFacts is what the planner's rule needs to know of one applicable phase.
type PhaseFacts struct {
	Name string
	// Checksum is the phase's current definition ("" when it cannot be
	// known yet); Accepted are the same definition as older k0flows summed
	// it (unkeyed, with an absolute dir), also taken as unchanged.
	Checksum  string
	Accepted  []string
	AfterFrom bool // at or after --from
	AlwaysRun bool // reuse = false
	// Parts are the digested definition parts (Resolved.Parts).
	Parts map[string]string
}

// Decide is the planner's rule for one applicable phase; history is the
// deployment's earlier runs, oldest first.
func Decide(p PhaseFacts, opts Options, history []*statestore.Run) Decision {
	d := decide(p, opts, history)
	if opts.Only == "" && !opts.Fresh {
		_, rec := lastRecord(p.Name, history)
		d.NoRecord = rec == nil
	}
	return d
}

func decide(p PhaseFacts, opts Options, history []*statestore.Run) Decision {
	name, checksum, afterFrom := p.Name, p.Checksum, p.AfterFrom
	if opts.Only != "" {
		if name != opts.Only {
			return Decision{Action: ActionNotSelected, Reason: "--only " + opts.Only}
		}
		return Decision{Action: ActionRun, Reason: "--only " + name}
	}
	if opts.Fresh {
		return Decision{Action: ActionRun, Reason: "--fresh ignores earlier runs"}
	}
	run, rec := lastRecord(name, history)
	if p.AlwaysRun {
		if rec == nil {
			return Decision{Action: ActionRun, Reason: "reuse = false: runs on every apply"}
		}
		return Decision{Action: ActionRerun, Reason: "reuse = false: runs on every apply"}
	}
	if afterFrom {
		if rec == nil {
			return Decision{Action: ActionRun, Reason: "--from " + opts.From + "; never run before"}
		}
		return Decision{Action: ActionRerun, Reason: "--from " + opts.From}
	}
	if rec == nil {
		return Decision{Action: ActionRun, Reason: "not run before"}
	}
	if run.Kind == statestore.KindDestroy {
		if rec.Status == statestore.StatusCompleted || rec.Status == statestore.StatusReused {
			return Decision{Action: ActionRerun, Reason: "torn down by the unfinished destroy " + run.RunID}
		}
		return Decision{Action: ActionRerun, Reason: "partly torn down by the unfinished destroy " + run.RunID}
	}
	switch rec.Status {
	case statestore.StatusCompleted, statestore.StatusReused:
		origin := run.RunID
		if rec.Status == statestore.StatusReused && rec.ReusedFrom != "" {
			origin = rec.ReusedFrom
		}
		// A completion without a checksum was migrated from the bash
		// project: the bash orchestrator trusted it, and so do we.
		if rec.DefinitionChecksum == "" || checksum == "" || rec.DefinitionChecksum == checksum || contains(p.Accepted, rec.DefinitionChecksum) {
			return Decision{Action: ActionReuse, Reason: "completed in run " + origin, ReusedFrom: origin}
		}
		if what := changedParts(p.Parts, originRecord(rec, origin, history, name).DefinitionParts); what != "" {
			return Decision{Action: ActionRerun, Reason: what + " changed since run " + origin}
		}
		return Decision{Action: ActionRerun, Reason: "definition (command, env or dir) changed since run " + origin}
	case statestore.StatusFailed:
		return Decision{Action: ActionRerun, Reason: "failed in run " + run.RunID}
	case statestore.StatusRunning:
		if run.Outcome == statestore.OutcomeRunning {
			return Decision{Action: ActionRerun, Reason: "running now in run " + run.RunID + " (a run is in progress)"}
		}
		return Decision{Action: ActionRerun, Reason: "interrupted in run " + run.RunID}
	case statestore.StatusInterrupted:
		return Decision{Action: ActionRerun, Reason: "interrupted in run " + run.RunID}
	case statestore.StatusPending:
		return Decision{Action: ActionRerun, Reason: "reset by hand in run " + run.RunID}
	}
	return Decision{Action: ActionRun, Reason: fmt.Sprintf("last seen %s in run %s", rec.Status, run.RunID)}
}

// lastRecord finds the newest record of a phase that says something about
// it: a pending record (a run that stopped before reaching the phase) does
// not hide an older completion.
func lastRecord(name string, history []*statestore.Run) (*statestore.Run, *statestore.PhaseRecord) {
	for i := len(history) - 1; i >= 0; i-- {
		r := history[i]
		if r.Kind == statestore.KindDestroy {
			// A finished destroy undoes every earlier completion; an
			// unfinished one only what it tore down: what it never reached
			// is still deployed.
			if r.Outcome == statestore.OutcomeSuccess || r.Outcome == statestore.OutcomeRunning {
				return nil, nil
			}
			if d := r.Phases.Get(name); d != nil && d.Status != statestore.StatusPending {
				return r, d
			}
			continue
		}
		rec := r.Phases.Get(name)
		if rec == nil {
			continue
		}
		// A pending record in a manual run is a reset by hand
		// (phase_reset_from); elsewhere it is a phase a run never reached.
		if rec.Status != statestore.StatusPending || r.Kind == statestore.KindManual {
			return r, rec
		}
	}
	return nil, nil
}

// originRecord is the record that completed a phase: rec itself, or, for a
// reuse, the record in the run it was reused from.
func originRecord(rec *statestore.PhaseRecord, origin string, history []*statestore.Run, name string) *statestore.PhaseRecord {
	for _, r := range history {
		if r.RunID == origin {
			if o := r.Phases.Get(name); o != nil {
				return o
			}
		}
	}
	return rec
}

// changedParts names the parts whose digests differ: "env GREETING",
// "command and dir". "" when either side has none to compare.
func changedParts(now, then map[string]string) string {
	if len(now) == 0 || len(then) == 0 {
		return ""
	}
	keys := map[string]bool{}
	for k := range now {
		keys[k] = true
	}
	for k := range then {
		keys[k] = true
	}
	var changed []string
	for _, k := range workflow.Keys(keys) {
		if now[k] != then[k] {
			changed = append(changed, strings.Replace(k, "env.", "env ", 1))
		}
	}
	switch len(changed) {
	case 0:
		return ""
	case 1:
		return changed[0]
	}
	return strings.Join(changed[:len(changed)-1], ", ") + " and " + changed[len(changed)-1]
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// DefinitionSums is a resolved phase's definition checksum as recorded now
// (keyed with the deployment's digest key, so that a guessed secret in
// its env cannot be confirmed against it; plain SHA-256 without a key),
// and the forms earlier k0flows recorded for the same definition.
func DefinitionSums(res *workflow.Resolved, d *statestore.Digester) (string, []string) {
	if res == nil {
		return "", nil
	}
	accepted := []string{res.Checksum(), res.LegacyChecksum()}
	if d == nil {
		return res.Checksum(), accepted
	}
	return d.Sum(res.Definition()), accepted
}
