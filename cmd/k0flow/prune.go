package main

import (
	"fmt"
	"io"

	"github.com/k0flow/k0flow/statestore"
)

func init() {
	register(&command{
		name:    "prune",
		summary: "Move old runs and their logs out of the state into old_deployments/",
		usage: "prune (--keep N | --older-than D) [--dry-run] [--output json]\n\n" +
			"The current run and a running one are never moved. With both flags, a run must meet both.",
		example: "k0flow prune --keep 20 --dry-run",
		run:     cmdPrune,
	})
}

type pruneJSON struct {
	DryRun  bool     `json:"dry_run"`
	Runs    []string `json:"runs"`
	Archive string   `json:"archive,omitempty"`
}

func cmdPrune(c *cli, args []string) error {
	a, err := c.parsePrune(args)
	if err != nil {
		return err
	}
	// The state file says whether there is a deployment (and which runs a
	// dead runner left); Prune reads every run itself.
	store, _, err := c.readRecentState(a.stateDir)
	if err != nil {
		return err
	}
	res, err := store.Prune(statestore.PickOld(a.keep, a.cutoff), a.dryRun)
	if err != nil {
		return err
	}
	pruned := pruneJSON{DryRun: a.dryRun, Runs: []string{}, Archive: res.Archive}
	for _, r := range res.Runs {
		pruned.Runs = append(pruned.Runs, r.RunID)
	}
	return view[pruneJSON]{c, a.out, func(w io.Writer, v pruneJSON) error {
		switch {
		case len(v.Runs) == 0:
			fmt.Fprintln(w, "Nothing to prune.")
		case v.DryRun:
			fmt.Fprintf(w, "Would move %s and %s logs:\n", count(len(v.Runs), "run"), itsOrTheir(len(v.Runs)))
			for _, r := range res.Runs {
				fmt.Fprintf(w, "  %s  %s  %s\n", r.RunID, r.Kind, r.Outcome)
			}
		default:
			fmt.Fprintf(w, "Moved %s and %s logs to %s.\n", count(len(v.Runs), "run"), itsOrTheir(len(v.Runs)), displayPath(v.Archive))
		}
		return nil
	}}.show(pruned)
}
