package phases

import (
	"context"
	"time"

	"github.com/k0flow/k0flow/infra"
	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
)

// Lookup answers `state get` and the library's get_state: runtime values
// first, then the cached Terraform outputs, then live `terraform output`
// when the workflow (found by workflow, only then: nil when there is none)
// has a terraform block. Infrastructure facts are read, never copied into
// runtime values.
func Lookup(st *statestore.State, key string, workflow func() *workflow.Workflow) (any, bool) {
	if v, ok := LookupState(st, key); ok {
		return v, true
	}
	return liveOutput(workflow(), key)
}

// LoadFor loads what a lookup of key needs: the state file alone, unless
// the run records deciding key are older than its runs
// (statestore.State.Answers). Terraform is never asked here: Lookup does
// that once, after.
func LoadFor(store *statestore.Store, key string) (*statestore.State, error) {
	return store.LoadFor(func(st *statestore.State) bool { return st.Answers(key) })
}

// LoadForPhase is LoadFor of a phase's status: what phase_status,
// state phase status and needs-run read.
func LoadForPhase(store *statestore.Store, name string) (*statestore.State, error) {
	return LoadFor(store, "phases."+name+".status")
}

// LookupState is Lookup in the state alone: runtime values, v1 keys as
// the bash scripts still spell them (wg_vpn_connected,
// config.wireguard_port, phases.install_k0s.status), cached outputs.
func LookupState(st *statestore.State, key string) (any, bool) {
	if v, ok := st.LookupV1(key); ok {
		return v, true
	}
	return infra.Get(st.InfrastructureFacts, key)
}

func liveOutput(w *workflow.Workflow, key string) (any, bool) {
	if w == nil || w.Terraform == nil {
		return nil, false
	}
	tf, err := infra.New(w.Terraform.Dir, w.Terraform.Binary)
	if err != nil {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	outputs, err := tf.Outputs(ctx)
	if err != nil {
		return nil, false
	}
	values := make(map[string]any, len(outputs))
	for name, o := range outputs {
		values[name] = o.Value
	}
	return statestore.GetPath(values, key)
}
