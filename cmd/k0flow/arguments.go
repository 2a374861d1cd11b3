package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/k0flow/k0flow/internal/suggest"
	"github.com/k0flow/k0flow/phases"
	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
)

// Each command's arguments, as Terraform's internal/command/arguments has
// them: one struct per command, filled and checked by its parse function
// before the command does anything, so that a mistake is a usage error
// (exit 2) with nothing touched, and a test can parse without running.
// The flag set is still the command's, for --help.

// parsed runs fs over args, Terraform's spellings accepted, and checks
// the output format when the command has one.
func (c *cli) parsed(fs *pflag.FlagSet, args []string, out *output) error {
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if c.backendFlags.err != nil {
		return c.backendFlags.err
	}
	if out != nil {
		return out.check()
	}
	return nil
}

// output is --output: text for people, json for machines.
type output struct{ format string }

func (o *output) add(fs *pflag.FlagSet) {
	fs.StringVarP(&o.format, "output", "o", "text", "output format: text or json")
}

func (o *output) check() error {
	if o.format != "text" && o.format != "json" {
		return usageErrorf("--output must be text or json, not %q", o.format)
	}
	return nil
}

func (o *output) json() bool { return o.format == "json" }

// workflowArgs are the arguments of commands that read deploy.hcl: FILE,
// variables, and where the state is.
type workflowArgs struct {
	file     string // default deploy.hcl
	vars     []string
	varFiles []string
	stateDir string
}

func (a *workflowArgs) add(c *cli, fs *pflag.FlagSet) {
	fs.StringArrayVar(&a.vars, "var", nil, "set a variable: -var name=value (repeatable)")
	fs.StringArrayVar(&a.varFiles, "var-file", nil, "read variables from an HCL or JSON file (repeatable)")
	c.stateFlags(fs, &a.stateDir, "state directory (default: the workflow's state_dir)")
}

// takeFile takes the optional FILE argument.
func (a *workflowArgs) takeFile(fs *pflag.FlagSet) error {
	a.file = "deploy.hcl"
	switch fs.NArg() {
	case 0:
	case 1:
		a.file = fs.Arg(0)
	default:
		return usageErrorf("expected at most one workflow file, got %q", fs.Args())
	}
	return nil
}

// selectArgs are --from, --only and --fresh.
type selectArgs struct {
	opts phases.Options
}

func (s *selectArgs) add(fs *pflag.FlagSet) {
	fs.StringVar(&s.opts.From, "from", "", "re-run this phase and every later one")
	fs.StringVar(&s.opts.Only, "only", "", "run only this phase")
	fs.BoolVar(&s.opts.Fresh, "fresh", false, "ignore earlier completions and run every phase")
}

func (s *selectArgs) check() error {
	n := 0
	for _, set := range []bool{s.opts.From != "", s.opts.Only != "", s.opts.Fresh} {
		if set {
			n++
		}
	}
	if n > 1 {
		return usageErrorf("--from, --only and --fresh exclude each other")
	}
	return nil
}

// runArgs are what apply and destroy share: a run, signals, a hook.
type runArgs struct {
	grace  time.Duration
	onExit string
	color  colorArgs
}

func (a *runArgs) add(fs *pflag.FlagSet) {
	fs.DurationVar(&a.grace, "grace", 10*time.Second, "how long a signalled phase may take to exit before it is killed")
	fs.StringVar(&a.onExit, "on-exit", "", "run this bash command when the run ends, with K0FLOW_RUN_ID and K0FLOW_OUTCOME set")
	a.color.add(fs)
}

type applyArgs struct {
	wf  workflowArgs
	sel selectArgs
	run runArgs
	out output
}

func (c *cli) parseApply(args []string) (*applyArgs, error) {
	var a applyArgs
	fs := c.flags(find("apply"))
	a.wf.add(c, fs)
	a.sel.add(fs)
	a.run.add(fs)
	a.out.add(fs)
	fs.Bool("yes", false, "accepted and ignored: apply never asks for confirmation (Terraform's -auto-approve)")
	return &a, firstErr(c.parsed(fs, args, &a.out), a.sel.check(), a.run.color.check(), a.wf.takeFile(fs))
}

type planArgs struct {
	wf       workflowArgs
	sel      selectArgs
	out      output
	noChecks bool
}

func (c *cli) parsePlan(args []string) (*planArgs, error) {
	var a planArgs
	fs := c.flags(find("plan"))
	a.wf.add(c, fs)
	a.sel.add(fs)
	a.out.add(fs)
	fs.BoolVar(&a.noChecks, "no-checks", false, "do not run the check commands of phases that would be reused")
	return &a, firstErr(c.parsed(fs, args, &a.out), a.sel.check(), a.wf.takeFile(fs))
}

