package phases

import (
	"context"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/k0flow/k0flow/infra"
	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
)

// Step is one phase in a plan.
type Step struct {
	Phase    *workflow.Phase
	Resolved *workflow.Resolved // nil until it can be evaluated
	Decision
	// Number and Total place the step among the applicable phases: [3/9].
	Number, Total int
	// CheckResult is filled when the plan ran the phase's check.
	CheckResult *CheckResult
	// InfraSync says why the outputs cache will be synced before this
	// phase; "" when it will be used as it is.
	InfraSync string
	// Description is the phase's description, known before it starts.
	Description string
}

// CheckResult is the outcome of running a phase's check command.
type CheckResult struct {
	Passed   bool
	ExitCode int
}

// Plan is what a run will do with every phase of a workflow.
type Plan struct {
	Kind        string // statestore.KindApply or KindDestroy
	Workflow    *workflow.Workflow
	Scope       *workflow.Scope
	Steps       []*Step // every phase, in file order
	Options     Options
	ResumedFrom string
	// UnfinishedDestroy is the last run when it is a destroy that failed
	// or was interrupted: k0flow destroy resumes it; apply deploys again.
	UnfinishedDestroy *statestore.Run
	// InProgress is a run that is under way now (its runner lives): an
	// apply would be refused until it ends.
	InProgress *statestore.Run
	// NotApplicable gives, for each phase left out, the reason.
	NotApplicable map[string]string
	State         *statestore.State // nil for a deployment that has not run yet
}

// NeedsOlderRuns says the plan was made from the recent runs only and a
// phase that takes part has no record in them: the runs moved out of the
// state file may have one, so the plan must be made again with them.
func (p *Plan) NeedsOlderRuns() bool {
	for _, s := range p.Active() {
		if s.NoRecord {
			return true
		}
	}
	return false
}

// Active returns the steps that take part in the run.
func (p *Plan) Active() []*Step {
	var out []*Step
	for _, s := range p.Steps {
		if s.Action != ActionNotApplicable && s.Action != ActionNotSelected {
			out = append(out, s)
		}
	}
	return out
}

// NewPlan decides what a run does with each phase. It evaluates
// applicability and every phase it can without infrastructure outputs;
// checks are not run here (see RunChecks).
func NewPlan(w *workflow.Workflow, scope *workflow.Scope, st *statestore.State, opts Options) (*Plan, hcl.Diagnostics) {
	p := &Plan{Kind: statestore.KindApply, Workflow: w, Scope: scope, Options: opts, State: st, NotApplicable: map[string]string{}}
	diags := p.checkOptions()
	if diags.HasErrors() {
		return p, diags
	}
	var history []*statestore.Run
	if st != nil {
		history = st.DeploymentRuns
		if last := st.LastRun(); last != nil && !opts.Fresh && resumable(last) {
			p.ResumedFrom = last.RunID
		}
		if last := st.LastRun(); last != nil && last.Kind == statestore.KindDestroy && resumableOutcome(last) {
			p.UnfinishedDestroy, p.ResumedFrom = last, ""
		}
		if cur := st.CurrentRun(); cur != nil && cur.Outcome == statestore.OutcomeRunning {
			p.InProgress = cur
		}
	}
	afterFrom := false
	for _, ph := range w.Phases {
		afterFrom = afterFrom || ph.Name == opts.From
		step, d := p.step(ph, afterFrom, history)
		diags = append(diags, d...)
		p.Steps = append(p.Steps, step)
	}
	p.number()
	p.annotateInfra()
	return p, diags
}

