package main

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/statestore/statetest"
)

func BenchmarkLibGetState10Runs(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "state")
	store := statestore.Open(dir)
	if err := store.UpdateOrInit(func() *statestore.State { return statetest.History(10) }, func(st *statestore.State) error {
		return statestore.SetPath(st.Runtime, "bench.k1", "v1")
	}); err != nil {
		b.Fatal(err)
	}
	c := &cli{stdout: io.Discard, stderr: io.Discard, env: []string{"K0FLOW_STATE_DIR=" + dir}}
	c.ambientLoaded = true
	srv := c.open(dir)
	srv.DeferSync = true
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.libCall(srv, []string{"get_state", "bench.k1"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLibUpdateState10Runs(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "state")
	store := statestore.Open(dir)
	if err := store.UpdateOrInit(func() *statestore.State { return statetest.History(10) }, func(st *statestore.State) error { return nil }); err != nil {
		b.Fatal(err)
	}
	c := &cli{stdout: io.Discard, stderr: io.Discard, env: []string{"K0FLOW_STATE_DIR=" + dir}}
	c.ambientLoaded = true
	srv := c.open(dir)
	srv.DeferSync = true
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.libCall(srv, []string{"update_state", "bench.k1", "v"}); err != nil {
			b.Fatal(err)
		}
	}
}
