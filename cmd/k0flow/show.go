package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
	"gopkg.in/yaml.v3"
)

func init() {
	register(&command{
		name:    "show",
		summary: "Show one run in full: configuration, phase timeline, error and log tail",
		usage:   "show RUN [--log-lines N] [--output json]\n\nRUN is a run id, a unique prefix of one, or last, current, last-success, last-failed.",
		example: "k0flow show last-failed --log-lines 80",
		run:     cmdShow,
	})
}

// showJSON is `show --output json`: the run as recorded, plus what show
// works out from it.
type showJSON struct {
	*statestore.Run
	InfraCacheAge map[string]float64 `json:"infra_cache_age_seconds,omitempty"`
	LogFile       string             `json:"log_file,omitempty"`
	LogLines      []string           `json:"log_lines,omitempty"`
}

func cmdShow(c *cli, args []string) error {
	a, err := c.parseShow(args)
	if err != nil {
		return err
	}
	store, st, err := c.readStateFor(a.stateDir, func(st *statestore.State) bool { return st.RecentDecides(a.run) })
	if err != nil {
		return err
	}
	run, err := resolveRun(st, a.run)
	if err != nil {
		return err
	}
	return view[showJSON]{c, a.out, func(w io.Writer, v showJSON) error {
		printRun(w, v)
		return nil
	}}.show(showView(store, run, a.logLines))
}

func showView(store *statestore.Store, run *statestore.Run, lines int) showJSON {
	v := showJSON{Run: run, InfraCacheAge: map[string]float64{}}
	for _, p := range run.Phases {
		if p.InfraCacheTimestamp != nil && p.StartedAt != nil {
			v.InfraCacheAge[p.Name] = p.StartedAt.Sub(*p.InfraCacheTimestamp).Seconds()
		}
	}
	if run.Error != nil && run.Error.Phase != "" {
		if rec := run.Phases.Get(run.Error.Phase); rec != nil && rec.Log != "" {
			v.LogFile = store.LogLocation(rec.Log)
			if tail := store.LogTail(rec.Log, lines); tail != "" {
				v.LogLines = strings.Split(tail, "\n")
			}
		}
		if v.LogLines == nil && run.Error.LogTail != "" {
			v.LogLines = strings.Split(run.Error.LogTail, "\n") // the log was pruned or removed
		}
	}
	return v
}

func printRun(w io.Writer, v showJSON) {
	r := v.Run
	fmt.Fprintf(w, "Run %s (%s): %s\n", r.RunID, r.Kind, r.Outcome)
	fmt.Fprintf(w, "  started   %s (%s)\n", r.StartedAt.Local().Format("2006-01-02 15:04:05 MST"), r.StartedAt.UTC().Format(time.RFC3339))
	if r.EndedAt != nil {
		fmt.Fprintf(w, "  ended     %s, took %s\n", r.EndedAt.Local().Format("2006-01-02 15:04:05 MST"), seconds(r.DurationSeconds))
	}
	if r.ResumedFrom != "" {
		fmt.Fprintf(w, "  resumed   from %s\n", r.ResumedFrom)
	}
	if r.Owner != nil {
		fmt.Fprintf(w, "  owner     pid %d on %s\n", r.Owner.PID, r.Owner.Host)
	}
	printSnapshot(w, r.ConfigSnapshot)
	printTerraform(w, r.Terraform)
	fmt.Fprintln(w, "\nPhases:")
	printTimeline(w, r, v.InfraCacheAge)
	if r.Error != nil {
		fmt.Fprintf(w, "\nError: %s\n", errorLine(r.Error))
	}
	if len(v.LogLines) > 0 {
		source := "the run's recorded tail"
		if v.LogFile != "" {
			source = displayPath(v.LogFile)
		}
		fmt.Fprintf(w, "\nLast %d lines of %s:\n", len(v.LogLines), source)
		for _, l := range v.LogLines {
			fmt.Fprintf(w, "  | %s\n", l)
		}
	}
}

