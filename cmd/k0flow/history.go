package main

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

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

func cmdHistory(c *cli, args []string) error {
	a, err := c.parseHistory(args)
	if err != nil {
		return err
	}
	// A limit the recent runs fill needs no older run: history --limit 5
	// reads one file whatever the history.
	_, st, err := c.readStateFor(a.stateDir, func(st *statestore.State) bool {
		return a.filter.limit > 0 && len(historyRows(st, a.filter)) == a.filter.limit
	})
	if err != nil {
		return err
	}
	color, err := c.useColor(a.filter.color)
	if err != nil {
		return err
	}
	return view[[]historyRunJSON]{c, a.out, func(w io.Writer, rows []historyRunJSON) error {
		printHistory(w, rows, painter(color))
		return nil
	}}.show(historyRows(st, a.filter))
}

func historyRows(st *statestore.State, a historyFilter) []historyRunJSON {
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
	t := table{{plain("RUN"), plain("KIND"), plain("STARTED"), plain("DURATION"), plain("OUTCOME"), plain("PHASES"), plain("FAILURE")}}
	for _, r := range rows {
		failure := r.Error
		if r.Error != "" && r.FailedPhase != "" {
			failure = r.FailedPhase + ": " + r.Error
		}
		paint := map[string]func(string) string{statestore.OutcomeFailed: p.red, statestore.OutcomeInterrupted: p.yellow,
			statestore.OutcomeSuccess: p.green}[r.Outcome]
		failPaint := paint
		if r.Outcome == statestore.OutcomeSuccess {
			failPaint = nil
		}
		t = append(t, []cell{plain(r.RunID), plain(r.Kind), plain(r.StartedAt.Local().Format("2006-01-02 15:04:05")),
			plain(seconds(r.DurationSeconds)), {r.Outcome, paint}, plain(fmt.Sprintf("%d/%d", r.PhasesDone, r.PhasesTotal)),
			{failure, failPaint}})
	}
	t.print(w)
}

// cell is a table cell: its text, and how to colour it.
type cell struct {
	text  string
	paint func(string) string
}

func plain(s string) cell { return cell{text: s} }

// table lays out rows in columns two spaces apart, measuring the text
// before it is coloured: tabwriter counts colour codes as width.
type table [][]cell

func (t table) print(w io.Writer) {
	widths := map[int]int{}
	for _, row := range t {
		for i, c := range row {
			if n := utf8.RuneCountInString(c.text); n > widths[i] {
				widths[i] = n
			}
		}
	}
	for _, row := range t {
		var line strings.Builder
		for i, c := range row {
			text := c.text
			if c.paint != nil && text != "" {
				text = c.paint(text)
			}
			line.WriteString(text)
			if i < len(row)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c.text)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(line.String(), " "))
	}
}
