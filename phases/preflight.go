package phases

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
)

// Preflight checks, before a run starts, everything that can be known up
// front: workflow and phase preconditions of every phase that takes part,
// and that each command's program and script exist. A run never fails
// thirty minutes in on something knowable now.
func (p *Plan) Preflight() hcl.Diagnostics {
	diags := p.Scope.CheckConditions(p.Workflow.Preconditions, true)
	for _, s := range p.Active() {
		diags = append(diags, p.Scope.CheckConditions(s.Phase.Preconditions, true)...)
		diags = append(diags, MissingPrograms(s.Phase, s.Resolved)...)
		if s.Action != ActionReuse && s.Action != ActionNotSelected {
			diags = append(diags, p.stillRunning(s.Phase.Name)...)
		}
	}
	return diags
}

// stillRunning refuses to start a phase again while the processes of its
// last, unfinished start still run: a runner killed outright, or a closed
// terminal before SIGHUP was handled, leaves them behind, and two copies
// of a deployment step must not run at once.
func (p *Plan) stillRunning(name string) hcl.Diagnostics {
	if p.State == nil {
		return nil
	}
	run, rec := lastRecord(name, p.State.DeploymentRuns)
	if rec == nil || (rec.Status != statestore.StatusRunning && rec.Status != statestore.StatusInterrupted) {
		return nil
	}
	if run.Outcome == statestore.OutcomeRunning {
		return nil // a run in progress: plan says so, the run lock stops an apply
	}
	if rec.PGID != 0 && GroupAlive(rec.PGID) {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "A phase's processes are still running",
			Detail: fmt.Sprintf("Phase %q was started by run %s and its processes (process group %d) still run. Wait for them or stop them (kill -TERM -- -%d), then apply again.",
				name, run.RunID, rec.PGID, rec.PGID),
		}}
	}
	// The group may not have been recorded (the runner was killed just
	// after starting the phase), or a process may have left it.
	if pid := PhaseProcess(run.RunID, name); pid != 0 {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "A phase's processes are still running",
			Detail: fmt.Sprintf("Phase %q was started by run %s and its process %d still runs. Wait for it or stop it (kill -TERM %d), then apply again.",
				name, run.RunID, pid, pid),
		}}
	}
	return nil
}

// MissingPrograms reports a phase's run or check command whose program or
// script does not exist, as validate, plan and apply say it.
func MissingPrograms(ph *workflow.Phase, res *workflow.Resolved) hcl.Diagnostics {
	if res == nil {
		return nil
	}
	var diags hcl.Diagnostics
	for _, c := range []struct {
		cmd  *workflow.Command
		expr hcl.Expression
	}{{res.Run, ph.Run}, {res.Check, ph.Check}} {
		if c.cmd == nil {
			continue
		}
		if err := missingProgram(c.cmd, res.Dir); err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Missing program or script",
				Detail:   fmt.Sprintf("Phase %q: %v.", ph.Name, err),
				Subject:  c.expr.Range().Ptr(),
			})
		}
	}
	return diags
}

// interpreters take a script file as their first non-flag argument.
var interpreters = map[string]bool{"bash": true, "sh": true, "zsh": true, "dash": true, "ksh": true,
	"python": true, "python3": true, "perl": true, "ruby": true, "node": true}

func missingProgram(c *workflow.Command, dir string) error {
	argv := c.Args()
	if err := findProgram(argv[0], dir); err != nil {
		return err
	}
	if c.Script != "" || !interpreters[filepath.Base(argv[0])] || len(argv) < 2 || strings.HasPrefix(argv[1], "-") {
		return nil
	}
	script := argv[1]
	if !filepath.IsAbs(script) {
		script = filepath.Join(dir, script)
	}
	if _, err := os.Stat(script); err != nil {
		return fmt.Errorf("%s runs %s, which does not exist in %s", argv[0], argv[1], dir)
	}
	return nil
}

func findProgram(name, dir string) error {
	if strings.Contains(name, "/") {
		path := name
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		if info, err := os.Stat(path); err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			return fmt.Errorf("%s is not an executable file (looked in %s)", name, dir)
		}
		return nil
	}
	if _, err := exec.LookPath(name); err != nil {
		return fmt.Errorf("%s is not on PATH", name)
	}
	return nil
}
