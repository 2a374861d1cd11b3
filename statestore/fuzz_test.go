package statestore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// seedFiles adds every file under testdata/legacy (the v1 fixtures) and the
// states other tests write as seeds.
func seedFiles(f *testing.F, glob string) {
	files, _ := filepath.Glob(glob)
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
}

// FuzzDecodeState: a state file of any bytes, of any schema version, is
// either refused with an error or loaded (a schema_version 2 file as its
// migration reads it); a loaded one saves and loads again.
func FuzzDecodeState(f *testing.F) {
	st := NewState("k0rdent-fuzz0000")
	st.Runtime["k"] = "v\n\tw"
	good, _ := Encode(st)
	f.Add(good)
	f.Add([]byte("schema_version: 2\n"))
	f.Add([]byte("- a\n- b\n"))
	f.Add([]byte(""))
	seedFiles(f, "../testdata/legacy/*/deployment-state.yaml")
	seedFiles(f, "../testdata/v2/*/deployment-state.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := Decode(data)
		var le *LegacyError
		if errors.As(err, &le) && le.Version == previousVersion {
			// A schema_version 2 file: read as the migration reads it.
			if st, err = decodeAny(data, SchemaVersion); err == nil {
				st.SchemaVersion = SchemaVersion
				err = st.ensureMaps().Validate()
			}
		}
		if err != nil {
			return
		}
		out, err := Encode(st)
		if err != nil {
			return // refused to save (say, invalid UTF-8): nothing written
		}
		if _, err := Decode(out); err != nil {
			t.Fatalf("a loaded state saved as a file that does not load: %v\n%s", err, out)
		}
	})
}

// FuzzMigrateV1: any v1 file is migrated to a valid v2 state or refused;
// never a state that does not load.
func FuzzMigrateV1(f *testing.F) {
	seedFiles(f, "../testdata/legacy/*/deployment-state.yaml")
	seedFiles(f, "../testdata/legacy/broken/*/deployment-state.yaml")
	f.Add([]byte("deployment_id: x\nphases: {a: {status: completed}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := convertV1(data, time.Unix(0, 0).UTC())
		if err != nil {
			return
		}
		if _, err := Decode(m.Data); err != nil {
			t.Fatalf("migration wrote a state that does not load: %v\n%s", err, m.Data)
		}
	})
}

// FuzzEvents: events appended with any action, message and phase are read
// back whole and in order, however many there are.
func FuzzEvents(f *testing.F) {
	f.Add("phase_completed", "Phase completed: a", "a", "x\n\ty")
	f.Add("a: b", "- c", "#d", "")
	f.Add("<<", "&a *a", "", "\x00")
	f.Fuzz(func(t *testing.T, action, msg, phase, msg2 string) {
		store := Open(t.TempDir())
		evs := []Event{{Action: action, Message: msg, Phase: phase}, {Action: "second", Message: msg2}}
		for _, ev := range evs {
			if err := store.AppendEvent("k0rdent-fuzz0000", ev); err != nil {
				return // refused: nothing appended
			}
		}
		got, err := store.Events()
		if err != nil {
			t.Fatalf("events file does not read back: %v", err)
		}
		if len(got) != 2 {
			t.Fatalf("read %d events, appended 2", len(got))
		}
		for i, ev := range evs {
			if got[i].Action != ev.Action || got[i].Message != ev.Message || got[i].Phase != ev.Phase {
				if !validText(ev.Action, ev.Message, ev.Phase) {
					continue // YAML holds text: other bytes may be refused or replaced
				}
				t.Fatalf("event %d read back as %+v, appended %+v", i, got[i], ev)
			}
		}
	})
}

func validText(ss ...string) bool {
	for _, s := range ss {
		if strings.ContainsRune(s, 0xFFFD) || !isUTF8(s) {
			return false
		}
	}
	return true
}

func isUTF8(s string) bool {
	for _, r := range s {
		if r == 0xFFFD {
			return false
		}
	}
	return true
}

// FuzzDecodeRun: a run record's file of any bytes is refused or loaded; a
// loaded one saves and loads again to the same record.
func FuzzDecodeRun(f *testing.F) {
	code := 2
	r := &Run{RunID: "20261123T100000Z-aaaaaa", Kind: KindApply, StartedAt: time.Unix(0, 0).UTC(), Outcome: OutcomeFailed,
		Phases: PhaseList{{Name: "p", Status: StatusFailed, ExitCode: &code, Message: "x\n\ty"}},
		Error:  &RunError{Phase: "p", Message: "exited with code 2", LogTail: "goroutine 1:\n\tmain.go:5"}}
	good, _ := EncodeRun(r)
	f.Add(good)
	f.Add([]byte("{}"))
	f.Add([]byte("# c\n{\"run_id\": 1}\n"))
	f.Add([]byte("run_id: x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeRun(data)
		if err != nil {
			return
		}
		out, err := EncodeRun(r)
		if err != nil {
			t.Fatalf("a loaded run does not save: %v", err)
		}
		back, err := DecodeRun(out)
		if err != nil {
			t.Fatalf("a saved run does not load: %v\n%s", err, out)
		}
		if again, _ := EncodeRun(back); string(again) != string(out) {
			t.Fatalf("a run changed on its way through its file:\n%s\n%s", out, again)
		}
	})
}
