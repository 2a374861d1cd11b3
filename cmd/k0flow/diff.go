package main

import (
	"fmt"
	"io"

	"github.com/k0flow/k0flow/statestore"
)

func init() {
	register(&command{
		name:    "diff",
		summary: "Show what changed between two runs: variables, flags, applicability, workflow, terraform, phases",
		usage:   "diff RUN_A RUN_B [--output json]\n\nRUN is a run id, a unique prefix, or last, current, last-success, last-failed.",
		example: "k0flow diff last-success last-failed",
		run:     cmdDiff,
	})
}

type diffJSON struct {
	From    string              `json:"from"`
	To      string              `json:"to"`
	Changes []statestore.Change `json:"changes"`
}

func cmdDiff(c *cli, args []string) error {
	args0, err := c.parseDiff(args)
	if err != nil {
		return err
	}
	_, st, err := c.readStateFor(args0.stateDir, func(st *statestore.State) bool {
		return st.RecentDecides(args0.from) && st.RecentDecides(args0.to)
	})
	if err != nil {
		return err
	}
	a, err := resolveRun(st, args0.from)
	if err != nil {
		return err
	}
	b, err := resolveRun(st, args0.to)
	if err != nil {
		return err
	}
	return view[diffJSON]{c, args0.out, func(w io.Writer, d diffJSON) error {
		printDiff(w, a, b, d.Changes)
		return nil
	}}.show(diffJSON{From: a.RunID, To: b.RunID, Changes: statestore.DiffRuns(a, b)})
}

func printDiff(w io.Writer, a, b *statestore.Run, changes []statestore.Change) {
	fmt.Fprintf(w, "From run %s (%s, %s)\n  to run %s (%s, %s)\n\n", a.RunID, a.Kind, a.Outcome, b.RunID, b.Kind, b.Outcome)
	if len(changes) == 0 {
		fmt.Fprintln(w, "No differences in configuration, applicability, workflow, terraform or phase outcomes.")
		return
	}
	section := ""
	for _, ch := range changes {
		if ch.Section != section {
			section = ch.Section
			fmt.Fprintf(w, "%s:\n", section)
		}
		_, fromSecret := ch.From.(statestore.SensitiveValue)
		if _, toSecret := ch.To.(statestore.SensitiveValue); fromSecret && toSecret {
			fmt.Fprintf(w, "  %s: changed (sensitive: values not shown)\n", ch.Key)
			continue
		}
		fmt.Fprintf(w, "  %s: %s -> %s\n", ch.Key, shown(ch.From), shown(ch.To))
	}
}

func shown(v any) string {
	if v == nil {
		return "(absent)"
	}
	if s, ok := v.(string); ok && s == "" {
		return `""`
	}
	return inline(v)
}
