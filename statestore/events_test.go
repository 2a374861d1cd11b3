package statestore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A v1 events file may end with `events: []` or keep the list before other
// keys; migration makes it appendable without losing an event or a key.
func TestNormalizeEventsKeepsEverything(t *testing.T) {
	for name, body := range map[string]string{
		"flow list, not last": "# header\nevents: []\nlast_updated: \"2025-10-21T14:08:38Z\"\n",
		"block list, not last": "deployment_id: k0rdent-x\nevents:\n  - timestamp: \"2025-10-21T14:02:11Z\"\n    action: deployment_initialized\n" +
			"    message: Deployment state tracking initialized\nlast_updated: \"2025-10-21T14:08:38Z\"\n",
		"no trailing newline": "events:\n  - action: a\n    message: m",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, EventsFile)
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			s := Open(dir)
			before := strings.Count(body, "action:")
			if err := s.normalizeEvents(); err != nil {
				t.Fatal(err)
			}
			if err := s.AppendEvent("k0rdent-x", Event{Action: "state_migrated", Message: "m"}); err != nil {
				t.Fatal(err)
			}
			evs, err := s.Events()
			if err != nil || len(evs) != before+1 || evs[len(evs)-1].Action != "state_migrated" {
				t.Fatalf("events = %+v, %v", evs, err)
			}
			data, _ := os.ReadFile(path)
			if strings.Contains(body, "last_updated") && !strings.Contains(string(data), "last_updated") {
				t.Fatalf("a key was lost:\n%s", data)
			}
		})
	}
}
