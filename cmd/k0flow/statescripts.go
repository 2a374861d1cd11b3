package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/k0flow/k0flow/phases"
	"github.com/k0flow/k0flow/statestore"
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
		if _, err := store.LoadRecent(); err != nil {
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
		st, err := phases.LoadForPhase(store, name)
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
		st, err := phases.LoadForPhase(store, name)
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
	inRun := c.inRun()
	st, err := store.LoadFor(func(st *statestore.State) bool { return inRun == "" || st.Run(inRun) != nil })
	if err != nil && !statestore.IsNotExist(err) {
		return err
	}
	ok, _, err := phases.IsApplicable(name, inRun, c.workflowIfAny(), st, c.env)
	if err != nil {
		return err
	}
	if !ok {
		return silent(exitFailure)
	}
	return nil
}

// scripts is what a calling script records (phases.Scripts): upd says
// what "no state yet" means to the caller, owner is the script (see
// c.owner); the workflow is looked for only by what needs it.
func (c *cli) scripts(store *statestore.Store, upd func(*statestore.Store, func(*statestore.State) error) error, owner statestore.Owner) phases.Scripts {
	return phases.Scripts{Store: store, InRun: c.inRun(), Workflow: c.workflowIfAny, Owner: owner, Update: upd}
}

func (c *cli) markPhase(store *statestore.Store, name, status, reason string, ownerPID int) error {
	return c.scripts(store, update, c.owner(ownerPID)).Mark(statestore.Mark{Phase: name, Status: status, Reason: reason, Self: c.getenv("K0FLOW_PHASE")})
}

func (c *cli) resetFrom(store *statestore.Store, name string, ownerPID int) error {
	err := c.scripts(store, update, c.owner(ownerPID)).ResetFrom(name)
	var unknown *phases.ErrUnknownPhase
	if errors.As(err, &unknown) {
		return usageErrorf("%v", err)
	}
	return err
}

func (c *cli) stateRun(store *statestore.Store, args []string, ownerPID int, out output) error {
	if len(args) == 0 {
		return usageErrorf("usage: k0flow state run start|complete OUTCOME|current|info RUN KEY")
	}
	s := c.scripts(store, update, c.owner(ownerPID))
	switch args[0] {
	case "start":
		id, err := s.StartRun()
		if err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, id)
		return nil
	case "complete":
		if len(args) != 2 {
			return usageErrorf("usage: k0flow state run complete success|failed|interrupted")
		}
		return s.CompleteRun(args[1])
	case "current":
		id, err := s.CurrentRun()
		if statestore.IsNotExist(err) {
			return noState(store)
		}
		if err != nil {
			return err
		}
		if id == "" {
			fmt.Fprintln(c.stdout, "null")
			return silent(exitFailure)
		}
		fmt.Fprintln(c.stdout, id)
		return nil
	case "info":
		if len(args) != 3 {
			return usageErrorf("usage: k0flow state run info RUN KEY")
		}
		return c.runInfo(store, args[1], args[2], out)
	}
	return usageErrorf("unknown state run subcommand %q", args[0])
}

// runInfo prints a dotted key of a run's record: outcome,
// phases.install_k0s.status, config_snapshot.flags.kof.
func (c *cli) runInfo(store *statestore.Store, ref, key string, out output) error {
	st, err := loadState(store, func(st *statestore.State) bool { return st.RecentDecides(ref) })
	if err != nil {
		return err
	}
	run, err := st.ResolveRun(ref) // one naming of runs for show, diff and get_run_info
	if err != nil {
		return err
	}
	v, ok, err := run.Field(key)
	if err != nil {
		return err
	}
	return c.answer(v, ok, out)
}

func (c *cli) addEvent(store *statestore.Store, action, message, phase string) error {
	st, err := store.LoadRecent()
	id := ""
	if err == nil {
		id = st.DeploymentID
	} else if !statestore.IsNotExist(err) {
		return err
	}
	return c.scripts(store, update, statestore.Owner{}).Event(id, statestore.Event{Action: action, Message: message, Phase: phase})
}

func (c *cli) stateArtifact(store *statestore.Store, args []string) error {
	switch {
	case len(args) >= 3 && len(args) <= 4 && args[0] == "record":
		meta := ""
		if len(args) == 4 {
			meta = args[3]
		}
		return update(store, func(st *statestore.State) error {
			return st.RecordArtifact(args[1], args[2], meta, statestore.Now())
		})
	case len(args) == 2 && args[0] == "exists":
		st, err := store.LoadRecent()
		if err != nil || st.ArtifactPath(args[1]) == "" {
			return silent(exitFailure)
		}
		return nil
	}
	return usageErrorf("usage: k0flow state artifact record NAME PATH [METADATA] | state artifact exists NAME")
}
