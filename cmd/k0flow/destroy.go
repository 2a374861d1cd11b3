package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/k0flow/k0flow/phases"
	"github.com/k0flow/k0flow/statestore"
	"golang.org/x/term"
)

func init() {
	register(&command{
		name:    "destroy",
		summary: "Tear the deployment down: destroy commands of completed phases, in reverse order",
		usage: "destroy [FILE] [-var k=v]... [--yes] [--on-exit CMD]\n\n" +
			"Runs as a recorded run of kind destroy, resumed like an apply if interrupted. After a\n" +
			"successful destroy the state is archived in old_deployments/ and the next apply starts anew.",
		example: "k0flow destroy --yes --on-exit 'notify-send \"k0flow $K0FLOW_OUTCOME\"'",
		run:     cmdDestroy,
	})
}

func cmdDestroy(c *cli, args []string) error {
	a, err := c.parseDestroy(args)
	if err != nil {
		return err
	}
	out := a.out
	l, err := c.loadWorkflow(&a.wf, true)
	if err != nil {
		return err
	}
	store := c.open(l.wf.StateDir)
	lk, err := phases.Lock(context.Background(), store, "destroy "+l.wf.Filename)
	if err != nil {
		return err
	}
	defer lk.Unlock()
	c.noteRecovered(lk.Recovered)
	plan, diags, err := phases.PlanDestroy(store, l.wf, l.scope, a.forget)
	if errors.Is(err, phases.ErrNothingToDestroy) {
		c.runNote(out, streamEvent{Type: "nothing_to_destroy", Message: fmt.Sprintf("Nothing to destroy: no deployment state in %s.", displayPath(store.Dir))})
		return nil
	}
	if err != nil {
		return err
	}
	if err := c.diagnostics(l.loader, diags); err != nil {
		return err
	}
	st := plan.State
	infra, err := phases.NewInfra(l.wf, store)
	if err != nil {
		return err
	}
	if err := c.confirmDestroy(st, plan, a.yes, out.json()); err != nil {
		return err
	}
	run, runErr := c.runPlan(store, plan, infra, a.run, out)
	c.onExit(a.run.onExit, run, out)
	if runErr != nil {
		return runErr
	}
	dir, err := store.ArchiveDeployment("destroy")
	if err != nil {
		return fmt.Errorf("the deployment is destroyed, but archiving its state failed: %w", err)
	}
	if err := phases.ForgetDeploymentID(l.wf, st.DeploymentID); err != nil {
		return fmt.Errorf("the deployment is destroyed and archived in %s, but removing its id file failed: %w", displayPath(dir), err)
	}
	c.runNote(out, streamEvent{Type: "deployment_archived", RunID: run.RunID, Log: displayPath(dir),
		Message: fmt.Sprintf("Deployment %s destroyed; its state, events and logs are in %s. The next apply starts a new deployment.",
			st.DeploymentID, displayPath(dir))})
	return nil
}

// confirmDestroy lists what will be torn down and asks, unless --yes.
func (c *cli) confirmDestroy(st *statestore.State, plan *phases.Plan, yes, stream bool) error {
	w := c.stdout
	if stream {
		w = c.stderr // stdout is the JSON stream
	}
	var lines []string
	for _, s := range plan.Active() {
		what := plan.DestroyCommand(s)
		if s.Action == phases.ActionReuse {
			what = "already " + s.Reason
		}
		lines = append(lines, fmt.Sprintf("  %-24s %s", s.Phase.Name, what))
	}
	if len(lines) == 0 {
		fmt.Fprintf(w, "Destroying deployment %s runs nothing: no completed phase has a destroy command. Its state, events and logs move to old_deployments/.\n", st.DeploymentID)
	} else {
		fmt.Fprintf(w, "Destroying deployment %s tears down, in this order:\n%s\n", st.DeploymentID, strings.Join(lines, "\n"))
	}
	if yes {
		return nil
	}
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return usageErrorf("refusing to destroy without confirmation: there is no terminal to ask; pass --yes")
	}
	fmt.Fprint(w, "Type yes to continue: ")
	answer, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	if strings.TrimSpace(answer) != "yes" {
		return &exitError{code: exitFailure, err: fmt.Errorf("destroy cancelled")}
	}
	return nil
}

// runPlan executes a plan under signal handling, as apply and destroy do.
func (c *cli) runPlan(store *statestore.Store, plan *phases.Plan, infra *phases.Infra, ra runArgs, out output) (*statestore.Run, error) {
	sigs := make(chan os.Signal, 2)
	// SIGHUP is a closed terminal or SSH session: stop the phase as for
	// SIGTERM rather than leave it running unsupervised. A closed pipe on
	// stdout must not kill the runner mid-record either.
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	signal.Ignore(syscall.SIGPIPE)
	defer signal.Reset(syscall.SIGPIPE)
	env := append(append([]string(nil), c.env...), c.backendEnv()...)
	if srv, vars, err := c.startLibServer(store.Dir); err != nil {
		// The scripts' calls then start processes, as outside a run.
		fmt.Fprintf(c.stderr, "Warning: %v; the shell library will start a k0flow process for each call\n", err)
	} else {
		defer srv.Close()
		env = append(env, vars...)
	}
	observer, output := c.runView(out, ra.color, store)
	runner := &phases.Runner{
		Store:     store,
		Heartbeat: c.heartbeat(),
		Observer:  observer,
		Output:    output,
		Signals:   sigs,
		Grace:     ra.grace,
		Bin:       binPath(),
		Version:   version(),
		Env:       env,
		Infra:     infra,
	}
	return runner.Apply(plan)
}

// heartbeat is how long a phase may print nothing before k0flow says it is
// still running: 30s, or $K0FLOW_PROGRESS_INTERVAL (a duration; 0 turns it off).
func (c *cli) heartbeat() time.Duration {
	if v := c.getenv("K0FLOW_PROGRESS_INTERVAL"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
		fmt.Fprintf(c.stderr, "Warning: K0FLOW_PROGRESS_INTERVAL=%q is not a duration such as 30s; using 30s\n", v)
	}
	return 30 * time.Second
}

// onExit runs the user's hook once the run has ended, whatever its outcome.
func (c *cli) onExit(command string, run *statestore.Run, out output) {
	if command == "" || run == nil {
		return
	}
	cmd := exec.Command("bash", "-c", command)
	cmd.Env = append(append([]string(nil), c.env...), "K0FLOW_RUN_ID="+run.RunID, "K0FLOW_OUTCOME="+run.Outcome)
	cmd.Stdout, cmd.Stderr = c.stdout, c.stderr
	if out.json() {
		cmd.Stdout = c.stderr // stdout is the JSON stream
	}
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(c.stderr, "Warning: --on-exit command failed: %v\n", err)
	}
}
