package main

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/statestore/statetest"
)

// libBench is a library server's side of calls on a 10-run state (about
// 20 KiB), without bash and the socket: the share of a call that is k0flow's.
func libBench(b *testing.B, call ...string) {
	dir := filepath.Join(b.TempDir(), "state")
	if err := statestore.Open(dir).UpdateOrInit(func() *statestore.State { return statetest.History(10) }, func(st *statestore.State) error {
		return statestore.SetPath(st.Runtime, "bench.k1", "v1")
	}); err != nil {
		b.Fatal(err)
	}
	c := &cli{stdout: io.Discard, stderr: io.Discard, env: []string{"K0FLOW_STATE_DIR=" + dir}}
	c.ambientLoaded = true
	srv := c.open(dir)
	srv.DeferSync = true // as apply's library server
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.libCall(srv, call); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLibGetState10Runs(b *testing.B)    { libBench(b, "get_state", "bench.k1") }
func BenchmarkLibUpdateState10Runs(b *testing.B) { libBench(b, "update_state", "bench.k1", "v") }
