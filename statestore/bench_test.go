package statestore_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/k0flow/k0flow/statestore"
)

// historyState makes a store whose state holds n runs of a 9-phase
// workflow, like a deployment after n attempts.
func historyState(tb testing.TB, n int) *statestore.Store {
	tb.Helper()
	st := statestore.NewState("k0rdent-bench000")
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(i) * time.Hour)
		end := at.Add(40 * time.Minute)
		run := &statestore.Run{RunID: statestore.NewRunID(at), Kind: statestore.KindApply, StartedAt: at, EndedAt: &end,
			DurationSeconds: statestore.Seconds(40 * time.Minute), Outcome: statestore.OutcomeSuccess,
			Owner: &statestore.Owner{PID: 4242, Host: "build-7"},
			ConfigSnapshot: &statestore.ConfigSnapshot{Variables: map[string]any{"kof_enabled": true, "controller_count": 3},
				Flags: map[string]any{"kof": true}, Applicable: map[string]string{"setup_azure_children": "var.azure_children_enabled is false"},
				WorkflowChecksum: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}}
		for p := 0; p < 9; p++ {
			code := 0
			run.Phases = append(run.Phases, &statestore.PhaseRecord{Name: fmt.Sprintf("phase_%d", p), Status: statestore.StatusCompleted,
				StartedAt: &at, EndedAt: &end, DurationSeconds: statestore.Seconds(4 * time.Minute), ExitCode: &code,
				Log: "logs/" + run.RunID + "/phase.log", DefinitionChecksum: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"})
		}
		st.DeploymentRuns = append(st.DeploymentRuns, run)
	}
	st.CurrentRunID = st.LastRun().RunID
	store := statestore.Open(filepath.Join(tb.TempDir(), "state"))
	if err := store.UpdateOrInit(func() *statestore.State { return st }, func(*statestore.State) error { return nil }); err != nil {
		tb.Fatal(err)
	}
	return store
}

func BenchmarkLoad100Runs(b *testing.B) {
	store := historyState(b, 100)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := store.Load(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUpdate100Runs(b *testing.B) {
	store := historyState(b, 100)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := store.Update(func(st *statestore.State) error { return statestore.SetPath(st.Runtime, "wireguard.connected", true) })
		if err != nil {
			b.Fatal(err)
		}
	}
}
