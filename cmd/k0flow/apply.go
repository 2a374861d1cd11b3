package main

import (
	"context"
	"os"

	"github.com/k0flow/k0flow/phases"
	"github.com/k0flow/k0flow/statestore"
)

func init() {
	register(&command{
		name:    "apply",
		summary: "Run the workflow's phases in order, resuming a failed or interrupted run",
		usage:   "apply [FILE] [-var k=v]... [-var-file F] [--from PHASE | --only PHASE | --fresh] [--on-exit CMD]",
		example: "k0flow apply deploy.hcl -var kof_enabled=true",
		run:     cmdApply,
	})
}

func cmdApply(c *cli, args []string) error {
	a, err := c.parseApply(args)
	if err != nil {
		return err
	}
	l, err := c.loadWorkflow(&a.wf, true)
	if err != nil {
		return err
	}
	store := c.open(l.wf.StateDir)
	lk, err := phases.Lock(context.Background(), store, "apply "+l.wf.Filename)
	if err != nil {
		return err
	}
	defer lk.Unlock()
	c.noteRecovered(lk.Recovered)
	infra, err := phases.NewInfra(l.wf, store)
	if err != nil {
		return err
	}
	plan, err := c.prepare(l, store, a.sel.opts)
	if err != nil {
		return err
	}
	run, err := c.runPlan(store, plan, infra, a.run, a.out)
	c.onExit(a.run.onExit, run, a.out)
	return err
}

// prepare is the part of apply that happens under the run lock before the
// run starts: plan and preflight (phases.PlanApply). Any error here leaves
// the state as it was.
func (c *cli) prepare(l *loaded, store *statestore.Store, opts phases.Options) (*phases.Plan, error) {
	plan, diags, err := phases.PlanApply(store, l.wf, l.scope, opts)
	if err != nil {
		return nil, err
	}
	if err := c.diagnostics(l.loader, diags); err != nil {
		return nil, err
	}
	return plan, nil
}

// binPath is this k0flow, for phases to call back as $K0FLOW_BIN.
func binPath() string {
	if p, err := os.Executable(); err == nil {
		return p
	}
	return "k0flow"
}
