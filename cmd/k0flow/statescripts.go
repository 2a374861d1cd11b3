package main

import (
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/k0flow/k0flow/phases"
	"github.com/k0flow/k0flow/statestore"
	"gopkg.in/yaml.v3"
)

// The subcommands below back the bash library's functions (k0flow
// shell-lib): phase marks, runs a bash driver starts itself, events and
// artifacts.

func (c *cli) stateScripts(store *statestore.Store, sub string, args []string, reason string, ownerPID int, out output) error {
	switch sub {
	case "phase":
		return c.statePhase(store, args, reason, ownerPID)
	case "run":
		return c.stateRun(store, args, ownerPID, out)
	case "event":
		if len(args) < 3 || args[0] != "add" {
			return usageErrorf("usage: k0flow state event add ACTION MESSAGE [--phase P]")
		}
		return c.addEvent(store, args[1], args[2], reason)
	case "artifact":
		return c.stateArtifact(store, args)
	case "exists":
		if _, err := store.Load(); err != nil {
			return silent(exitFailure)
		}
		return nil
	}
	return usageErrorf("unknown state subcommand %q", sub)
}

func (c *cli) owner(pid int) statestore.Owner {
	if pid <= 0 {
		pid = os.Getppid() // the script that called us
	}
	host, _ := os.Hostname()
	return statestore.Owner{PID: pid, Host: host}
}

func (c *cli) statePhase(store *statestore.Store, args []string, reason string, ownerPID int) error {
	if len(args) < 2 {
		return usageErrorf("usage: k0flow state phase status|applicable|needs-run|reset-from P | state phase mark P STATUS")
	}
	name := args[1]
	switch args[0] {
	case "status":
		st, err := store.Load()
		if statestore.IsNotExist(err) {
			fmt.Fprintln(c.stdout, "pending") // as the v1 phase_status did
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, st.PhaseStatus(name))
		return nil
	case "needs-run":
		st, err := store.Load()
		if err != nil && !statestore.IsNotExist(err) {
			return err
		}
		if st != nil && st.PhaseStatus(name) == statestore.StatusCompleted {
			return silent(exitFailure)
		}
		return nil
	case "applicable":
		return c.phaseApplicable(store, name)
	case "reset-from":
		return c.resetFrom(store, name, ownerPID)
	case "mark":
		if len(args) != 3 {
			return usageErrorf("usage: k0flow state phase mark P completed|in_progress|pending|failed|skipped")
		}
		return c.markPhase(store, name, args[2], reason, ownerPID)
	}
	return usageErrorf("unknown state phase subcommand %q", args[0])
}

// phaseApplicable is phase_is_applicable: exit 0 when the phase applies.
func (c *cli) phaseApplicable(store *statestore.Store, name string) error {
	st, err := store.Load()
	if err != nil && !statestore.IsNotExist(err) {
		return err
	}
	ok, _, err := phases.IsApplicable(name, c.inRun(), c.workflowIfAny(), st, c.env)
	if err != nil {
		return err
	}
	if !ok {
		return silent(exitFailure)
	}
	return nil
}

func (c *cli) markPhase(store *statestore.Store, name, status, reason string, ownerPID int) error {
	m := statestore.Mark{Phase: name, Status: status, Reason: reason, RunID: c.inRun(),
		Self: c.getenv("K0FLOW_PHASE"), Owner: c.owner(ownerPID)}
	return c.recordMark(store, update, m)
}

func (c *cli) resetFrom(store *statestore.Store, name string, ownerPID int) error {
	order := c.phaseOrder()
	if slices.Index(order, name) < 0 {
		return usageErrorf("unknown phase %q (phases: %v)", name, order)
	}
	return c.recordReset(store, update, order, name, c.owner(ownerPID))
}

// updater is a Store update with the caller's answer for "no state yet".
type updater func(*statestore.Store, func(*statestore.State) error) error

// recordMark records a script's phase mark, and the event v1 wrote with it.
func (c *cli) recordMark(store *statestore.Store, upd updater, m statestore.Mark) error {
	var id string
	var ev *statestore.Event
	err := upd(store, func(st *statestore.State) (err error) {
		id = st.DeploymentID
		ev, err = st.MarkPhase(m, statestore.Now())
		return err
	})
	if err != nil {
		return err
	}
	return c.event(store, id, ev)
}

// recordReset is phase_reset_from: name and every phase after it in order.
func (c *cli) recordReset(store *statestore.Store, upd updater, order []string, name string, owner statestore.Owner) error {
	i := slices.Index(order, name)
	var id string
	var ev *statestore.Event
	err := upd(store, func(st *statestore.State) (err error) {
		id = st.DeploymentID
		ev, err = st.ResetFrom(order[i:], owner, c.inRun() != "", statestore.Now())
		return err
	})
	if err != nil {
		return err
	}
	return c.event(store, id, ev)
}

