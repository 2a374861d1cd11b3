package main

import (
	"fmt"
	"time"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
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
	fs := c.flags(find("prune"))
	var out output
	out.add(fs)
	keep := fs.Int("keep", -1, "keep the N most recent runs")
	olderThan := fs.String("older-than", "", "move runs started longer ago than this (30d, 12h)")
	dryRun := fs.Bool("dry-run", false, "list what would move and change nothing")
	stateDir := new(string)
	c.stateFlags(fs, stateDir, "state directory")
	if err := c.parseOutput(fs, args, &out); err != nil {
		return err
	}
	if err := noArgs(fs, "prune", "; say what to keep with --keep N or --older-than D"); err != nil {
		return err
	}
	if *keep < 0 && *olderThan == "" {
		return usageErrorf("say what to prune: --keep N and/or --older-than D")
	}
	var cutoff time.Time
	if *olderThan != "" {
		d, err := workflow.ParseDuration(*olderThan)
		if err != nil {
			return usageErrorf("--older-than: %v", err)
		}
		cutoff = time.Now().Add(-d)
	}
	store, _, err := c.readState(*stateDir)
	if err != nil {
		return err
	}
	res, err := store.Prune(statestore.PickOld(*keep, cutoff), *dryRun)
	if err != nil {
		return err
	}
	view := pruneJSON{DryRun: *dryRun, Runs: []string{}, Archive: res.Archive}
	for _, r := range res.Runs {
		view.Runs = append(view.Runs, r.RunID)
	}
	if out.json() {
		return c.printJSON(view)
	}
	switch {
	case len(view.Runs) == 0:
		fmt.Fprintln(c.stdout, "Nothing to prune.")
	case *dryRun:
		fmt.Fprintf(c.stdout, "Would move %d runs and their logs:\n", len(view.Runs))
		for _, r := range res.Runs {
			fmt.Fprintf(c.stdout, "  %s  %s  %s\n", r.RunID, r.Kind, r.Outcome)
		}
	default:
		fmt.Fprintf(c.stdout, "Moved %d runs and their logs to %s.\n", len(view.Runs), displayPath(res.Archive))
	}
	return nil
}