func printSnapshot(w io.Writer, c *statestore.ConfigSnapshot) {
	if c == nil {
		return
	}
	fmt.Fprintln(w, "\nConfiguration:")
	if c.WorkflowFile != "" || c.WorkflowChecksum != "" {
		fmt.Fprintf(w, "  workflow  %s %s (k0flow %s)\n", c.WorkflowFile, short(c.WorkflowChecksum), c.K0flowVersion)
	}
	if c.Selection != "" {
		fmt.Fprintf(w, "  selection %s\n", c.Selection)
	}
	printMap(w, "variables", c.Variables)
	printMap(w, "flags", c.Flags)
	for _, name := range workflow.Keys(c.Applicable) {
		fmt.Fprintf(w, "  not applicable: %s (%s)\n", name, c.Applicable[name])
	}
}

func printMap(w io.Writer, title string, m map[string]any) {
	if len(m) == 0 {
		return
	}
	fmt.Fprintf(w, "  %s:\n", title)
	for _, k := range workflow.Keys(m) {
		fmt.Fprintf(w, "    %s = %s\n", k, inline(m[k]))
	}
}

// inline renders a value on one line: scalars as they are, collections as
// YAML flow.
func inline(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return t
	case map[string]any, []any:
		var n yaml.Node
		if err := n.Encode(t); err == nil {
			n.Style = yaml.FlowStyle
			for _, c := range n.Content {
				c.Style |= yaml.FlowStyle
			}
			if data, err := yaml.Marshal(&n); err == nil {
				return strings.TrimSpace(string(data))
			}
		}
	}
	return fmt.Sprint(v)
}

func printTerraform(w io.Writer, t *statestore.TerraformRef) {
	if t == nil {
		return
	}
	fmt.Fprintf(w, "\nTerraform: %s (%s backend, terraform %s)\n", t.StatePath, t.Backend.Type, t.Version)
}

// printTimeline draws each phase as a bar on the run's time axis.
func printTimeline(w io.Writer, r *statestore.Run, cacheAge map[string]float64) {
	const width = 30
	total := 0.0
	if r.DurationSeconds != nil {
		total = *r.DurationSeconds
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  PHASE\tSTATUS\tSTART\tDURATION\tTIMELINE\tNOTE")
	for _, p := range r.Phases {
		start, bar := "-", ""
		if p.StartedAt != nil {
			off := p.StartedAt.Sub(r.StartedAt).Seconds()
			start = "+" + seconds(&off)
			bar = timelineBar(off, p.DurationSeconds, total, width)
		}
		note := p.Reason
		if p.Status == statestore.StatusReused {
			note = "from " + p.ReusedFrom
		}
		if p.Message != "" {
			note = p.Message
		}
		if age, ok := cacheAge[p.Name]; ok {
			note += fmt.Sprintf("; infra cache %s old at start", seconds(&age))
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", p.Name, p.Status, start, seconds(p.DurationSeconds), bar, strings.TrimPrefix(note, "; "))
		for _, a := range p.Attempts {
			astart := "-"
			if a.StartedAt != nil {
				off := a.StartedAt.Sub(r.StartedAt).Seconds()
				astart = "+" + seconds(&off)
			}
			fmt.Fprintf(tw, "    attempt %d\texit %d\t%s\t%s\t\tlog %s\n", a.Attempt, a.ExitCode, astart, seconds(a.DurationSeconds), a.Log)
		}
	}
	tw.Flush()
}

func timelineBar(off float64, dur *float64, total float64, width int) string {
	if total <= 0 || dur == nil {
		return "[" + strings.Repeat(" ", width) + "]"
	}
	from := min(width-1, int(off/total*float64(width)))
	n := max(1, int(*dur/total*float64(width)+0.5))
	n = min(n, width-from)
	return "[" + strings.Repeat(" ", from) + strings.Repeat("#", n) + strings.Repeat(" ", width-from-n) + "]"
}