// phaseOrder is the phases in order: the workflow's, else the bash
// project's PHASE_SEQUENCE.
func (c *cli) phaseOrder() []string {
	if wf := c.workflowIfAny(); wf != nil {
		return wf.PhaseNames()
	}
	return statestore.PhaseSequence
}

func (c *cli) stateRun(store *statestore.Store, args []string, ownerPID int, out output) error {
	if len(args) == 0 {
		return usageErrorf("usage: k0flow state run start|complete OUTCOME|current|info RUN KEY")
	}
	inRun := c.getenv("K0FLOW_RUN_ID")
	switch args[0] {
	case "start":
		if inRun != "" {
			fmt.Fprintln(c.stdout, inRun) // k0flow apply already records this run
			return nil
		}
		var id string
		err := store.UpdateOrInit(func() *statestore.State {
			return statestore.NewState(c.deploymentID())
		}, func(st *statestore.State) error {
			id = st.StartBashRun(c.owner(ownerPID), statestore.Now()).RunID
			return nil
		})
		if err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, id)
		return nil
	case "complete":
		if len(args) != 2 {
			return usageErrorf("usage: k0flow state run complete success|failed|interrupted")
		}
		if inRun != "" {
			return nil // the runner records the outcome of its own run
		}
		return update(store, func(st *statestore.State) error {
			_, err := st.CompleteBashRun(args[1], statestore.Now())
			return err
		})
	case "current":
		if inRun != "" {
			fmt.Fprintln(c.stdout, inRun)
			return nil
		}
		st, err := loadState(store)
		if err != nil {
			return err
		}
		if st.CurrentRunID == "" {
			fmt.Fprintln(c.stdout, "null")
			return silent(exitFailure)
		}
		fmt.Fprintln(c.stdout, st.CurrentRunID)
		return nil
	case "info":
		if len(args) != 3 {
			return usageErrorf("usage: k0flow state run info RUN KEY")
		}
		return c.runInfo(store, args[1], args[2], out)
	}
	return usageErrorf("unknown state run subcommand %q", args[0])
}

// deploymentID names a deployment a bash driver starts: the bash
// project's ./.clusterid (or the workflow's id_file) when there is one.
func (c *cli) deploymentID() string {
	if wf := c.workflowIfAny(); wf != nil {
		if id, err := phases.NewDeploymentID(wf); err == nil {
			return id
		}
	}
	if id, err := phases.ReadIDFile(".clusterid"); err == nil && id != "" {
		return id
	}
	return statestore.NewDeploymentID("k0rdent")
}

// runInfo prints a dotted key of a run's record: outcome,
// phases.install_k0s.status, config_snapshot.flags.kof.
func (c *cli) runInfo(store *statestore.Store, ref, key string, out output) error {
	st, err := loadState(store)
	if err != nil {
		return err
	}
	run, err := st.ResolveRun(ref) // one naming of runs for show, diff and get_run_info
	if err != nil {
		return err
	}
	data, err := yaml.Marshal(run)
	if err != nil {
		return err
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return err
	}
	v, ok := statestore.GetPath(m, key)
	return c.answer(v, ok, out)
}

func (c *cli) addEvent(store *statestore.Store, action, message, phase string) error {
	st, err := store.Load()
	id := ""
	if err == nil {
		id = st.DeploymentID
	} else if !statestore.IsNotExist(err) {
		return err
	}
	return store.AppendEvent(id, statestore.Event{Action: action, Message: message, Phase: phase, RunID: c.getenv("K0FLOW_RUN_ID")})
}

func (c *cli) stateArtifact(store *statestore.Store, args []string) error {
	switch {
	case len(args) >= 3 && len(args) <= 4 && args[0] == "record":
		entry := map[string]any{"path": args[2], "updated_at": statestore.Now().Format("2006-01-02T15:04:05Z")}
		if len(args) == 4 {
			entry["metadata"] = args[3]
		}
		return update(store, func(st *statestore.State) error {
			return statestore.SetPath(st.Runtime, "artifacts."+args[1], entry)
		})
	case len(args) == 2 && args[0] == "exists":
		st, err := store.Load()
		if err != nil {
			return silent(exitFailure)
		}
		if _, ok := statestore.GetPath(st.Runtime, "artifacts."+args[1]+".path"); !ok {
			return silent(exitFailure)
		}
		return nil
	}
	return usageErrorf("usage: k0flow state artifact record NAME PATH [METADATA] | state artifact exists NAME")
}

var errNoCache = errors.New("no outputs cached")

// invalidate marks the outputs cache stale: the next read warns and the
// next phase that needs it syncs. The outputs stay for offline reads.
func invalidate(st *statestore.State) error {
	f := st.InfrastructureFacts
	if f == nil || f.CacheTimestamp == nil {
		return errNoCache
	}
	f.OldCacheTimestamp, f.CacheTimestamp = f.CacheTimestamp, nil
	return nil
}
