package infra

import (
	"strings"
	"testing"
	"time"

	"github.com/k0flow/k0flow/statestore"
)

var t0 = time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)

func cached(at time.Time, sum string) *statestore.InfraFacts {
	return &statestore.InfraFacts{CacheTimestamp: &at, TerraformStateChecksum: sum, Source: "terraform",
		Outputs: map[string]any{"controller_ips": []any{"10.0.1.4"}}}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		facts    *statestore.InfraFacts
		checksum string
		now      time.Time
		fresh    bool
		reason   string
	}{
		{"nothing cached", nil, "s1", t0, false, "no outputs cached yet"},
		{"fresh", cached(t0, "s1"), "s1", t0.Add(59 * time.Minute), true, ""},
		{"too old", cached(t0, "s1"), "s1", t0.Add(61 * time.Minute), false, "the cache is 1h1m0s old (max_age 1h0m0s)"},
		{"state changed", cached(t0, "s1"), "s2", t0, false, "the Terraform state changed"},
		{"checksum unknown: age decides", cached(t0, "s1"), "", t0, true, ""},
		{"migrated from Azure", &statestore.InfraFacts{CacheTimestamp: &t0, Source: "legacy-azure"}, "", t0, false, "not Terraform"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Check(tt.facts, tt.checksum, time.Hour, tt.now)
			if got.Fresh != tt.fresh || !strings.Contains(got.Reason, tt.reason) {
				t.Fatalf("Check = %+v, want fresh=%v reason~%q", got, tt.fresh, tt.reason)
			}
		})
	}
}

func TestSyncUnchangedOnlyBumpsTimestamp(t *testing.T) {
	old := cached(t0, "s1")
	next, changed := Sync(old, "s1", nil, t0.Add(time.Hour))
	if changed || !next.CacheTimestamp.Equal(t0.Add(time.Hour)) || next.OldCacheTimestamp != nil {
		t.Fatalf("unchanged sync: changed=%v %+v", changed, next)
	}
	if len(next.Outputs) != 1 || old.CacheTimestamp.Equal(t0.Add(time.Hour)) {
		t.Fatal("outputs dropped or old facts mutated")
	}
}

func TestSyncChangedReplacesOutputs(t *testing.T) {
	outputs := map[string]Output{"worker_ips": {Value: []any{"10.0.1.7"}}, "psk": {Value: "x", Sensitive: true}}
	next, changed := Sync(cached(t0, "s1"), "s2", outputs, t0.Add(time.Minute))
	if !changed || !next.OldCacheTimestamp.Equal(t0) || next.TerraformStateChecksum != "s2" {
		t.Fatalf("changed sync: %+v", next)
	}
	if _, ok := next.Outputs["controller_ips"]; ok {
		t.Error("old outputs kept")
	}
	if len(next.SensitiveOutputs) != 1 || next.SensitiveOutputs[0] != "psk" || !IsSensitive(next, "psk.anything") {
		t.Errorf("sensitive = %v", next.SensitiveOutputs)
	}
}

func TestRecordBackendMigration(t *testing.T) {
	cur := &statestore.TerraformRef{StatePath: "/srv/tf/terraform.tfstate", Backend: statestore.Backend{Type: "local"}}
	detected := &statestore.TerraformRef{StatePath: "azurerm://acct/tfstate/k.tfstate", Backend: statestore.Backend{Type: "azurerm"}, Version: "1.5.7"}
	next, move := RecordBackend(cur, detected, t0)
	if move == nil || move.From != cur.StatePath || move.To != detected.StatePath || len(next.Migrations) != 1 {
		t.Fatalf("migration = %+v, %+v", move, next.Migrations)
	}
	if _, move := RecordBackend(next, detected, t0); move != nil {
		t.Fatal("no move recorded twice")
	}
}
