package infra

import (
	"fmt"
	"sort"
	"time"

	"github.com/k0flow/k0flow/statestore"
)

// Freshness says whether the cache can be used as it is, and if not, why.
type Freshness struct {
	Fresh  bool
	Age    time.Duration
	Reason string
}

// Check judges the cache against the current state checksum ("" when it
// is not known: then only the age counts) and a maximum age.
func Check(facts *statestore.InfraFacts, checksum string, maxAge time.Duration, now time.Time) Freshness {
	if facts == nil || facts.CacheTimestamp == nil {
		if facts != nil && facts.OldCacheTimestamp != nil && len(facts.Outputs) > 0 {
			return Freshness{Reason: "the cache was invalidated"}
		}
		return Freshness{Reason: "no outputs cached yet"}
	}
	age := now.Sub(*facts.CacheTimestamp)
	switch {
	case checksum != "" && facts.TerraformStateChecksum != checksum:
		return Freshness{Age: age, Reason: "the Terraform state changed since the cache was taken"}
	case facts.Source != "" && facts.Source != "terraform":
		return Freshness{Age: age, Reason: fmt.Sprintf("the cache came from %s, not Terraform", facts.Source)}
	case age > maxAge:
		return Freshness{Age: age, Reason: fmt.Sprintf("the cache is %s old (max_age %s)", age.Round(time.Second), maxAge)}
	}
	return Freshness{Fresh: true, Age: age}
}

// Sync folds a new reading into the cache. With the checksum unchanged only
// the timestamp moves and outputs may be nil (they were not read). With a
// new checksum, the old timestamp is kept as old_cache_timestamp and the
// outputs are replaced. It reports whether the outputs changed.
func Sync(facts *statestore.InfraFacts, checksum string, outputs map[string]Output, now time.Time) (*statestore.InfraFacts, bool) {
	if facts != nil && facts.TerraformStateChecksum == checksum && facts.Source == "terraform" && outputs == nil {
		next := *facts
		next.CacheTimestamp = &now
		return &next, false
	}
	next := &statestore.InfraFacts{CacheTimestamp: &now, TerraformStateChecksum: checksum, Source: "terraform",
		Outputs: map[string]any{}}
	if facts != nil {
		next.OldCacheTimestamp = facts.CacheTimestamp
	}
	for name, o := range outputs {
		next.Outputs[name] = o.Value
		if o.Sensitive {
			next.SensitiveOutputs = append(next.SensitiveOutputs, name)
		}
	}
	sort.Strings(next.SensitiveOutputs)
	return next, true
}

// Unchanged says whether a sync with this checksum can skip reading outputs.
func Unchanged(facts *statestore.InfraFacts, checksum string) bool {
	return facts != nil && facts.Source == "terraform" && facts.TerraformStateChecksum == checksum && facts.Outputs != nil
}

// Get looks a dotted path up in the cached outputs.
func Get(facts *statestore.InfraFacts, key string) (any, bool) {
	if facts == nil || facts.Outputs == nil {
		return nil, false
	}
	return statestore.GetPath(facts.Outputs, key)
}

// IsSensitive says whether a dotted key reads a sensitive output.
func IsSensitive(facts *statestore.InfraFacts, key string) bool {
	if facts == nil {
		return false
	}
	parts, err := statestore.SplitKey(key)
	if err != nil {
		return false
	}
	for _, s := range facts.SensitiveOutputs {
		if s == parts[0] {
			return true
		}
	}
	return false
}

// RecordBackend updates the state's terraform section with what was
// detected, appending a migration when the backend moved. It returns the
// migration, if any, for an event.
func RecordBackend(cur *statestore.TerraformRef, detected *statestore.TerraformRef, now time.Time) (*statestore.TerraformRef, *statestore.BackendMove) {
	if cur == nil {
		return detected, nil
	}
	next := *cur
	next.Backend, next.Version = detected.Backend, detected.Version
	var move *statestore.BackendMove
	if cur.StatePath != "" && cur.StatePath != detected.StatePath {
		move = &statestore.BackendMove{From: cur.StatePath, To: detected.StatePath, MigrationTimestamp: now}
		next.Migrations = append(append([]statestore.BackendMove(nil), cur.Migrations...), *move)
	}
	next.StatePath = detected.StatePath
	return &next, move
}
