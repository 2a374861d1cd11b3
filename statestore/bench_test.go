package statestore_test

import (
	"path/filepath"
	"testing"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/statestore/statetest"
)

// historyState makes a store whose state holds n runs of history.
func historyState(tb testing.TB, n int) *statestore.Store {
	tb.Helper()
	store := statestore.Open(filepath.Join(tb.TempDir(), "state"))
	err := store.UpdateOrInit(func() *statestore.State { return statetest.History(n) }, func(*statestore.State) error { return nil })
	if err != nil {
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
