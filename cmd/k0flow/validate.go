package main

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/k0flow/k0flow/phases"
	"github.com/k0flow/k0flow/statestore"
)

func init() {
	register(&command{
		name:    "validate",
		summary: "Check the workflow file and the state file without running anything",
		usage:   "validate [FILE] [-var k=v]... [-var-file F]",
		example: "k0flow validate deploy.hcl",
		run:     cmdValidate,
	})
}

func cmdValidate(c *cli, args []string) error {
	a, err := c.parseValidate(args)
	if err != nil {
		return err
	}
	// Required variables may be unset here: their uses are checked with
	// unknown values, the way terraform validate does.
	l, err := c.loadWorkflow(&a.wf, false)
	if err != nil {
		return err
	}
	var diags hcl.Diagnostics
	for _, p := range l.wf.Phases {
		_, d := l.scope.Applicable(p)
		diags = append(diags, d...)
		res, d := l.scope.Resolve(p)
		diags = append(diags, d...)
		if !d.HasErrors() && !res.Partial {
			diags = append(diags, phases.MissingPrograms(p, res)...)
		}
	}
	if err := c.diagnostics(l.loader, diags); err != nil {
		return err
	}
	store := c.openReadOnly(l.wf.StateDir) // validate writes nothing
	stateNote := "no state yet"
	if _, err := store.Load(); err == nil {
		stateNote = "state " + displayPath(store.Path()) + " is valid"
	} else if !statestore.IsNotExist(err) {
		return err
	}
	fmt.Fprintf(c.stdout, "%s is valid: %s, %s; %s.\n", l.wf.Filename, count(len(l.wf.Phases), "phase"), count(len(l.wf.Variables), "variable"), stateNote)
	return nil
}
