package phases

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/statestore/statetest"
)

// countingStorage counts reads of moved run records.
type countingStorage struct {
	*statestore.Memory
	runReads atomic.Int64
}

func (c *countingStorage) Read(name string) ([]byte, string, error) {
	if strings.HasPrefix(name, statestore.RunsDir) {
		c.runReads.Add(1)
	}
	return c.Memory.Read(name)
}

// A lookup reads the runs moved out of the state file only for a key that
// reads run records and that the recent runs do not answer: a missing
// runtime value (a script's get_state of a key never set) reads one file.
func TestLoadForReadsRunsOnlyWhenTheyCanAnswer(t *testing.T) {
	mem := &countingStorage{Memory: statestore.NewMemory()}
	store := statestore.OpenStorage("state", mem)
	hist := statetest.History(40)
	// A phase only the oldest run has: its newest record is in a run file.
	hist.DeploymentRuns[0].Phases = append(hist.DeploymentRuns[0].Phases, &statestore.PhaseRecord{Name: "retired", Status: statestore.StatusCompleted})
	if err := store.UpdateOrInit(func() *statestore.State { return hist }, func(*statestore.State) error { return nil }); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key       string
		readsRuns bool
	}{
		{"wireguard.never_set", false},
		{"config.no_such", false},
		{"phases.phase_3.status", false}, // the recent runs answer
		{"phases.retired.status", true},
		{"phases.never_existed.status", true},
	} {
		before := mem.runReads.Load()
		st, err := LoadFor(store, c.key)
		if err != nil {
			t.Fatal(err)
		}
		if got := mem.runReads.Load() > before; got != c.readsRuns {
			t.Errorf("LoadFor(%s) read run files: %v, want %v", c.key, got, c.readsRuns)
		}
		if c.key == "phases.retired.status" {
			if v, ok := LookupState(st, c.key); !ok || v != statestore.StatusCompleted {
				t.Errorf("phases.retired.status = %v, %v; want completed from the run file", v, ok)
			}
		}
	}
}
