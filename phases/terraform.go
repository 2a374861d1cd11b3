package phases

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
)

// syncInfra makes sure the outputs cache matches the Terraform state and is
// younger than max_age before a phase that reads infra.* is evaluated.
func (r *Runner) syncInfra(step *Step) error {
	if r.Infra == nil {
		return fmt.Errorf("reads infra.*, but the workflow has no terraform block")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	rep, err := r.Infra.Sync(ctx, false)
	if err != nil {
		return fmt.Errorf("infra sync: %w", err)
	}
	if rep.Synced {
		if o, ok := r.Observer.(InfraObserver); ok {
			o.InfraSynced(step, rep.Reason, rep.OutputsChanged)
		} else {
			fmt.Fprintf(r.Output, "      infra sync: %s\n", rep.Reason)
		}
	}
	if err := missingOutputs(step.Phase, rep.Facts); err != nil {
		return err
	}
	val, err := workflow.InfraValue(rep.Facts.Outputs, rep.Facts.SensitiveOutputs)
	if err != nil {
		return err
	}
	r.plan.Scope.SetInfra(val)
	// Recorded with the phase's next save (its start, or its reuse), not
	// a save of its own: each is a rewrite of the whole state file.
	at, name := rep.Facts.CacheTimestamp, step.Phase.Name
	r.unsaved = func(run *statestore.Run) { run.Phases.Get(name).InfraCacheTimestamp = at }
	return nil
}

// terraform runs a built-in terraform phase through terraform-exec, its
// output streamed to the terminal and the phase log. A signal cancels the
// context, which makes terraform-exec send SIGINT, terraform's own graceful
// stop; it is killed only after the grace period.
func (r *Runner) terraform(step *Step, log string) Result {
	f, err := r.Store.OpenLog(log)
	if err != nil {
		return Result{ExitCode: -1, Err: fmt.Errorf("open log: %w", err)}
	}
	defer f.Close()
	tf := r.Infra.TF
	tf.SetGrace(r.Grace)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if t := step.Resolved.Timeout; t > 0 {
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	sig := make(chan os.Signal, 1)
	stop := make(chan struct{})
	groups, scan := watchChildGroups(stop)
	go func() {
		select {
		case s := <-r.Signals:
			scan() // what runs now, before terraform's stop reparents it
			sig <- s
			cancel()
		case <-stop:
		}
	}()
	start := time.Now()
	err = r.terraformAction(ctx, step, io.MultiWriter(r.Output, f))
	close(stop)
	res := Result{Duration: time.Since(start)}
	select {
	case res.Interrupted = <-sig:
	default:
	}
	if err != nil || res.Interrupted != nil {
		// terraform ran in its own process group (terraform-exec makes it
		// and does not say which): what it left behind there, a local-exec
		// provisioner's child, goes as a run phase's would.
		for _, pgid := range groups() {
			signalGroup(pgid, syscall.SIGKILL)
		}
	}
	if err != nil {
		res.ExitCode = 1
		res.TimedOut = ctx.Err() == context.DeadlineExceeded
		if res.Interrupted == nil && !res.TimedOut {
			res.Err = err
			fmt.Fprintln(f, err)
		}
	}
	return res
}

func (r *Runner) terraformAction(ctx context.Context, step *Step, out io.Writer) error {
	if err := r.runTerraform(ctx, step, out); err != nil {
		return err
	}
	action := step.Phase.Terraform
	if r.plan.Kind == statestore.KindDestroy {
		action = "destroy"
	}
	if err := r.Infra.Touch(action); err != nil {
		return err
	}
	// The state changed under the cache: take the new outputs now, so the
	// next phase reads them without another sync.
	if _, err := r.Infra.Sync(ctx, true); err != nil {
		return fmt.Errorf("infra sync after terraform %s: %w", action, err)
	}
	return nil
}

// runTerraform streams what terraform prints while it changes things. Only
// then: `terraform output -json` would put sensitive values in the log.
func (r *Runner) runTerraform(ctx context.Context, step *Step, out io.Writer) error {
	tf := r.Infra.TF
	// terraform-exec asks `terraform version -json` before its first
	// command; asked now, its answer is cached and stays out of the log.
	if _, err := tf.Version(ctx); err != nil {
		return err
	}
	tf.Stream(out)
	defer tf.Stream(io.Discard)
	if err := tf.Init(ctx); err != nil {
		return err
	}
	vars := step.Resolved.TerraformVars
	if r.plan.Kind == statestore.KindDestroy {
		return tf.Destroy(ctx, vars)
	}
	switch step.Phase.Terraform {
	case "apply":
		return tf.Apply(ctx, vars)
	case "refresh":
		return tf.Refresh(ctx, vars)
	}
	return fmt.Errorf("unknown terraform action %q", step.Phase.Terraform)
}

func maxAge(w *workflow.Workflow) time.Duration {
	if t := w.Terraform; t != nil {
		return t.MaxAge
	}
	return workflow.DefaultMaxAge
}

func vmOutput(w *workflow.Workflow) string {
	if t := w.Terraform; t != nil {
		return t.VMOutput
	}
	return "vm_details"
}

// watchChildGroups notes, until stop closes, the process groups of this
// process's descendants other than its own (terraform-exec starts
// terraform in a group of its own; a provisioner may start another), and
// returns a function that lists them and one that scans at once.
func watchChildGroups(stop <-chan struct{}) (func() []int, func()) {
	var mu sync.Mutex
	seen := map[int]bool{}
	me, mine := os.Getpid(), syscall.Getpgrp()
	scan := func() {
		parent, group := map[int]int{}, map[int]int{}
		forEachProc(func(pid, ppid, pgrp int, state string) {
			if state != "Z" {
				parent[pid], group[pid] = ppid, pgrp
			}
		})
		for pid, pgrp := range group {
			if pgrp == mine {
				continue
			}
			for p, hops := parent[pid], 0; p > 1 && hops < 64; p, hops = parent[p], hops+1 {
				if p == me {
					mu.Lock()
					seen[pgrp] = true
					mu.Unlock()
					break
				}
			}
		}
	}
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				scan()
			}
		}
	}()
	list := func() []int {
		mu.Lock()
		defer mu.Unlock()
		var out []int
		for pid := range seen {
			out = append(out, pid)
		}
		return out
	}
	return list, scan
}
