package statestore

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestInfraFactsIsACopyOfTheFile: Store.InfraFacts returns the outputs
// cache as the file holds it (through the memo or by parsing), and what it
// returns can be changed without changing what the store holds.
func TestInfraFactsIsACopyOfTheFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	store := Open(dir)
	at := time.Date(2026, 11, 24, 3, 0, 0, 123000000, time.UTC)
	outputs := map[string]any{"ips": []any{"10.0.0.1", "10.0.0.2"}, "count": 3, "ratio": 0.5, "nested": map[string]any{"a": true}}
	if err := store.UpdateOrInit(func() *State { return NewState("k0rdent-facts000") }, func(st *State) error {
		st.InfrastructureFacts = &InfraFacts{CacheTimestamp: &at, TerraformStateChecksum: "sha256:00", Source: "terraform",
			Outputs: outputs, SensitiveOutputs: []string{"ratio"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Store{store, Open(dir)} { // through the memo, then parsed
		got, err := s.InfraFacts()
		if err != nil {
			t.Fatal(err)
		}
		want, err := Open(dir).LoadRecent()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want.InfrastructureFacts) {
			t.Fatalf("InfraFacts = %#v, the file holds %#v", got, want.InfrastructureFacts)
		}
		got.Outputs["ips"].([]any)[0] = "changed"
		got.Outputs["nested"].(map[string]any)["a"] = false
		again, _ := s.InfraFacts()
		if again.Outputs["ips"].([]any)[0] != "10.0.0.1" || again.Outputs["nested"].(map[string]any)["a"] != true {
			t.Fatalf("changing a returned copy changed the store's: %#v", again.Outputs)
		}
	}
	empty := Open(filepath.Join(t.TempDir(), "state"))
	if err := empty.UpdateOrInit(func() *State { return NewState("k0rdent-facts001") }, func(*State) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if f, err := empty.InfraFacts(); f != nil || err != nil {
		t.Fatalf("a state without a cache: %#v, %v", f, err)
	}
}