// annotateInfra predicts where apply syncs the outputs cache: before the
// first phase that reads infra.* when the cache is stale, and again after
// every terraform phase.
func (p *Plan) annotateInfra() {
	var facts *statestore.InfraFacts
	checksum := ""
	if p.State != nil {
		facts = p.State.InfrastructureFacts
		checksum = localChecksum(p.State.Terraform)
	}
	maxAge := workflow.DefaultMaxAge
	if p.Workflow.Terraform != nil {
		maxAge = p.Workflow.Terraform.MaxAge
	}
	fresh := infra.Check(facts, checksum, maxAge, statestore.Now())
	pending := ""
	if !fresh.Fresh {
		pending = fresh.Reason
	}
	for _, s := range p.Active() {
		if s.Phase.NeedsInfra && pending != "" {
			s.InfraSync, pending = pending, ""
		}
		if s.Phase.Terraform != "" && s.Action != ActionReuse {
			pending = "the terraform phase " + s.Phase.Name + " changes the state"
		}
	}
}

// localChecksum reads a local Terraform state's checksum without starting
// terraform; for remote backends it is not known here.
func localChecksum(t *statestore.TerraformRef) string {
	if t == nil || t.Backend.Type != "local" || t.StatePath == "" {
		return ""
	}
	sum, err := (&infra.Terraform{}).Checksum(context.Background(), infra.Backend{Type: "local", StatePath: t.StatePath})
	if err != nil {
		return ""
	}
	return sum
}

func resumable(r *statestore.Run) bool {
	return r.Kind != statestore.KindDestroy &&
		(r.Outcome == statestore.OutcomeFailed || r.Outcome == statestore.OutcomeInterrupted)
}

func (p *Plan) step(ph *workflow.Phase, afterFrom bool, history []*statestore.Run) (*Step, hcl.Diagnostics) {
	step := &Step{Phase: ph, Description: p.Scope.Description(ph)}
	app, diags := p.Scope.Applicable(ph)
	if diags.HasErrors() {
		return step, diags
	}
	if !app.Applicable {
		step.Decision = Decision{Action: ActionNotApplicable, Reason: app.Reason}
		p.NotApplicable[ph.Name] = app.Reason
		return step, nil
	}
	checksum := ""
	var accepted []string
	var parts map[string]string
	switch {
	case !ph.NeedsInfra:
		res, d := p.Scope.Resolve(ph)
		diags = append(diags, d...)
		if d.HasErrors() {
			return step, diags
		}
		step.Resolved = res
		checksum, accepted = DefinitionSums(res, p.Options.Digest)
		parts = p.Options.Digest.SumAll(res.Parts())
	case p.Scope.InfraKnown():
		// A prediction from the cache as it is: apply syncs and evaluates
		// again at the phase's turn, and a terraform phase before it may
		// still add the outputs it reads, so errors here are not final.
		if res, d := p.Scope.Resolve(ph); !d.HasErrors() {
			step.Resolved = res
			checksum, accepted = DefinitionSums(res, p.Options.Digest)
			parts = p.Options.Digest.SumAll(res.Parts())
		}
	}
	step.Decision = Decide(PhaseFacts{Name: ph.Name, Checksum: checksum, Accepted: accepted, AfterFrom: afterFrom, AlwaysRun: ph.AlwaysRun, Parts: parts},
		p.Options, history)
	return step, diags
}

func (p *Plan) number() {
	active := p.Active()
	for i, s := range active {
		s.Number, s.Total = i+1, len(active)
	}
}

func (p *Plan) checkOptions() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for flag, name := range map[string]string{"--from": p.Options.From, "--only": p.Options.Only} {
		if name == "" || p.Workflow.Phase(name) != nil {
			continue
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unknown phase",
			Detail:   fmt.Sprintf("%s %s: %s has no such phase. Phases: %v.", flag, name, p.Workflow.Filename, p.Workflow.PhaseNames()),
		})
	}
	if diags.HasErrors() {
		return diags
	}
	for flag, name := range map[string]string{"--from": p.Options.From, "--only": p.Options.Only} {
		if name == "" {
			continue
		}
		app, d := p.Scope.Applicable(p.Workflow.Phase(name))
		if !d.HasErrors() && !app.Applicable {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Phase does not apply",
				Detail:   fmt.Sprintf("%s %s: the phase is not part of this run because %s.", flag, name, app.Reason),
				Subject:  p.Workflow.Phase(name).DeclRange.Ptr(),
			})
		}
	}
	return diags
}
