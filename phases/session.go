package phases

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
)

// The sequence every run starts with, in one place: take the run lock,
// record the runs a dead runner left running, load the state, give infra.*
// the cached outputs, plan. apply and destroy do it under the lock; plan
// does the same without it (reading is free).

// Locked is a deployment under its run lock, abandoned runs recorded.
type Locked struct {
	// Recovered are the runs found abandoned and recorded as interrupted.
	Recovered []string
	unlock    statestore.Unlocker
}

// Lock takes the run lock for operation (failing at once, naming the
// holder, when another run holds it) and records abandoned runs.
func Lock(ctx context.Context, store *statestore.Store, operation string) (*Locked, error) {
	unlock, err := store.LockRun(ctx, operation)
	if err != nil {
		return nil, err
	}
	ids, err := store.RecoverLocked()
	if err != nil {
		_ = unlock()
		return nil, err
	}
	return &Locked{Recovered: ids, unlock: unlock}, nil
}

// Unlock releases the run lock.
func (l *Locked) Unlock() error { return l.unlock() }

// SetInfra lets infra.* read the cached Terraform outputs of st, if any.
func SetInfra(scope *workflow.Scope, st *statestore.State) error {
	if st == nil || st.InfrastructureFacts == nil || st.InfrastructureFacts.Outputs == nil {
		return nil
	}
	facts := st.InfrastructureFacts
	v, err := workflow.InfraValue(facts.Outputs, facts.SensitiveOutputs)
	if err != nil {
		return fmt.Errorf("read infrastructure_facts.outputs: %w", err)
	}
	scope.SetInfra(v)
	return nil
}

// PlanApply makes apply's plan. The state file's recent runs decide every
// phase that has a record in them; the runs moved out of it are read only
// when a phase that takes part has none there. No state is a deployment's
// first run. Errors in the workflow come back as diagnostics.
func PlanApply(store *statestore.Store, w *workflow.Workflow, scope *workflow.Scope, opts Options) (*Plan, hcl.Diagnostics, error) {
	st, err := store.LoadRecent()
	if err != nil && !statestore.IsNotExist(err) {
		return nil, nil, err
	}
	if err := SetInfra(scope, st); err != nil {
		return nil, nil, err
	}
	if opts.Digest, err = store.Digester(); err != nil {
		return nil, nil, err
	}
	plan, diags := NewPlan(w, scope, st, opts)
	if st != nil && !diags.HasErrors() && plan.NeedsOlderRuns() {
		if st, err = store.Load(); err != nil {
			return nil, nil, err
		}
		plan, diags = NewPlan(w, scope, st, opts)
	}
	if !diags.HasErrors() {
		diags = append(diags, plan.Preflight()...)
	}
	return plan, diags, nil
}

// ErrNothingToDestroy is PlanDestroy's answer for a deployment with no state.
var ErrNothingToDestroy = errors.New("nothing to destroy")

// PlanDestroy makes destroy's plan from every run of the deployment (what
// was deployed, and how to tear it down, may be in any of them); forget
// names removed phases torn down by hand.
func PlanDestroy(store *statestore.Store, w *workflow.Workflow, scope *workflow.Scope, forget []string) (*Plan, hcl.Diagnostics, error) {
	st, err := store.Load()
	if statestore.IsNotExist(err) {
		return nil, nil, ErrNothingToDestroy
	}
	if err != nil {
		return nil, nil, err
	}
	if err := SetInfra(scope, st); err != nil {
		return nil, nil, err
	}
	if err := CheckForget(w, st, forget); err != nil {
		return nil, nil, err
	}
	plan, diags := NewDestroyPlan(w, scope, st, forget)
	return plan, diags, nil
}

// ForgetError is a --forget that names no deployed phase removed from the
// workflow: invalid input (exit 2), nothing done.
type ForgetError struct{ msg string }

func (e *ForgetError) Error() string { return e.msg }

// ExitCode says the input was invalid.
func (e *ForgetError) ExitCode() int { return 2 }

// CheckForget refuses --forget for a phase that is not a deployed phase
// removed from the workflow.
func CheckForget(w *workflow.Workflow, st *statestore.State, forget []string) error {
	removed := map[string]bool{}
	var names []string
	for _, r := range RemovedPhases(w, st.DeploymentRuns) {
		removed[r.Name] = true
		names = append(names, r.Name)
	}
	for _, f := range forget {
		if !removed[f] {
			if len(names) == 0 {
				return &ForgetError{fmt.Sprintf("--forget %s: no deployed phase has been removed from %s", f, w.Filename)}
			}
			return &ForgetError{fmt.Sprintf("--forget %s: not a deployed phase removed from %s (those are: %s)", f, w.Filename, strings.Join(names, ", "))}
		}
	}
	return nil
}
