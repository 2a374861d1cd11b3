package infra_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/k0flow/k0flow/infra"
	"github.com/k0flow/k0flow/statestore"
	"gopkg.in/yaml.v3"
)

// stateWithVMs writes a state whose cache holds n VMs' details, and returns
// its store.
func stateWithVMs(b *testing.B, n int) *statestore.Store {
	b.Helper()
	st := statestore.NewState("k0rdent-bench000")
	vms := map[string]any{}
	ips := []any{}
	for i := 0; i < n; i++ {
		ip := fmt.Sprintf("10.0.%d.%d", i/250, i%250+4)
		vms[fmt.Sprintf("k0s-node-%d", i)] = map[string]any{"public_ip": "20.0.0.1", "private_ip": ip, "zone": "1", "size": "Standard_D4s_v5"}
		ips = append(ips, ip)
	}
	now := time.Now().UTC()
	st.InfrastructureFacts = &statestore.InfraFacts{CacheTimestamp: &now, TerraformStateChecksum: "sha256:x", Source: "terraform",
		Outputs: map[string]any{"vm_details": vms, "controller_ips": ips}}
	store := statestore.Open(filepath.Join(b.TempDir(), "state"))
	if err := store.UpdateOrInit(func() *statestore.State { return st }, func(*statestore.State) error { return nil }); err != nil {
		b.Fatal(err)
	}
	return store
}

// BenchmarkInfraGet is what `k0flow infra get vm_details.<vm>.private_ip`
// costs with 200 VMs cached: load and validate the state, judge freshness,
// look the key up. Terraform is not started.
func BenchmarkInfraGet(b *testing.B) {
	store := stateWithVMs(b, 200)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, err := store.Load()
		if err != nil {
			b.Fatal(err)
		}
		_ = infra.Check(st.InfrastructureFacts, "", time.Hour, time.Now())
		if _, ok := infra.Get(st.InfrastructureFacts, "vm_details.k0s-node-199.private_ip"); !ok {
			b.Fatal("missing")
		}
	}
}

// BenchmarkBaselineYAMLRead is the floor for the same file: read it and
// decode it into untyped YAML, with no validation and no lookup.
func BenchmarkBaselineYAMLRead(b *testing.B) {
	store := stateWithVMs(b, 200)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		data, err := os.ReadFile(store.Path())
		if err != nil {
			b.Fatal(err)
		}
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}
