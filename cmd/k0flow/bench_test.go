package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/statestore/statetest"
)

// bigState writes a deployment with 1,000 runs and returns its store.
func bigState(b *testing.B) *statestore.Store {
	b.Helper()
	store := statestore.Open(filepath.Join(b.TempDir(), "state"))
	err := store.UpdateOrInit(func() *statestore.State { return statetest.History(1000) }, func(*statestore.State) error { return nil })
	if err != nil {
		b.Fatal(err)
	}
	return store
}

// BenchmarkHistoryStatusShow1000Runs is what history, status and show cost
// on a deployment with 1,000 runs: load the state and build each view.
func BenchmarkHistoryStatusShow1000Runs(b *testing.B) {
	store := bigState(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, err := store.Load()
		if err != nil {
			b.Fatal(err)
		}
		printHistory(io.Discard, historyRows(st, historyFilter{}), false)
		s, _ := toStatus(st)
		printStatus(io.Discard, s)
		run, _ := resolveRun(st, "last-failed")
		printRun(io.Discard, showView(store, run, 40))
	}
}

// BenchmarkBaselineParse1000Runs is the same state read the slow way: a
// full YAML parse and schema validation, as for a file edited by hand.
func BenchmarkBaselineParse1000Runs(b *testing.B) {
	data, err := os.ReadFile(bigState(b).Path())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := statestore.Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}