type destroyArgs struct {
	wf     workflowArgs
	yes    bool
	forget []string
	out    output
	run    runArgs
}

func (c *cli) parseDestroy(args []string) (*destroyArgs, error) {
	var a destroyArgs
	fs := c.flags(find("destroy"))
	a.wf.add(c, fs)
	fs.BoolVar(&a.yes, "yes", false, "do not ask for confirmation")
	fs.StringArrayVar(&a.forget, "forget", nil, "a phase removed from the workflow whose resources you tore down by hand: archive without running its destroy command (repeatable)")
	a.out.add(fs)
	a.run.add(fs)
	return &a, firstErr(c.parsed(fs, args, &a.out), a.run.color.check(), a.wf.takeFile(fs))
}

type validateArgs struct{ wf workflowArgs }

func (c *cli) parseValidate(args []string) (*validateArgs, error) {
	var a validateArgs
	fs := c.flags(find("validate"))
	a.wf.add(c, fs)
	return &a, firstErr(c.parsed(fs, args, nil), a.wf.takeFile(fs))
}

type fmtArgs struct {
	check bool
	file  string
}

func (c *cli) parseFmt(args []string) (*fmtArgs, error) {
	a := fmtArgs{file: "deploy.hcl"}
	fs := c.flags(find("fmt"))
	fs.BoolVar(&a.check, "check", false, "only report whether the file is formatted (exit 1 if not)")
	if err := c.parsed(fs, args, nil); err != nil {
		return &a, err
	}
	switch fs.NArg() {
	case 0:
	case 1:
		a.file = fs.Arg(0)
	default:
		return &a, usageErrorf("fmt formats one file, got %q", fs.Args())
	}
	return &a, nil
}

// historyFilter is what status --show-history and history show of the runs.
type historyFilter struct {
	limit   int
	outcome string
	color   colorArgs
}

func (a *historyFilter) add(fs *pflag.FlagSet) {
	fs.IntVar(&a.limit, "limit", 0, "show at most N runs")
	fs.StringVar(&a.outcome, "outcome", "", "show only runs with this outcome")
	a.color.add(fs)
}

// check refuses a limit below 0 and an outcome no run can have: a typo
// (--outcome fail) would otherwise list "No runs." as if none had failed.
func (a *historyFilter) check() error {
	if a.limit < 0 {
		return usageErrorf("--limit must be 0 (every run) or more, not %d", a.limit)
	}
	outcomes := []string{statestore.OutcomeSuccess, statestore.OutcomeFailed, statestore.OutcomeInterrupted, statestore.OutcomeRunning}
	if a.outcome == "" || slices.Contains(outcomes, a.outcome) {
		return a.color.check()
	}
	hint := ""
	if best := suggest.Closest(a.outcome, outcomes, 3); best != "" {
		hint = fmt.Sprintf(" (did you mean %s?)", best)
	}
	return usageErrorf("--outcome must be one of %s, not %q%s", strings.Join(outcomes, ", "), a.outcome, hint)
}

type colorArgs struct{ mode string }

func (a *colorArgs) add(fs *pflag.FlagSet) {
	fs.StringVar(&a.mode, "color", "auto", "colour: auto (on a terminal, unless NO_COLOR is set), always or never")
}

func (a *colorArgs) check() error {
	switch a.mode {
	case "auto", "always", "never":
		return nil
	}
	return usageErrorf("--color must be auto, always or never, not %q", a.mode)
}

const stateDirHelp = "state directory (default: $K0FLOW_STATE_DIR, the state_dir of ./deploy.hcl, or ./state)"

type statusArgs struct {
	stateDir    string
	out         output
	showHistory bool
	history     historyFilter
}

func (c *cli) parseStatus(args []string) (*statusArgs, error) {
	var a statusArgs
	fs := c.flags(find("status"))
	a.out.add(fs)
	c.stateFlags(fs, &a.stateDir, stateDirHelp)
	fs.BoolVar(&a.showHistory, "show-history", false, "follow the status with the history of runs")
	a.history.add(fs)
	return &a, firstErr(c.parsed(fs, args, &a.out), a.history.check(),
		noArgs(fs, "status", "; to read another deployment's state, pass --state-dir DIR or run k0flow in its directory"))
}

type historyArgs struct {
	stateDir string
	out      output
	filter   historyFilter
}

