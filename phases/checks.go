package phases

import (
	"fmt"
	"io"
	"os"
)

// RunChecks runs the check of every phase the plan would reuse, as apply
// would at the phase's turn, and turns a failing one into a re-run. The
// checks' output is discarded: plan only reports.
func (p *Plan) RunChecks(env []string, stateDir, bin string) {
	for _, s := range p.Active() {
		if s.Action != ActionReuse || s.Resolved == nil || s.Resolved.Check == nil {
			continue
		}
		res := Exec(Proc{
			Argv:    s.Resolved.Check.Args(),
			Env:     PhaseEnv(env, p.Workflow, s, stateDir, bin, ""),
			Dir:     s.Resolved.Dir,
			Timeout: s.Resolved.Timeout,
			Output:  io.Discard,
		}, make(chan os.Signal), 0)
		s.CheckResult = &CheckResult{Passed: res.OK(), ExitCode: res.ExitCode}
		if !res.OK() {
			s.Decision = Decision{Action: ActionRerun, Reason: fmt.Sprintf("check failed (exit %d)", res.ExitCode)}
		}
	}
}
