package phases

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/k0flow/k0flow/statestore"
)

// durabilityLog is Memory that records, for each event appended, whether
// its append was durable itself or left that to a later one.
type durabilityLog struct {
	*statestore.Memory
	appends []string
}

func (d *durabilityLog) Append(name string, data []byte) error {
	d.record("durable", name, data)
	return d.Memory.Append(name, data)
}

func (d *durabilityLog) AppendDeferred(name string, data []byte) error {
	d.record("deferred", name, data)
	return d.Memory.Append(name, data)
}

func (d *durabilityLog) record(how, name string, data []byte) {
	if name == statestore.EventsFile {
		_, rest, _ := strings.Cut(string(data), `"action":"`)
		action, _, _ := strings.Cut(rest, `"`)
		d.appends = append(d.appends, how+" "+action)
	}
}

// TestEventsInAPhaseAreMadeDurableByItsEnd: a phase's start and retries
// are appended without a sync of their own; the event that ends the phase
// (and so every event before it) is durable before the next one starts.
func TestEventsInAPhaseAreMadeDurableByItsEnd(t *testing.T) {
	dir := t.TempDir()
	wf := `workflow "ev" {}
phase "a" {
  run = ["sh", "-c", "[ -f tried ] || { touch tried; exit 3; }"]
  retry {
    attempts = 2
    delay    = "0s"
  }
}
phase "b" {
  run = ["true"]
}
`
	if err := os.WriteFile(filepath.Join(dir, "deploy.hcl"), []byte(wf), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	log := &durabilityLog{Memory: statestore.NewMemory()}
	store := statestore.OpenStorage("", log)
	// The first event creates the file (a Write); the rest are appends.
	r := &Runner{Store: store, Observer: quietObserver{}, Output: &strings.Builder{}, Version: "test"}
	if _, err := r.Apply(memoryPlan(t, dir, store)); err != nil {
		t.Fatal(err)
	}
	want := []string{"deferred phase_started", "deferred phase_retried", "durable phase_completed",
		"deferred phase_started", "durable phase_completed", "durable run_success"}
	if got := strings.Join(log.appends, ", "); got != strings.Join(want, ", ") {
		t.Fatalf("event appends:\n got %s\nwant %s", got, strings.Join(want, ", "))
	}
}
