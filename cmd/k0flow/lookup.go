package main

import (
	"os"

	"github.com/k0flow/k0flow/phases"
	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
)

// lookup is phases.Lookup with the workflow this command runs under,
// loaded only if the state does not answer.
func (c *cli) lookup(st *statestore.State, key string) (any, bool) {
	return phases.Lookup(st, key, c.workflowIfAny)
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
