package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/k0flow/k0flow/phases"
	"github.com/k0flow/k0flow/statestore"
)

// textObserver prints apply's progress: a line when a phase starts, one
// when it ends, and a summary table.
type textObserver struct {
	w     io.Writer
	store *statestore.Store // where logs are, for their locations
	paint painter           // colour on a terminal
}

// PhaseStillRunning says a silent phase is alive, as Terraform's
// "Still creating... [30s elapsed]" does.
func (o *textObserver) PhaseStillRunning(step *phases.Step, elapsed time.Duration) {
	fmt.Fprintln(o.w, o.paint.dim(fmt.Sprintf("%s: still running [%s elapsed]", step.Phase.Name, elapsed.Round(time.Second))))
}

// PhaseRetrying says a failed attempt will be followed by another.
func (o *textObserver) PhaseRetrying(step *phases.Step, attempt, attempts, exitCode int, delay time.Duration) {
	fmt.Fprintf(o.w, "[%d/%d] %s: attempt %d of %d %s (exit code %d); retrying in %s\n", step.Number, step.Total,
		step.Phase.Name, attempt, attempts, o.paint.yellow("failed"), exitCode, delay)
}

// InfraSynced says the outputs cache was brought up to date for a phase.
func (o *textObserver) InfraSynced(step *phases.Step, reason string, _ bool) {
	fmt.Fprintf(o.w, "      infra sync: %s\n", reason)
}

// PhaseStopping says what a signal does to the running phase.
func (o *textObserver) PhaseStopping(step *phases.Step, sig os.Signal, grace time.Duration, second bool) {
	name := step.Phase.Name
	switch {
	case second:
		fmt.Fprintln(o.w, o.paint.yellow(fmt.Sprintf("Second %s: killing %s now", phases.SignalName(sig), name)))
	case sig == os.Interrupt:
		fmt.Fprintln(o.w, o.paint.yellow(fmt.Sprintf("Interrupt received: stopping %s (grace %s; press Ctrl-C again to kill now)", name, grace)))
	default:
		fmt.Fprintln(o.w, o.paint.yellow(fmt.Sprintf("%s received: stopping %s (grace %s)", phases.SignalName(sig), name, grace)))
	}
}

func (o *textObserver) RunStarted(run *statestore.Run, plan *phases.Plan) {
	line := fmt.Sprintf("Run %s: %s", run.RunID, count(len(run.Phases), "phase"))
	if run.ResumedFrom != "" {
		line += ", resuming run " + run.ResumedFrom
	}
	fmt.Fprintln(o.w, line)
}

func (o *textObserver) PhaseStarted(step *phases.Step) {
	title := fmt.Sprintf("[%d/%d] %s", step.Number, step.Total, step.Phase.Name)
	if step.Description != "" {
		title += " — " + step.Description
	}
	fmt.Fprintln(o.w, title)
}

func (o *textObserver) PhaseEnded(step *phases.Step, rec *statestore.PhaseRecord) {
	prefix := fmt.Sprintf("[%d/%d] %s", step.Number, step.Total, step.Phase.Name)
	switch rec.Status {
	case statestore.StatusReused:
		fmt.Fprintf(o.w, "%s reused: %s\n", prefix, step.Reason)
	case statestore.StatusCompleted:
		fmt.Fprintf(o.w, "%s %s in %s\n", prefix, o.paint.green("completed"), seconds(rec.DurationSeconds))
	case statestore.StatusFailed:
		fmt.Fprintf(o.w, "%s %s: %s%s\n", prefix, o.paint.red("FAILED"), rec.Message, o.logNote(rec))
	case statestore.StatusInterrupted:
		fmt.Fprintf(o.w, "%s %s%s\n", prefix, o.paint.yellow("INTERRUPTED"), o.logNote(rec))
	}
}

func (o *textObserver) logNote(rec *statestore.PhaseRecord) string {
	if rec.Log == "" {
		return ""
	}
	return " (log: " + displayPath(o.store.LogLocation(rec.Log)) + ")"
}

func (o *textObserver) RunEnded(run *statestore.Run) {
	fmt.Fprintln(o.w)
	printPhaseTable(o.w, run.Phases)
	fmt.Fprintf(o.w, "\nRun %s %s in %s.\n", run.RunID, run.Outcome, seconds(run.DurationSeconds))
	switch run.Outcome {
	case statestore.OutcomeFailed, statestore.OutcomeInterrupted:
		fmt.Fprintln(o.w, resumeHint(run))
	}
}

func printPhaseTable(w io.Writer, list statestore.PhaseList) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tSTATUS\tDURATION\tNOTE")
	for _, p := range list {
		note := p.Message
		if p.Status == statestore.StatusReused && p.ReusedFrom != "" {
			note = "from " + p.ReusedFrom
			if p.Message != "" {
				note = p.Message + ", from " + p.ReusedFrom
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, p.Status, seconds(p.DurationSeconds), note)
	}
	tw.Flush()
}

// seconds renders a stored duration the way people read them.
func seconds(s *float64) string {
	if s == nil {
		return "-"
	}
	d := time.Duration(*s * float64(time.Second))
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// displayPath shows a path relative to the working directory when it lies
// below it, as people typed it.
func displayPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	rel, err := filepath.Rel(wd, p)
	if err != nil || strings.HasPrefix(rel, "..") {
		return p
	}
	return rel
}

// resumeHint says how to go on after a run that did not succeed: an apply
// is resumed by apply, a teardown by destroy (apply would deploy again).
func resumeHint(run *statestore.Run) string {
	if run.Kind == statestore.KindDestroy {
		return "Fix the cause and run 'k0flow destroy' again: what was torn down is not torn down twice. ('k0flow apply' would deploy again.)"
	}
	return "Fix the cause and run 'k0flow apply' again: completed phases are reused."
}