func (c *cli) parseHistory(args []string) (*historyArgs, error) {
	var a historyArgs
	fs := c.flags(find("history"))
	a.out.add(fs)
	a.filter.add(fs)
	c.stateFlags(fs, &a.stateDir, "state directory")
	return &a, firstErr(c.parsed(fs, args, &a.out), a.filter.check(),
		noArgs(fs, "history", "; to read another deployment's history, pass --state-dir DIR"))
}

type showArgs struct {
	stateDir string
	out      output
	logLines int
	run      string
}

func (c *cli) parseShow(args []string) (*showArgs, error) {
	var a showArgs
	fs := c.flags(find("show"))
	a.out.add(fs)
	fs.IntVar(&a.logLines, "log-lines", 40, "how many lines of the failing phase's log to show")
	c.stateFlags(fs, &a.stateDir, "state directory")
	if err := c.parsed(fs, args, &a.out); err != nil {
		return &a, err
	}
	if fs.NArg() != 1 {
		return &a, usageErrorf("usage: k0flow show RUN (an id, a prefix, last, current, last-success, last-failed)")
	}
	if a.logLines < 0 {
		return &a, usageErrorf("--log-lines must be 0 or more, not %d", a.logLines)
	}
	a.run = fs.Arg(0)
	return &a, nil
}

type diffArgs struct {
	stateDir string
	out      output
	from, to string
}

func (c *cli) parseDiff(args []string) (*diffArgs, error) {
	var a diffArgs
	fs := c.flags(find("diff"))
	a.out.add(fs)
	c.stateFlags(fs, &a.stateDir, "state directory")
	if err := c.parsed(fs, args, &a.out); err != nil {
		return &a, err
	}
	if fs.NArg() != 2 {
		return &a, usageErrorf("usage: k0flow diff RUN_A RUN_B")
	}
	a.from, a.to = fs.Arg(0), fs.Arg(1)
	return &a, nil
}

type pruneArgs struct {
	stateDir string
	out      output
	keep     int       // -1: not given
	cutoff   time.Time // zero: --older-than not given
	dryRun   bool
}

func (c *cli) parsePrune(args []string) (*pruneArgs, error) {
	var a pruneArgs
	var olderThan string
	fs := c.flags(find("prune"))
	a.out.add(fs)
	fs.IntVar(&a.keep, "keep", -1, "keep the N most recent runs")
	fs.StringVar(&olderThan, "older-than", "", "move runs started longer ago than this (30d, 12h)")
	fs.BoolVar(&a.dryRun, "dry-run", false, "list what would move and change nothing")
	c.stateFlags(fs, &a.stateDir, "state directory")
	if err := firstErr(c.parsed(fs, args, &a.out), noArgs(fs, "prune", "; say what to keep with --keep N or --older-than D")); err != nil {
		return &a, err
	}
	if a.keep < 0 && olderThan == "" {
		return &a, usageErrorf("say what to prune: --keep N and/or --older-than D")
	}
	if olderThan != "" {
		d, err := workflow.ParseDuration(olderThan)
		if err != nil {
			return &a, usageErrorf("--older-than: %v", err)
		}
		a.cutoff = time.Now().Add(-d)
	}
	return &a, nil
}

type forceUnlockArgs struct {
	stateDir string
	yes      bool
	id       string
}

func (c *cli) parseForceUnlock(args []string) (*forceUnlockArgs, error) {
	var a forceUnlockArgs
	fs := c.flags(find("force-unlock"))
	fs.BoolVar(&a.yes, "yes", false, "do not ask for confirmation")
	c.stateFlags(fs, &a.stateDir, "state directory")
	if err := c.parsed(fs, args, nil); err != nil {
		return &a, err
	}
	if fs.NArg() != 1 {
		return &a, usageErrorf("usage: k0flow force-unlock LOCK_ID (the id a refused apply names)")
	}
	a.id = fs.Arg(0)
	return &a, nil
}

// parseNoArgs parses a command that takes no arguments and no flags of
// its own: version, shell-lib.
func (c *cli) parseNoArgs(name string, args []string) error {
	fs := c.flags(find(name))
	return firstErr(c.parsed(fs, args, nil), noArgs(fs, name, ""))
}

type completionArgs struct {
	shell string
	// phasesOf is set for `completion phases [FILE]`, what the scripts
	// call to complete --only and --from.
	phasesOf *string
}

