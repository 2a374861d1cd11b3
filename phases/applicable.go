package phases

import (
	"fmt"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
)

// IsApplicable answers phase_is_applicable for a script: does the phase
// apply to this deployment? Inside a run, the run decided (its
// config_snapshot.applicable). Outside one, with a workflow, its `when`
// is evaluated with the variables the deployment's newest apply recorded
// (over the file's defaults and K0FLOW_VAR_*), so a deployment applied
// with -var kof_enabled=true still answers yes; without a workflow the
// bash project's rule holds: an optional phase applies when its
// deployment flag is true. A phase a script marked skipped in the run a
// bash driver started does not apply.
func IsApplicable(name, runID string, w *workflow.Workflow, st *statestore.State, env []string) (bool, string, error) {
	if st != nil {
		run := st.Run(runID)
		if run == nil && runID == "" {
			if cur := st.CurrentRun(); cur != nil && cur.Outcome == statestore.OutcomeRunning && cur.Owner != nil && cur.Owner.Driver == "bash" {
				run = cur
			}
		}
		if run != nil {
			if run.ConfigSnapshot != nil {
				if why, out := run.ConfigSnapshot.Applicable[name]; out {
					return false, why, nil
				}
			}
			if rec := run.Phases.Get(name); rec != nil && rec.Status == statestore.StatusSkipped {
				return false, "skipped: " + rec.Reason, nil
			}
			if runID != "" || run.Owner.Driver == "bash" {
				return true, "", nil
			}
		}
	}
	if w != nil {
		return applicableInWorkflow(name, w, st, env)
	}
	flag := statestore.V1OptionalFlag[name]
	if flag == "" {
		return true, "", nil
	}
	if st != nil && st.DeploymentFlags[flag] == true {
		return true, "", nil
	}
	return false, "deployment_flags." + flag + " is not true", nil
}

func applicableInWorkflow(name string, w *workflow.Workflow, st *statestore.State, env []string) (bool, string, error) {
	p := w.Phase(name)
	if p == nil {
		return false, fmt.Sprintf("%s has no phase %q", w.Filename, name), nil
	}
	in := workflow.VarInputs{Env: env, Args: recordedVars(w, st)}
	l := workflow.NewLoader()
	vals, diags := l.ResolveVariables(w, in, false)
	if diags.HasErrors() {
		return false, "", diags
	}
	scope, diags := l.NewScope(w, vals)
	if diags.HasErrors() {
		return false, "", diags
	}
	app, diags := scope.Applicable(p)
	if diags.HasErrors() {
		return false, "", diags
	}
	return app.Applicable, app.Reason, nil
}

// recordedVars are the scalar, non-sensitive variables of the newest apply
// run, as -var arguments.
func recordedVars(w *workflow.Workflow, st *statestore.State) []string {
	if st == nil {
		return nil
	}
	for i := len(st.DeploymentRuns) - 1; i >= 0; i-- {
		r := st.DeploymentRuns[i]
		if r.Kind != statestore.KindApply || r.ConfigSnapshot == nil || r.ConfigSnapshot.Variables == nil {
			continue
		}
		var args []string
		for k, v := range r.ConfigSnapshot.Variables {
			decl := w.Variable(k)
			if decl == nil || decl.Sensitive {
				continue
			}
			switch v.(type) {
			case bool, int, float64, string:
				args = append(args, fmt.Sprintf("%s=%v", k, v))
			}
		}
		return args
	}
	return nil
}
