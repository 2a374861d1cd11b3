package phases

import (
	"fmt"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
)

// NewDestroyPlan decides, in reverse file order, which phases a destroy
// tears down: those this deployment completed (or left half done) and that
// have a destroy command or are terraform phases. Applicability does not
// matter here: what KOF installed while it was enabled must still go. A
// phase an earlier, unfinished destroy already tore down is reused.
func NewDestroyPlan(w *workflow.Workflow, scope *workflow.Scope, st *statestore.State, forget []string) (*Plan, hcl.Diagnostics) {
	p := &Plan{Kind: statestore.KindDestroy, Workflow: w, Scope: scope, State: st, NotApplicable: map[string]string{}}
	if last := st.LastRun(); last != nil && last.Kind == statestore.KindDestroy && resumableOutcome(last) {
		p.ResumedFrom = last.RunID
	}
	forgotten := map[string]bool{}
	for _, f := range forget {
		forgotten[f] = true
	}
	removed, diags := p.removedSteps(forgotten)
	p.Steps = append(p.Steps, removed...)
	for i := len(w.Phases) - 1; i >= 0; i-- {
		ph := w.Phases[i]
		step := &Step{Phase: ph, Description: scope.Description(ph), Decision: destroyDecision(ph.Name, st.DeploymentRuns)}
		if step.Action != ActionNotApplicable && !ph.HasDestroy() && ph.Terraform == "" {
			step.Decision = Decision{Action: ActionNotApplicable, Reason: "no destroy command"}
		}
		if step.Action != ActionNotApplicable && !ph.NeedsInfra {
			res, d := scope.Resolve(ph)
			diags = append(diags, d...)
			step.Resolved = res
			if res != nil && res.Destroy == nil && ph.Terraform == "" {
				step.Decision = Decision{Action: ActionNotApplicable, Reason: "no destroy command"}
			}
		}
		if step.Action == ActionNotApplicable {
			p.NotApplicable[ph.Name] = step.Reason
		}
		p.Steps = append(p.Steps, step)
	}
	p.number()
	return p, diags
}

func resumableOutcome(r *statestore.Run) bool {
	return r.Outcome == statestore.OutcomeFailed || r.Outcome == statestore.OutcomeInterrupted
}

// destroyDecision reads a phase's history, newest first.
func destroyDecision(name string, history []*statestore.Run) Decision {
	for i := len(history) - 1; i >= 0; i-- {
		r := history[i]
		rec := r.Phases.Get(name)
		if rec == nil {
			continue
		}
		if r.Kind == statestore.KindDestroy {
			if rec.Status == statestore.StatusCompleted || rec.Status == statestore.StatusReused {
				return Decision{Action: ActionReuse, Reason: "destroyed in run " + r.RunID, ReusedFrom: r.RunID}
			}
			continue
		}
		switch rec.Status {
		case statestore.StatusCompleted, statestore.StatusReused:
			return Decision{Action: ActionRun, Reason: "completed in run " + r.RunID}
		case statestore.StatusFailed, statestore.StatusInterrupted, statestore.StatusRunning:
			return Decision{Action: ActionRun, Reason: "partly applied in run " + r.RunID}
		}
	}
	return Decision{Action: ActionNotApplicable, Reason: "never applied"}
}

// DestroyCommand says what a destroy runs for the step, for the
// confirmation: the phase's own destroy command (as written in the file
// when it reads infra.* and is evaluated only after the sync), or
// terraform destroy for a built-in terraform phase.
func (p *Plan) DestroyCommand(s *Step) string {
	switch {
	case s.Phase.Terraform != "" && p.Workflow.Terraform != nil:
		return "terraform destroy in " + p.Workflow.RelDir(p.Workflow.Terraform.Dir)
	case s.Resolved != nil && s.Resolved.Destroy != nil:
		return s.Resolved.Destroy.Display()
	case s.Phase.HasDestroy():
		return p.Scope.Source(s.Phase.Destroy) + " (evaluated after the infra sync)"
	}
	return "nothing"
}

// Removed is a phase this deployment completed that the workflow no
// longer declares: its resources are still there.
type Removed struct {
	Name    string
	RunID   string   // the run that completed it
	Destroy []string // its destroy command as recorded then; nil if none
	Dir     string   // where that runs, relative to the workflow file
}

// RemovedPhases lists, newest completion first, the phases the deployment
// still has deployed that the workflow no longer declares.
func RemovedPhases(w *workflow.Workflow, history []*statestore.Run) []Removed {
	var out []Removed
	seen := map[string]bool{}
	for i := len(history) - 1; i >= 0; i-- {
		for _, p := range history[i].Phases {
			if seen[p.Name] || w.Phase(p.Name) != nil {
				continue
			}
			seen[p.Name] = true
			run, rec := lastRecord(p.Name, history)
			if rec == nil || run.Kind == statestore.KindDestroy ||
				rec.Status != statestore.StatusCompleted && rec.Status != statestore.StatusReused {
				continue
			}
			origin, orec := run, rec
			if rec.Status == statestore.StatusReused && rec.ReusedFrom != "" {
				for _, r := range history {
					if r.RunID == rec.ReusedFrom {
						if o := r.Phases.Get(p.Name); o != nil {
							origin, orec = r, o
						}
					}
				}
			}
			out = append(out, Removed{Name: p.Name, RunID: origin.RunID, Destroy: orec.DestroyCommand, Dir: orec.DestroyDir})
		}
	}
	return out
}

// removedSteps are the destroy steps of removed phases, torn down first;
// forget names those the operator tore down by hand. A removed phase with
// no recorded destroy command is an error: the deployment must not be
// archived as destroyed while it may still be there.
func (p *Plan) removedSteps(forget map[string]bool) ([]*Step, hcl.Diagnostics) {
	var steps []*Step
	var diags hcl.Diagnostics
	for _, rm := range RemovedPhases(p.Workflow, p.State.DeploymentRuns) {
		ph := &workflow.Phase{Name: rm.Name, Index: -1}
		switch {
		case forget[rm.Name]:
			p.NotApplicable[rm.Name] = "removed from the workflow and forgotten (--forget): torn down by hand"
			continue
		case rm.Destroy == nil:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "A deployed phase is no longer in the workflow",
				Detail: fmt.Sprintf("Phase %q was completed in run %s and is no longer in %s, and k0flow recorded no destroy command for it. Tear down what it made by hand, then run k0flow destroy --forget %s.",
					rm.Name, rm.RunID, p.Workflow.Filename, rm.Name),
			})
			continue
		}
		res := &workflow.Resolved{Name: rm.Name, Destroy: &workflow.Command{Argv: rm.Destroy},
			Dir: filepath.Join(p.Workflow.Dir, rm.Dir)}
		steps = append(steps, &Step{Phase: ph, Resolved: res,
			Decision: Decision{Action: ActionRun, Reason: "removed from the workflow; completed in run " + rm.RunID}})
	}
	return steps, diags
}
