package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/k0flow/k0flow/statestore"
)

func init() {
	register(&command{
		name:    "history",
		summary: "List every run of the deployment, newest first",
		usage:   "history [--limit N] [--outcome success|failed|interrupted|running] [--output json]",
		example: "k0flow history --outcome failed --limit 5",
		run:     cmdHistory,
	})
}

// historyRunJSON is one row of `history --output json`.
type historyRunJSON struct {
	RunID           string     `json:"run_id"`
	Kind            string     `json:"kind"`
	StartedAt       time.Time  `json:"started_at"`
	EndedAt         *time.Time `json:"ended_at"`
	DurationSeconds *float64   `json:"duration_seconds"`
	Outcome         string     `json:"outcome"`
	ResumedFrom     string     `json:"resumed_from,omitempty"`
	PhasesDone      int        `json:"phases_done"`
	PhasesTotal     int        `json:"phases_total"`
	FailedPhase     string     `json:"failed_phase,omitempty"`
	Error           string     `json:"error,omitempty"`
}

type historyArgs struct {
	limit   int
	outcome string
	color   colorArgs
}

func (a *historyArgs) add(fs interface {
	IntVar(*int, string, int, string)
	StringVar(*string, string, string, string)
}) {
	fs.IntVar(&a.limit, "limit", 0, "show at most N runs")
	fs.StringVar(&a.outcome, "outcome", "", "show only runs with this outcome")
}

func cmdHistory(c *cli, args []string) error {
	fs := c.flags(find("history"))
	var out output
	var a historyArgs
	out.add(fs)
	a.add(fs)
	a.color.add(fs)
	stateDir := fs.String("state-dir", "", "state directory")
	if err := c.parseOutput(fs, args, &out); err != nil {
		return err
	}
	if err := noArgs(fs, "history", "; to read another deployment's history, pass --state-dir DIR"); err != nil {
		return err
	}
	_, st, err := c.readState(*stateDir)
	if err != nil {
		return err
	}
	rows := historyRows(st, a)
	if out.json() {
		return c.printJSON(rows)
	}
	color, err := c.useColor(a.color)
	if err != nil {
		return err
	}
	printHistory(c.stdout, rows, painter(color))
	return nil
}

func historyRows(st *statestore.State, a historyArgs) []historyRunJSON {
	rows := []historyRunJSON{}
	for i := len(st.DeploymentRuns) - 1; i >= 0; i-- {
		r := st.DeploymentRuns[i]
		if a.outcome != "" && r.Outcome != a.outcome {
			continue
		}
		rows = append(rows, historyRow(r))
		if a.limit > 0 && len(rows) == a.limit {
			break
		}
	}
	return rows
}

func historyRow(r *statestore.Run) historyRunJSON {
	row := historyRunJSON{RunID: r.RunID, Kind: r.Kind, StartedAt: r.StartedAt, EndedAt: r.EndedAt,
		DurationSeconds: r.DurationSeconds, Outcome: r.Outcome, ResumedFrom: r.ResumedFrom, PhasesTotal: len(r.Phases)}
	for _, p := range r.Phases {
		if p.Status == statestore.StatusCompleted || p.Status == statestore.StatusReused {
			row.PhasesDone++
		}
	}
	if r.Error != nil {
		row.FailedPhase = r.Error.Phase
		row.Error, _, _ = strings.Cut(r.Error.Message, "\n")
	}
	return row
}

func printHistory(w io.Writer, rows []historyRunJSON, p painter) {
	if len(rows) == 0 {
		fmt.Fprintln(w, "No runs.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tKIND\tSTARTED\tDURATION\tOUTCOME\tPHASES\tFAILURE")
	for _, r := range rows {
		outcome, failure := r.Outcome, ""
		if r.Error != "" {
			failure = r.Error
			if r.FailedPhase != "" {
				failure = r.FailedPhase + ": " + r.Error
			}
		}
		switch r.Outcome {
		case statestore.OutcomeFailed:
			outcome, failure = p.red(outcome), p.red(failure)
		case statestore.OutcomeInterrupted:
			outcome, failure = p.yellow(outcome), p.yellow(failure)
		case statestore.OutcomeSuccess:
			outcome = p.green(outcome)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d/%d\t%s\n", r.RunID, r.Kind, r.StartedAt.Local().Format("2006-01-02 15:04:05"),
			seconds(r.DurationSeconds), outcome, r.PhasesDone, r.PhasesTotal, failure)
	}
	tw.Flush()
}
