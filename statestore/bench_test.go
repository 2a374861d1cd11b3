package statestore_test

import (
	"path/filepath"
	"testing"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/statestore/statetest"
	"gopkg.in/yaml.v3"
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

// The codec's choice, measured: the state file as encoding/json writes and
// reads it, against yaml.v3 on the same state (five runs, the window).
func BenchmarkCodecJSONEncode(b *testing.B) {
	st := statetest.History(statestore.InlineRuns)
	for i := 0; i < b.N; i++ {
		if _, err := statestore.Encode(st); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCodecJSONDecode(b *testing.B) {
	data, _ := statestore.Encode(statetest.History(statestore.InlineRuns))
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := statestore.Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCodecYAMLv3Encode(b *testing.B) {
	st := statetest.History(statestore.InlineRuns)
	for i := 0; i < b.N; i++ {
		if _, err := yaml.Marshal(st); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCodecYAMLv3Decode(b *testing.B) {
	data, _ := yaml.Marshal(statetest.History(statestore.InlineRuns))
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		var st statestore.State
		if err := yaml.Unmarshal(data, &st); err != nil {
			b.Fatal(err)
		}
	}
}
