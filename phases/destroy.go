package phases

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
)

// NewDestroyPlan decides, in reverse file order, which phases a destroy
// tears down: those this deployment completed (or left half done) and that
// have a destroy command or are terraform phases. Applicability does not
// matter here: what KOF installed while it was enabled must still go. A
// phase an earlier, unfinished destroy already tore down is reused.
func NewDestroyPlan(w *workflow.Workflow, scope *workflow.Scope, st *statestore.State) (*Plan, hcl.Diagnostics) {
	p := &Plan{Kind: statestore.KindDestroy, Workflow: w, Scope: scope, State: st, NotApplicable: map[string]string{}}
	if last := st.LastRun(); last != nil && last.Kind == statestore.KindDestroy && resumableOutcome(last) {
		p.ResumedFrom = last.RunID
	}
	var diags hcl.Diagnostics
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
