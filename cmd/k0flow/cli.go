package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// cli is what every command shares: its streams and environment.
type cli struct {
	stdout, stderr io.Writer
	env            []string

	ambient       *workflow.Workflow // see workflowIfAny
	ambientLoaded bool
	remote        statestore.Storage // the shared backend, once connected
	backendFlags  backendConfig      // --backend-config
}

func (c *cli) getenv(name string) string {
	for _, kv := range c.env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// flags returns a flag set whose --help prints the command's usage and example.
func (c *cli) flags(cmd *command) *pflag.FlagSet {
	fs := pflag.NewFlagSet(cmd.name, pflag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprintf(c.stdout, "%s\n\nUsage: k0flow %s\n\nFlags:\n%s", cmd.summary, cmd.usage, fs.FlagUsages())
		if cmd.example != "" {
			fmt.Fprintf(c.stdout, "\nExample:\n  %s\n", strings.ReplaceAll(cmd.example, "\n", "\n  "))
		}
	}
	return fs
}

func (c *cli) parse(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(terraformHabits(fs, args)); err != nil {
		if err == pflag.ErrHelp {
			return err
		}
		return usageErrorf("%v (see --help)", err)
	}
	return nil
}

// terraformAliases are Terraform's spellings of k0flow flags.
var terraformAliases = map[string]struct{ flag, arg string }{
	"auto-approve": {"yes", "--yes"},
	"json":         {"output", "--output=json"},
	"no-color":     {"color", "--color=never"},
}

// terraformHabits accepts flags as Terraform users type them: a long flag
// with one dash (-fresh, -only=P, -state-dir DIR) and Terraform's names
// for k0flow's (-auto-approve, -json, -no-color). pflag alone reads -fresh
// as the shorthands f, r, e, s, h. Arguments after -- are left alone.
func terraformHabits(fs *pflag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if i > 0 && takesValue(fs, out[len(out)-1]) {
			out = append(out, a) // the value of the flag before it, whatever it looks like
			continue
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name, value, hasValue := strings.Cut(a[1:], "=")
			if alias, ok := terraformAliases[name]; ok && !hasValue && fs.Lookup(alias.flag) != nil && fs.Lookup(name) == nil {
				a = alias.arg
			} else if f := fs.Lookup(name); f != nil && len(name) > 1 {
				a = "--" + name
				if hasValue {
					a += "=" + value
				}
			} else if fs.ShorthandLookup(a[1:2]) == nil {
				// Not a cluster of shorthands either: name it as the long
				// flag it was meant to be, so that pflag's answer reads
				// "unknown flag: --fast", not "unknown shorthand flag: 'f'".
				a = "-" + a
			}
		}
		out = append(out, a)
	}
	return out
}

// takesValue says whether arg is a flag whose value is the next argument.
func takesValue(fs *pflag.FlagSet, arg string) bool {
	var f *pflag.Flag
	switch {
	case strings.HasPrefix(arg, "--") && !strings.Contains(arg, "="):
		f = fs.Lookup(arg[2:])
	case len(arg) == 2 && arg[0] == '-':
		f = fs.ShorthandLookup(arg[1:])
	}
	return f != nil && f.NoOptDefVal == ""
}

// noArgs refuses positional arguments a command does not take, rather than
// ignoring them (k0flow status other/deploy.hcl would read ./state).
func noArgs(fs *pflag.FlagSet, name, hint string) error {
	if fs.NArg() == 0 {
		return nil
	}
	return usageErrorf("%s takes no arguments, got %q%s", name, fs.Args(), hint)
}

// loaded is a workflow with its variables resolved and evaluated.
type loaded struct {
	loader *workflow.Loader
	wf     *workflow.Workflow
	scope  *workflow.Scope
}

// loadWorkflow decodes FILE (default deploy.hcl) and evaluates it with the
// variables given. Diagnostics are rendered here; errors exit 2.
func (c *cli) loadWorkflow(a *workflowArgs, requireAll bool) (*loaded, error) {
	l := &loaded{loader: workflow.NewLoader()}
	wf, diags := l.loader.Load(a.file)
	if wf != nil && !diags.HasErrors() {
		diags = append(diags, wf.CheckPaths()...)
	}
	if err := c.diagnostics(l.loader, diags); err != nil || wf == nil {
		return nil, orExit(err, exitUsage)
	}
	l.wf = wf
	c.ambient, c.ambientLoaded = wf, true // the state backend, state commands' defaults
	if a.stateDir != "" {
		wf.StateDir, _ = filepath.Abs(a.stateDir)
	}
	vals, diags := l.loader.ResolveVariables(wf, workflow.VarInputs{Env: c.env, Files: a.varFiles, Args: a.vars}, requireAll)
	if err := c.diagnostics(l.loader, diags); err != nil {
		return nil, err
	}
	l.scope, diags = l.loader.NewScope(wf, vals)
	if err := c.diagnostics(l.loader, diags); err != nil {
		return nil, err
	}
	return l, nil
}

func orExit(err error, code int) error {
	if err != nil {
		return err
	}
	return silent(code)
}

// diagnostics renders diags with source snippets; errors give exit 2.
func (c *cli) diagnostics(l *workflow.Loader, diags hcl.Diagnostics) error {
	return c.renderDiagnostics(l.Files(), diags)
}

