package main

import (
	"errors"
	"fmt"

	"github.com/k0flow/k0flow/statestore"
)

// stateMigrate converts a v1 state, or one of the previous schema, to this
// one, or with dryRun prints the result.
func (c *cli) stateMigrate(store *statestore.Store, dryRun bool) error {
	m, err := store.Migrate(dryRun)
	switch {
	case errors.Is(err, statestore.ErrAlreadyV2):
		fmt.Fprintf(c.stdout, "%s is already schema_version %d; nothing to do.\n", displayPath(store.Path()), statestore.SchemaVersion)
		return nil
	case statestore.IsNotExist(err):
		return noState(store)
	case err != nil:
		return err
	}
	if dryRun {
		fmt.Fprint(c.stdout, string(m.Data))
		return nil
	}
	fmt.Fprintf(c.stdout, "Migrated %s (deployment %s) to schema_version %d.\n", displayPath(store.Path()), m.DeploymentID, statestore.SchemaVersion)
	if m.From != 0 {
		fmt.Fprintf(c.stdout, "The schema_version %d file is kept byte-for-byte in %s; runs beyond the %d most recent moved to %s.\n",
			m.From, displayPath(m.Archive), statestore.InlineRuns, displayPath(store.RunsLocation()))
		return nil
	}
	run := m.State.CurrentRun()
	fmt.Fprintf(c.stdout, "The v1 state and events are kept byte-for-byte in %s.\n", displayPath(m.Archive))
	fmt.Fprintf(c.stdout, "The bash history became run %s (%s, %s); the next 'k0flow apply' resumes from it.\n",
		run.RunID, run.Outcome, count(len(run.Phases), "phase"))
	return nil
}
