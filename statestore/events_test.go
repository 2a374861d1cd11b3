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

// TestTornEventIsRepairedNotAppendedTo: an append a crash cut short leaves
// a last line without its line break; the next append cuts it off (keeping
// the bytes beside the file), says so, and every whole event stays.
func TestTornEventIsRepairedNotAppendedTo(t *testing.T) {
	mem := NewMemory()
	s := OpenStorage("", mem)
	if err := s.AppendEvent("k0rdent-x", Event{Action: "run_started", Message: "first"}); err != nil {
		t.Fatal(err)
	}
	data, ver, _ := mem.Read(EventsFile)
	torn := `  - {"timestamp":"2026-11-23T10:00:00Z","action":"phase_st`
	if _, err := mem.Write(EventsFile, append(data, torn...), ver); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendEvent("k0rdent-x", Event{Action: "run_ended", Message: "second"}); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Events()
	if err != nil {
		t.Fatalf("events after repair: %v", err)
	}
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); got != "run_started events_repaired run_ended" {
		t.Fatalf("events = %s", got)
	}
	names, _ := mem.List(EventsFile + ".torn-")
	if len(names) != 1 {
		t.Fatalf("torn bytes kept in %q, want one file", names)
	}
	if kept, _, _ := mem.Read(names[0]); string(kept) != torn {
		t.Fatalf("kept %q, want %q", kept, torn)
	}
}

// TestEventNotUTF8IsRefused: nothing is appended for an event whose text
// the file cannot hold.
func TestEventNotUTF8IsRefused(t *testing.T) {
	mem := NewMemory()
	s := OpenStorage("", mem)
	err := s.AppendEvent("k0rdent-x", Event{Action: "a", Message: "bad \xff"})
	if err == nil || !strings.Contains(err.Error(), "not UTF-8") {
		t.Fatalf("err = %v", err)
	}
	if _, _, err := mem.Read(EventsFile); !IsNotExist(err) {
		t.Fatalf("an events file was written: %v", err)
	}
}
