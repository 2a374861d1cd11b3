package phases

import (
	"fmt"
	"io"
	"os"
	"time"
)

// RunChecks runs the check of every phase the plan would reuse, as apply
// would at the phase's turn, and turns a failing one into a re-run. The
// checks' output is discarded: plan only reports.
//
// sigs are the signals the caller receives: one stops the running check's
// process group as apply would (grace, then SIGKILL) and ends the checks;
// RunChecks then returns an *InterruptedError.
func (p *Plan) RunChecks(env []string, stateDir, bin string, sigs <-chan os.Signal, grace time.Duration) error {
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
		}, sigs, grace)
		if res.Interrupted != nil {
			return &InterruptedError{Signal: res.Interrupted}
		}
		s.CheckResult = &CheckResult{Passed: res.OK(), ExitCode: res.ExitCode}
		if !res.OK() {
			s.Decision = Decision{Action: ActionRerun, Reason: fmt.Sprintf("check failed (exit %d)", res.ExitCode)}
		}
	}
	return nil
}
