package statestore_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/statestore/statetest"
)

// TestWindowMovesOldRunsAndLoadSeesAll: what a save rewrites is bounded
// (the file keeps InlineRuns runs), while Load returns every run, oldest
// first, exactly as it was recorded.
func TestWindowMovesOldRunsAndLoadSeesAll(t *testing.T) {
	mem := statestore.NewMemory()
	store := statestore.OpenStorage("", mem)
	want := statetest.History(12)
	all := append([]*statestore.Run(nil), want.DeploymentRuns...)
	if err := store.UpdateOrInit(func() *statestore.State { return want }, func(*statestore.State) error { return nil }); err != nil {
		t.Fatal(err)
	}
	data, _, _ := mem.Read(statestore.StateFile)
	inline, err := statestore.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(inline.DeploymentRuns) != statestore.InlineRuns {
		t.Fatalf("the state file holds %d runs, want %d", len(inline.DeploymentRuns), statestore.InlineRuns)
	}
	if names, _ := mem.List(statestore.RunsDir); len(names) != 12-statestore.InlineRuns {
		t.Fatalf("run files: %q, want %d", names, 12-statestore.InlineRuns)
	}
	got, err := store.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(got.DeploymentRuns) != 12 {
		t.Fatalf("Load sees %d runs, want 12", len(got.DeploymentRuns))
	}
	for i, r := range got.DeploymentRuns {
		w := all[i]
		if r.RunID != w.RunID || r.Outcome != w.Outcome || len(r.Phases) != len(w.Phases) {
			t.Errorf("run %d = %s %s, want %s %s", i, r.RunID, r.Outcome, w.RunID, w.Outcome)
		}
		if !reflect.DeepEqual(r.ConfigSnapshot, w.ConfigSnapshot) || !reflect.DeepEqual(r.Error, w.Error) {
			t.Errorf("run %d: snapshot or error changed on the way through its file", i)
		}
	}
	recent, err := store.LoadRecent()
	if err != nil || len(recent.DeploymentRuns) != statestore.InlineRuns {
		t.Fatalf("LoadRecent: %d runs, %v", len(recent.DeploymentRuns), err)
	}
}

// TestRunInBothPlacesIsSeenOnce: a save cut short between writing a run's
// file and the state that no longer holds it leaves the run in both
// places; it is one run, the state's copy.
func TestRunInBothPlacesIsSeenOnce(t *testing.T) {
	mem := statestore.NewMemory()
	store := statestore.OpenStorage("", mem)
	st := statetest.History(3)
	if err := store.UpdateOrInit(func() *statestore.State { return st }, func(*statestore.State) error { return nil }); err != nil {
		t.Fatal(err)
	}
	stale := *st.DeploymentRuns[1]
	stale.Outcome = statestore.OutcomeFailed
	data, err := statestore.EncodeRun(&stale)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = mem.Write(statestore.RunFile(stale.RunID), data, "")
	got, err := store.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(got.DeploymentRuns) != 3 || got.DeploymentRuns[1].Outcome != st.DeploymentRuns[1].Outcome {
		t.Fatalf("runs = %d, second %s; want 3, the state's %s", len(got.DeploymentRuns), got.DeploymentRuns[1].Outcome, st.DeploymentRuns[1].Outcome)
	}
}

// TestBrokenRunFileIsNamed: a run file that does not load stops the
// reader with its name, and nothing is rewritten.
func TestBrokenRunFileIsNamed(t *testing.T) {
	mem := statestore.NewMemory()
	store := statestore.OpenStorage("", mem)
	if err := store.UpdateOrInit(func() *statestore.State { return statetest.History(2) }, func(*statestore.State) error { return nil }); err != nil {
		t.Fatal(err)
	}
	_, _ = mem.Write(statestore.RunFile("20250101T000000Z-000000"), []byte("# run\n{\"run_id\": 1}\n"), "")
	_, err := store.Load()
	if err == nil || !strings.Contains(err.Error(), "memory:runs/20250101T000000Z-000000.yaml") {
		t.Fatalf("err = %v, want it to name the run file", err)
	}
}

// stateReads is Memory counting the reads of the state file.
type stateReads struct {
	*statestore.Memory
	n int
}

func (s *stateReads) Read(name string) ([]byte, string, error) {
	if name == statestore.StateFile {
		s.n++
	}
	return s.Memory.Read(name)
}

// TestLoadForReadsTheStateOnce: when the recent runs do not answer, the
// older ones are added to what was read, not read with the file again.
func TestLoadForReadsTheStateOnce(t *testing.T) {
	mem := &stateReads{Memory: statestore.NewMemory()}
	store := statestore.OpenStorage("", mem)
	if err := store.UpdateOrInit(func() *statestore.State { return statetest.History(12) }, func(*statestore.State) error { return nil }); err != nil {
		t.Fatal(err)
	}
	never := func(*statestore.State) bool { return false }
	for name, load := range map[string]func() (*statestore.State, error){
		"LoadFor": func() (*statestore.State, error) { return store.LoadFor(never) },
		"LoadForReadingFor": func() (*statestore.State, error) {
			st, _, err := statestore.OpenStorageReadOnly("", mem).LoadForReadingFor(never)
			return st, err
		},
	} {
		mem.n = 0
		st, err := load()
		if err != nil {
			t.Fatal(err)
		}
		if len(st.DeploymentRuns) != 12 || mem.n != 1 {
			t.Errorf("%s: %d runs from %d reads of the state file, want 12 from 1", name, len(st.DeploymentRuns), mem.n)
		}
	}
}
