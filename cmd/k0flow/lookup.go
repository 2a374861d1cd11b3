package main

import (
	"context"
	"os"
	"time"

	"github.com/k0flow/k0flow/infra"
	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
)

// lookup answers `state get`: runtime values first, then the cached
// Terraform outputs, then live `terraform output` when the workflow has a
// terraform block. Infrastructure facts are read, never copied into
// runtime values.
func (c *cli) lookup(st *statestore.State, key string) (any, bool) {
	if v, ok := lookupState(st, key); ok {
		return v, true
	}
	return c.liveOutput(key)
}

// lookupState is lookup in the state alone: runtime values, v1 keys as
// the bash scripts still spell them (wg_vpn_connected,
// config.wireguard_port, phases.install_k0s.status), cached outputs.
func lookupState(st *statestore.State, key string) (any, bool) {
	if v, ok := st.LookupV1(key); ok {
		return v, true
	}
	return infra.Get(st.InfrastructureFacts, key)
}

func (c *cli) liveOutput(key string) (any, bool) {
	wf := c.workflowIfAny()
	if wf == nil || wf.Terraform == nil {
		return nil, false
	}
	tf, err := infra.New(wf.Terraform.Dir, wf.Terraform.Binary)
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

// workflowIfAny loads $K0FLOW_WORKFLOW (set for phases) or ./deploy.hcl
// when there is one, once per command: state commands work without a
// workflow, and several of their defaults come from it.
func (c *cli) workflowIfAny() *workflow.Workflow {
	if c.ambientLoaded {
		return c.ambient
	}
	c.ambientLoaded = true
	file := c.getenv("K0FLOW_WORKFLOW")
	if file == "" {
		file = "deploy.hcl"
	}
	if _, err := os.Stat(file); err != nil {
		return nil
	}
	if wf, diags := workflow.NewLoader().Load(file); !diags.HasErrors() {
		c.ambient = wf
	}
	return c.ambient
}
