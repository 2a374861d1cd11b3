package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
)

func init() {
	register(&command{
		name:    "status",
		summary: "Show the deployment, its current run and each phase's status",
		usage:   "status [--state-dir DIR] [--show-history [--limit N]] [--output json]",
		example: "k0flow status --output json",
		run:     cmdStatus,
	})
}

type statusPhaseJSON struct {
	Name            string   `json:"name"`
	Status          string   `json:"status"`
	DurationSeconds *float64 `json:"duration_seconds"`
	ReusedFrom      string   `json:"reused_from,omitempty"`
	Log             string   `json:"log,omitempty"`
	Message         string   `json:"message,omitempty"`
}

type statusRunJSON struct {
	RunID           string               `json:"run_id"`
	Kind            string               `json:"kind"`
	Outcome         string               `json:"outcome"`
	StartedAt       time.Time            `json:"started_at"`
	EndedAt         *time.Time           `json:"ended_at"`
	DurationSeconds *float64             `json:"duration_seconds"`
	ResumedFrom     string               `json:"resumed_from,omitempty"`
	Error           *statestore.RunError `json:"error"`
}

type statusJSON struct {
	DeploymentID string            `json:"deployment_id"`
	CreatedAt    time.Time         `json:"created_at"`
	LastUpdated  time.Time         `json:"last_updated"`
	Flags        map[string]any    `json:"flags"`
	Runs         int               `json:"runs"`
	CurrentRun   *statusRunJSON    `json:"current_run"`
	Phases       []statusPhaseJSON `json:"phases"`
	History      []historyRunJSON  `json:"history,omitempty"`
}

func cmdStatus(c *cli, args []string) error {
	a, err := c.parseStatus(args)
	if err != nil {
		return err
	}
	// The recent runs answer status unless a phase's last record is older
	// than them, or the history was asked for.
	store, st, err := c.readStateFor(a.stateDir, func(st *statestore.State) bool {
		_, complete := toStatus(st)
		return complete && !a.showHistory
	})
	if err != nil {
		return err
	}
	runs, err := store.RunCount(st)
	if err != nil {
		return err
	}
	s, _ := toStatus(st)
	s.Runs = runs
	if a.showHistory {
		s.History = historyRows(st, a.history)
	}
	color, err := c.useColor(a.history.color)
	if err != nil {
		return err
	}
	return view[statusJSON]{c, a.out, func(w io.Writer, s statusJSON) error {
		printStatus(w, s)
		if a.showHistory {
			fmt.Fprintln(w, "\nHistory:")
			printHistory(w, s.History, painter(color))
		}
		return nil
	}}.show(s)
}

// toStatus says what status shows, and whether st's runs were enough to
// say it: false when a phase the current run left out has no record in
// them, or they hold no run that took every phase.
func toStatus(st *statestore.State) (statusJSON, bool) {
	s := statusJSON{DeploymentID: st.DeploymentID, CreatedAt: st.CreatedAt, LastUpdated: st.LastUpdated,
		Flags: st.DeploymentFlags, Runs: len(st.DeploymentRuns), Phases: []statusPhaseJSON{}}
	run := st.CurrentRun()
	if run == nil {
		return s, true
	}
	complete := run.ConfigSnapshot == nil || run.ConfigSnapshot.Selection == "" || fullRun(st, run) != nil
	s.CurrentRun = &statusRunJSON{RunID: run.RunID, Kind: run.Kind, Outcome: run.Outcome, StartedAt: run.StartedAt,
		EndedAt: run.EndedAt, DurationSeconds: run.DurationSeconds, ResumedFrom: run.ResumedFrom, Error: run.Error}
	for _, name := range deploymentPhases(st, run) {
		p := run.Phases.Get(name)
		if p == nil {
			// A run of --only or --from left this phase out: say what the
			// deployment last did with it.
			if from, rec := st.LastRecord(name); rec != nil {
				s.Phases = append(s.Phases, statusPhaseJSON{Name: name, Status: rec.Status, DurationSeconds: rec.DurationSeconds,
					ReusedFrom: rec.ReusedFrom, Log: rec.Log, Message: "not in this run; " + rec.Status + " in run " + from.RunID})
			} else {
				complete = false
			}
			continue
		}
		s.Phases = append(s.Phases, statusPhaseJSON{Name: p.Name, Status: p.Status, DurationSeconds: p.DurationSeconds,
			ReusedFrom: p.ReusedFrom, Log: p.Log, Message: p.Message})
	}
	return s, complete
}

// deploymentPhases orders the phases status shows: those of the newest
// run of the same kind that took every phase, with the current run's own
// where they are missing, so that a run of --only shows the others too.
func deploymentPhases(st *statestore.State, run *statestore.Run) []string {
	var names []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	if run.ConfigSnapshot != nil && run.ConfigSnapshot.Selection != "" {
		if r := fullRun(st, run); r != nil {
			for _, p := range r.Phases {
				add(p.Name)
			}
		}
	}
	for _, p := range run.Phases {
		add(p.Name)
	}
	return names
}

func printStatus(w io.Writer, s statusJSON) {
	fmt.Fprintf(w, "Deployment:  %s (created %s)\n", s.DeploymentID, s.CreatedAt.Local().Format("2006-01-02 15:04:05 MST"))
	fmt.Fprintf(w, "Flags:       %s\n", flagLine(s.Flags))
	r := s.CurrentRun
	if r == nil {
		fmt.Fprintln(w, "Current run: none")
		return
	}
	line := fmt.Sprintf("%s (%s) %s, started %s, took %s", r.RunID, r.Kind, r.Outcome,
		r.StartedAt.Local().Format("2006-01-02 15:04:05 MST"), seconds(r.DurationSeconds))
	if r.ResumedFrom != "" {
		line += ", resumed from " + r.ResumedFrom
	}
	fmt.Fprintf(w, "Current run: %s\n", line)
	fmt.Fprintf(w, "Runs:        %d in history\n\n", s.Runs)
	var list statestore.PhaseList
	for _, p := range s.Phases {
		list = append(list, &statestore.PhaseRecord{Name: p.Name, Status: p.Status, DurationSeconds: p.DurationSeconds,
			ReusedFrom: p.ReusedFrom, Message: p.Message})
	}
	printPhaseTable(w, list)
	if r.Error != nil {
		fmt.Fprintf(w, "\nError: %s\n", errorLine(r.Error))
		if r.Outcome == statestore.OutcomeFailed || r.Outcome == statestore.OutcomeInterrupted {
			verb := "apply"
			if r.Kind == statestore.KindDestroy {
				verb = "destroy"
			}
			fmt.Fprintf(w, "'k0flow show %s' shows the log; 'k0flow %s' resumes the run.\n", r.RunID, verb)
		}
	}
}

func errorLine(e *statestore.RunError) string {
	if e.Phase == "" {
		return e.Message
	}
	return "phase " + e.Phase + ": " + e.Message
}

func flagLine(flags map[string]any) string {
	if len(flags) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range workflow.Keys(flags) {
		parts = append(parts, fmt.Sprintf("%s=%v", k, flags[k]))
	}
	return strings.Join(parts, " ")
}

// fullRun is the newest run of run's kind that took every phase.
func fullRun(st *statestore.State, run *statestore.Run) *statestore.Run {
	for i := len(st.DeploymentRuns) - 1; i >= 0; i-- {
		r := st.DeploymentRuns[i]
		if r.Kind == run.Kind && (r.ConfigSnapshot == nil || r.ConfigSnapshot.Selection == "") {
			return r
		}
	}
	return nil
}
