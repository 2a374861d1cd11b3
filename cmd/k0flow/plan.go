package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/k0flow/k0flow/phases"
	"github.com/k0flow/k0flow/statestore"
)

func init() {
	register(&command{
		name:    "plan",
		summary: "Show what apply would do with each phase, and why",
		usage:   "plan [FILE] [-var k=v]... [-var-file F] [--from P | --only P | --fresh] [--no-checks] [--output json]",
		example: "k0flow plan -var kof_enabled=true",
		run:     cmdPlan,
	})
}

type planPhaseJSON struct {
	Name       string `json:"name"`
	Action     string `json:"action"`
	Reason     string `json:"reason,omitempty"`
	ReusedFrom string `json:"reused_from,omitempty"`
	NeedsInfra bool   `json:"needs_infra"`
	InfraSync  string `json:"infra_sync_before,omitempty"`
	Command    string `json:"command,omitempty"`
	Check      string `json:"check,omitempty"`
}

type planJSON struct {
	Workflow     string          `json:"workflow"`
	DeploymentID string          `json:"deployment_id,omitempty"`
	ResumesRun   string          `json:"resumes_run,omitempty"`
	InProgress   string          `json:"run_in_progress,omitempty"`
	Unfinished   string          `json:"unfinished_destroy,omitempty"`
	Phases       []planPhaseJSON `json:"phases"`
}

func cmdPlan(c *cli, args []string) error {
	a, err := c.parsePlan(args)
	if err != nil {
		return err
	}
	sel := a.sel
	l, err := c.loadWorkflow(&a.wf, true)
	if err != nil {
		return err
	}
	// plan only reads: it takes no lock, so an apply is never refused
	// because plan runs, and it writes nothing.
	store := c.openReadOnly(l.wf.StateDir)
	st, ids, err := store.LoadForReading()
	if err != nil && !statestore.IsNotExist(err) {
		return err
	}
	for _, id := range ids {
		fmt.Fprintf(c.stderr, "Note: run %s was left running by a runner that is gone; it is shown as interrupted (the next apply records it).\n", id)
	}
	if err := phases.SetInfra(l.scope, st); err != nil {
		return err
	}
	sel.opts.Digest = store.ReadDigester()
	plan, diags := phases.NewPlan(l.wf, l.scope, st, sel.opts)
	diags = append(diags, plan.Preflight()...)
	if err := c.diagnostics(l.loader, diags); err != nil {
		return err
	}
	if !a.noChecks {
		sigs := make(chan os.Signal, 2)
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
		err := plan.RunChecks(c.env, store.Dir, binPath(), sigs, 10*time.Second)
		signal.Stop(sigs)
		if err != nil {
			return err
		}
	}
	return view[planJSON]{c, a.out, func(w io.Writer, _ planJSON) error {
		printPlan(w, plan)
		return nil
	}}.show(planToJSON(plan))
}

func planToJSON(plan *phases.Plan) planJSON {
	pj := planJSON{Workflow: plan.Workflow.Filename, ResumesRun: plan.ResumedFrom, Phases: []planPhaseJSON{}}
	if plan.State != nil {
		pj.DeploymentID = plan.State.DeploymentID
	}
	if plan.InProgress != nil {
		pj.InProgress = plan.InProgress.RunID
	}
	if plan.UnfinishedDestroy != nil {
		pj.Unfinished = plan.UnfinishedDestroy.RunID
	}
	for _, s := range plan.Steps {
		p := planPhaseJSON{Name: s.Phase.Name, Action: string(s.Action), Reason: s.Reason,
			ReusedFrom: s.ReusedFrom, NeedsInfra: s.Phase.NeedsInfra, InfraSync: s.InfraSync}
		if s.Resolved != nil && s.Resolved.Run != nil {
			p.Command = s.Resolved.Run.Display()
		}
		if s.Resolved != nil && s.Resolved.Check != nil {
			p.Check = s.Resolved.Check.Display()
		}
		pj.Phases = append(pj.Phases, p)
	}
	return pj
}

func printPlan(w io.Writer, plan *phases.Plan) {
	if plan.State == nil {
		fmt.Fprintln(w, "New deployment: no state yet.")
	} else {
		fmt.Fprintf(w, "Deployment %s.\n", plan.State.DeploymentID)
	}
	if r := plan.InProgress; r != nil {
		who := ""
		if r.Owner != nil {
			who = fmt.Sprintf(" by pid %d on %s", r.Owner.PID, r.Owner.Host)
		}
		fmt.Fprintf(w, "Run %s (%s) is in progress%s, started %s: an apply now would be refused until it ends.\nThis plan is what an apply would do with the state as it stands.\n",
			r.RunID, r.Kind, who, r.StartedAt.Local().Format("2006-01-02 15:04:05"))
	}
	if r := plan.UnfinishedDestroy; r != nil {
		fmt.Fprintf(w, "Destroy run %s %s before it finished: 'k0flow destroy' resumes the teardown;\nan apply deploys again what it tore down (below).\n", r.RunID, map[string]string{statestore.OutcomeFailed: "failed", statestore.OutcomeInterrupted: "was interrupted"}[r.Outcome])
	}
	if plan.ResumedFrom != "" {
		fmt.Fprintf(w, "Apply resumes run %s.\n", plan.ResumedFrom)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tACTION\tWHY")
	counts := map[phases.Action]int{}
	for _, s := range plan.Steps {
		counts[s.Action]++
		if s.InfraSync != "" {
			fmt.Fprintf(tw, "(infra sync)\tsync\t%s\n", s.InfraSync)
		}
		reason := s.Reason
		if s.Phase.NeedsInfra && s.Resolved == nil {
			reason += "; decided after infra sync"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Phase.Name, s.Action, reason)
	}
	tw.Flush()
	if plan.State != nil {
		for _, rm := range phases.RemovedPhases(plan.Workflow, plan.State.DeploymentRuns) {
			how := "'k0flow destroy' runs its recorded destroy command (" + strings.Join(rm.Destroy, " ") + ")"
			if rm.Destroy == nil {
				how = "no destroy command was recorded: tear it down by hand, then 'k0flow destroy --forget " + rm.Name + "'"
			}
			fmt.Fprintf(w, "\nRemoved from %s but still deployed: %s (completed in run %s); %s.", plan.Workflow.Filename, rm.Name, rm.RunID, how)
		}
	}
	fmt.Fprintf(w, "\nPlan: %d to run, %d to re-run, %d to reuse, %d not applicable.\n",
		counts[phases.ActionRun], counts[phases.ActionRerun], counts[phases.ActionReuse], counts[phases.ActionNotApplicable])
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