// renderDiagnostics is diagnostics over the given sources.
func (c *cli) renderDiagnostics(files map[string]*hcl.File, diags hcl.Diagnostics) error {
	if len(diags) == 0 {
		return nil
	}
	width, color := 0, false
	if f, ok := c.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		width, _, _ = term.GetSize(int(f.Fd()))
		color = c.getenv("NO_COLOR") == ""
	}
	w := hcl.NewDiagnosticTextWriter(c.stderr, files, uint(width), color)
	_ = w.WriteDiagnostics(diags)
	if diags.HasErrors() {
		return silent(exitUsage)
	}
	return nil
}

// stateDir finds the state for commands that only touch state: --state-dir,
// then $K0FLOW_STATE_DIR (set for every phase), then the state_dir of
// ./deploy.hcl, then ./state, the bash project's own layout.
func (c *cli) stateDir(flag string) string {
	if flag != "" {
		return flag
	}
	if env := c.getenv("K0FLOW_STATE_DIR"); env != "" {
		return env
	}
	if wf := c.workflowIfAny(); wf != nil {
		return wf.StateDir
	}
	return "state"
}

// open returns the store of a state directory. A v1 state found there is
// migrated on first use, and the command says so in one line.
func (c *cli) open(dir string) *statestore.Store {
	var store *statestore.Store
	if c.backend() != nil {
		store = statestore.OpenStorage(dir, c.storage(dir))
	} else {
		store = statestore.Open(dir)
	}
	store.OnMigrate = func(m *statestore.Migration) {
		if m.From != 0 {
			fmt.Fprintf(c.stderr, "Migrated %s from schema_version %d to %d (the previous file kept in %s; runs beyond the %d most recent moved to %s).\n",
				displayPath(store.Path()), m.From, statestore.SchemaVersion, displayPath(m.Archive), statestore.InlineRuns, displayPath(store.RunsLocation()))
			return
		}
		fmt.Fprintf(c.stderr, "Migrated %s from the bash project's v1 format to schema_version %d (v1 files kept in %s).\n",
			displayPath(store.Path()), statestore.SchemaVersion, displayPath(m.Archive))
	}
	return store
}

// openReadOnly is open for a command that only reads (see
// statestore.OpenReadOnly).
func (c *cli) openReadOnly(dir string) *statestore.Store {
	if c.backend() != nil {
		return statestore.OpenStorageReadOnly(dir, c.storage(dir))
	}
	return statestore.OpenReadOnly(dir)
}

// openState opens the state directory and records runs whose runner died.
func (c *cli) openState(flag string) *statestore.Store {
	store := c.open(c.stateDir(flag))
	if ids, err := store.RecoverAbandoned(); err == nil {
		c.noteRecovered(ids)
	}
	return store
}

func (c *cli) noteRecovered(ids []string) {
	for _, id := range ids {
		fmt.Fprintf(c.stderr, "Note: run %s was left running by a runner that is gone; recorded it as interrupted.\n", id)
	}
}

// readState loads the state for a reading command, after recording runs
// whose runner died; "no state yet" is a clear error.
func (c *cli) readState(flag string) (*statestore.Store, *statestore.State, error) {
	return c.readStateWith(flag, (*statestore.Store).LoadForReading)
}

// readRecentState is readState with the recent runs only (see
// statestore.LoadRecent).
func (c *cli) readRecentState(flag string) (*statestore.Store, *statestore.State, error) {
	return c.readStateWith(flag, (*statestore.Store).LoadRecentForReading)
}

// readStateFor is readState that reads the runs moved out of the state
// file only when enough says the recent runs do not answer: `show last`
// reads one file whatever the history.
func (c *cli) readStateFor(flag string, enough func(*statestore.State) bool) (*statestore.Store, *statestore.State, error) {
	return c.readStateWith(flag, func(s *statestore.Store) (*statestore.State, []string, error) { return s.LoadForReadingFor(enough) })
}

func (c *cli) readStateWith(flag string, load func(*statestore.Store) (*statestore.State, []string, error)) (*statestore.Store, *statestore.State, error) {
	store := c.openReadOnly(c.stateDir(flag))
	store.OnReadV1 = func() {
		fmt.Fprintf(c.stderr, "Note: %s is a v1 file of the bash project, shown converted; nothing was written. The next apply, or k0flow state migrate, migrates it.\n",
			displayPath(store.Path()))
	}
	st, ids, err := load(store)
	for _, id := range ids {
		fmt.Fprintf(c.stderr, "Note: run %s was left running by a runner that is gone; it is shown as interrupted (the next apply records it).\n", id)
	}
	if statestore.IsNotExist(err) {
		return store, nil, noState(store)
	}
	return store, st, err
}

func noState(store *statestore.Store) error {
	if store.Shared() {
		return &exitError{code: exitFailure, err: fmt.Errorf("no deployment state in %s: run 'k0flow apply' first, or check the backend's container_name and key_prefix", store.Location())}
	}
	return &exitError{code: exitFailure, err: fmt.Errorf("no deployment state in %s: run 'k0flow apply' first, or pass --state-dir", store.Dir)}
}

// loadState loads the state as store.LoadFor does (the runs moved out of
// the file only when found says the recent ones do not answer), turning
// "no state yet" into a clear error.
func loadState(store *statestore.Store, found func(*statestore.State) bool) (*statestore.State, error) {
	st, err := store.LoadFor(found)
	if statestore.IsNotExist(err) {
		return nil, noState(store)
	}
	return st, err
}

// update is store.Update with "no state yet" said clearly.
func update(store *statestore.Store, fn func(*statestore.State) error) error {
	err := store.Update(fn)
	if statestore.IsNotExist(err) {
		return noState(store)
	}
	return err
}
