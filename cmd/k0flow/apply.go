package main

import (
	"context"
	"os"
	"time"

	"github.com/k0flow/k0flow/phases"
	"github.com/k0flow/k0flow/statestore"
	"github.com/spf13/pflag"
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

type selectArgs struct {
	opts phases.Options
}

func (s *selectArgs) add(fs *pflag.FlagSet) {
	fs.StringVar(&s.opts.From, "from", "", "re-run this phase and every later one")
	fs.StringVar(&s.opts.Only, "only", "", "run only this phase")
	fs.BoolVar(&s.opts.Fresh, "fresh", false, "ignore earlier completions and run every phase")
}

func (s *selectArgs) check() error {
	n := 0
	for _, set := range []bool{s.opts.From != "", s.opts.Only != "", s.opts.Fresh} {
		if set {
			n++
		}
	}
	if n > 1 {
		return usageErrorf("--from, --only and --fresh exclude each other")
	}
	return nil
}

func cmdApply(c *cli, args []string) error {
	cmd := find("apply")
	fs := c.flags(cmd)
	var wa workflowArgs
	var sel selectArgs
	wa.add(c, fs)
	sel.add(fs)
	grace := fs.Duration("grace", 10*time.Second, "how long a signalled phase may take to exit before it is killed")
	onExit := fs.String("on-exit", "", "run this bash command when the run ends, with K0FLOW_RUN_ID and K0FLOW_OUTCOME set")
	var out output
	out.add(fs)
	if err := c.parseOutput(fs, args, &out); err != nil {
		return err
	}
	if err := sel.check(); err != nil {
		return err
	}
	l, err := c.loadWorkflow(fs, &wa, true)
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
	plan, err := c.prepare(l, store, sel.opts)
	if err != nil {
		return err
	}
	run, err := c.runPlan(store, plan, infra, *grace, out)
	c.onExit(*onExit, run, out)
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