func (c *cli) parseCompletion(args []string) (*completionArgs, error) {
	var a completionArgs
	fs := c.flags(find("completion"))
	if err := c.parsed(fs, args, nil); err != nil {
		return &a, err
	}
	if fs.NArg() >= 1 && fs.Arg(0) == "phases" {
		file := "deploy.hcl"
		if fs.NArg() > 1 {
			file = fs.Arg(1)
		}
		a.phasesOf = &file
		return &a, nil
	}
	if fs.NArg() != 1 {
		return &a, usageErrorf("usage: k0flow completion bash|zsh|fish")
	}
	a.shell = fs.Arg(0)
	return &a, nil
}

type infraArgs struct {
	out           output
	stateDir      string
	file          string
	requireFresh  bool
	maxAge        string
	showSensitive bool
	vmOutput      string
	sub           string
	rest          []string // the subcommand's own arguments
}

func (c *cli) parseInfra(args []string) (*infraArgs, error) {
	var a infraArgs
	fs := c.flags(find("infra"))
	a.out.add(fs)
	c.stateFlags(fs, &a.stateDir, "state directory")
	fs.StringVar(&a.file, "workflow", "", "workflow file (default: $K0FLOW_WORKFLOW, else ./deploy.hcl)")
	fs.BoolVar(&a.requireFresh, "require-fresh", false, "get: fail with exit code 3 instead of warning when the cache is stale")
	fs.StringVar(&a.maxAge, "max-age", "", "get: how old the cache may be (default: the workflow's max_age, else 1h)")
	fs.BoolVar(&a.showSensitive, "show-sensitive", false, "show: print sensitive outputs instead of (sensitive)")
	fs.StringVar(&a.vmOutput, "vm-output", "", "vm: the output holding VM details (default: the workflow's vm_output, else vm_details)")
	if err := c.parsed(fs, args, &a.out); err != nil {
		return &a, err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return &a, usageErrorf("infra needs a subcommand: sync, get, show, refresh, vm, init-args or invalidate")
	}
	want := map[string][2]int{"invalidate": {1, 1}, "sync": {1, 1}, "get": {2, 2}, "show": {1, 1}, "refresh": {1, 1}, "vm": {2, 3}, "init-args": {1, 1}}
	n, ok := want[rest[0]]
	if !ok {
		return &a, usageErrorf("unknown infra subcommand %q: use sync, get, show, refresh, vm or init-args", rest[0])
	}
	if len(rest) < n[0] || len(rest) > n[1] {
		return &a, usageErrorf("wrong number of arguments for infra %s (see 'k0flow infra --help')", rest[0])
	}
	a.sub, a.rest = rest[0], rest[1:]
	return &a, nil
}

type stateArgs struct {
	stateDir  string
	out       output
	asJSON    bool
	asString  bool
	sensitive bool
	fromStdin bool
	dryRun    bool
	reason    string
	phase     string
	ownerPID  int
	sub       string
	rest      []string // the subcommand's own arguments
}

func (c *cli) parseState(args []string) (*stateArgs, error) {
	var a stateArgs
	fs := c.flags(find("state"))
	a.out.add(fs)
	c.stateFlags(fs, &a.stateDir, stateDirHelp)
	fs.BoolVar(&a.asJSON, "json", false, "set: read VALUE as JSON")
	fs.BoolVar(&a.asString, "string", false, "set: store VALUE as a string, whatever it looks like")
	fs.BoolVar(&a.sensitive, "sensitive", false, "set: VALUE is a secret: stored, shown as (sensitive), printed only by a state get of KEY itself")
	fs.BoolVar(&a.fromStdin, "stdin", false, "set: read VALUE from standard input (keeps a secret off the command line)")
	fs.BoolVar(&a.dryRun, "dry-run", false, "migrate: print the migrated state and change nothing")
	fs.StringVar(&a.reason, "reason", "", "phase mark: why (phase_mark_skipped's reason)")
	fs.StringVar(&a.phase, "phase", "", "event add: the phase the event belongs to")
	fs.IntVar(&a.ownerPID, "owner-pid", 0, "run start, phase mark: the pid of the calling script (default: k0flow's parent)")
	fs.SetInterspersed(true)
	if err := c.parsed(fs, valuesAfterKey(fs, args), &a.out); err != nil {
		return &a, err
	}
	if fs.NArg() == 0 {
		return &a, usageErrorf("state needs a subcommand: get, set or unset (see 'k0flow state --help')")
	}
	if a.asJSON && a.asString {
		return &a, usageErrorf("--json and --string exclude each other")
	}
	a.sub, a.rest = fs.Arg(0), fs.Args()[1:]
	return &a, nil
}
