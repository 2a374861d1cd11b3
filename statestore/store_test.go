package statestore_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k0flow/k0flow/statestore"
)

func newRun(id string) *statestore.Run {
	return &statestore.Run{RunID: id, Kind: statestore.KindApply, StartedAt: statestore.Now(),
		Outcome: statestore.OutcomeRunning, Owner: &statestore.Owner{PID: 1, Host: "h"},
		Phases: statestore.PhaseList{
			{Name: "b", Status: statestore.StatusCompleted},
			{Name: "a", Status: statestore.StatusRunning},
		}}
}

func TestEncodeDecodeKeepsPhaseOrderAndValues(t *testing.T) {
	st := statestore.NewState("k0rdent-abcd1234")
	st.Runtime["msg"] = "quotes \" colons: newline\nünïcode"
	st.Runtime["port"] = 51820
	st.DeploymentRuns = append(st.DeploymentRuns, newRun("20261122T180000Z-aaaaaa"))
	data, err := statestore.Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	got, err := statestore.Decode(data)
	if err != nil {
		t.Fatalf("decode what we encoded: %v\n%s", err, data)
	}
	if names := []string{got.DeploymentRuns[0].Phases[0].Name, got.DeploymentRuns[0].Phases[1].Name}; names[0] != "b" || names[1] != "a" {
		t.Errorf("phase order = %v, want [b a]", names)
	}
	if got.Runtime["msg"] != st.Runtime["msg"] || got.Runtime["port"] != 51820 {
		t.Errorf("runtime = %#v", got.Runtime)
	}
}

const validBase = `schema_version: 3
deployment_id: x
created_at: 2026-11-22T18:00:00Z
last_updated: 2026-11-22T18:00:00Z
deployment_flags: {}
runtime: {}
`

func TestDecodeRejects(t *testing.T) {
	run := "deployment_runs:\n- {run_id: 20261122T180000Z-aaaaaa, kind: apply, started_at: 2026-11-22T18:00:00Z, outcome: %s, phases: {}}\n"
	tests := map[string]struct{ yaml, want string }{
		"not yaml":         {"a: [\n", "yaml:"},
		"empty":            {"", "the file is empty"},
		"not a mapping":    {"- a\n- b\n", "line 1: the top level must be a mapping, not a list"},
		"v1 file":          {"deployment_id: x\nphases: {}\n", "v1 state file"},
		"future version":   {"schema_version: 4\n", "schema_version 4 is not supported"},
		"unknown key":      {validBase + "deployment_runs: []\nbogus: 1\n", "line 1: (top level): additional properties 'bogus' not allowed"},
		"missing key":      {"schema_version: 3\ndeployment_id: x\n", "missing properties 'created_at'"},
		"bad outcome":      {validBase + fmt.Sprintf(run, "meh"), "line 8: deployment_runs[0].outcome: value must be one of"},
		"bad timestamp":    {strings.Replace(validBase, "2026-11-22T18:00:00Z\nlast", "yesterday\nlast", 1) + "deployment_runs: []\n", "line 3: created_at: 'yesterday' is not valid date-time"},
		"dangling current": {validBase + "current_run_id: r9\ndeployment_runs: []\n", "current_run_id: r9 is not in deployment_runs"},
		"infra in runtime status": {validBase + "deployment_runs: []\nvm_runtime_status: {vm1: {public_ip: 1.2.3.4}}\n",
			"vm_runtime_status.vm1"},
	}
	good, _ := statestore.Encode(statestore.NewState("d-1"))
	// encoding/json's Decoder.More is false at a "}" or "]": one after the
	// state's brace was taken for the end of the file.
	tests["a brace after the state's"] = struct{ yaml, want string }{string(good) + "}\n", "line 15: unexpected text after the state's closing brace"}
	tests["a bracket after the state's"] = struct{ yaml, want string }{string(good) + " ]", "unexpected text after the state's closing brace"}
	// A JSON error's line is the file's, counting the comment lines.
	tests["not JSON in the body"] = struct{ yaml, want string }{strings.Replace(string(good), `"terraform": null`, `"terraform": oops`, 1),
		"line 11: invalid character 'o' looking for beginning of value"}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := statestore.Decode([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestEveryWrittenStateValidates(t *testing.T) {
	st := statestore.NewState("d-1")
	st.DeploymentRuns = []*statestore.Run{newRun("20261122T180000Z-aaaaaa")}
	st.CurrentRunID = "20261122T180000Z-aaaaaa"
	data, err := statestore.Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "# yaml-language-server: $schema="+statestore.SchemaURL+"\n") {
		t.Errorf("no schema comment: %.80s", data)
	}
	if _, err := statestore.Decode(data); err != nil {
		t.Fatalf("a state we wrote does not validate: %v", err)
	}
}

func TestUpdateSavesAtomicallyWithBackup(t *testing.T) {
	store := statestore.Open(filepath.Join(t.TempDir(), "state"))
	err := store.UpdateOrInit(func() *statestore.State { return statestore.NewState("d-1") }, func(st *statestore.State) error {
		st.Runtime["step"] = 1
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Update(func(st *statestore.State) error { st.Runtime["step"] = 2; return nil }); err != nil {
		t.Fatal(err)
	}
	st, err := store.Load()
	if err != nil || st.Runtime["step"] != 2 {
		t.Fatalf("after update: %v, %v", st, err)
	}
	backup, err := statestore.Decode(mustRead(t, store.Path()+".backup"))
	if err != nil || backup.Runtime["step"] != 1 {
		t.Fatalf("backup holds %v, %v; want step 1", backup, err)
	}
}

func TestFailedUpdateChangesNothing(t *testing.T) {
	store := statestore.Open(filepath.Join(t.TempDir(), "state"))
	_ = store.UpdateOrInit(func() *statestore.State { return statestore.NewState("d-1") }, func(*statestore.State) error { return nil })
	before := mustRead(t, store.Path())
	boom := errors.New("boom")
	if err := store.Update(func(st *statestore.State) error { st.Runtime["x"] = 1; return boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if err := store.Update(func(st *statestore.State) error { st.DeploymentID = ""; return nil }); err == nil {
		t.Fatal("saving an invalid state succeeded")
	}
	if after := mustRead(t, store.Path()); string(after) != string(before) {
		t.Fatal("state changed")
	}
}

func TestBrokenFileIsNeverRewritten(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	store := statestore.Open(dir)
	_ = os.MkdirAll(dir, 0o700)
	broken := []byte("schema_version: 2\ndeployment_id: \"unterminated\n")
	_ = os.WriteFile(store.Path(), broken, 0o600)
	err := store.Update(func(st *statestore.State) error { return nil })
	var le *statestore.LoadError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "left unchanged") {
		t.Fatalf("err = %v, want a LoadError", err)
	}
	if got := mustRead(t, store.Path()); string(got) != string(broken) {
		t.Fatal("broken file was rewritten")
	}
}

func TestMarkAbandoned(t *testing.T) {
	st := statestore.NewState("d-1")
	st.DeploymentRuns = []*statestore.Run{newRun("20261122T180000Z-aaaaaa")}
	st.DeploymentRuns[0].StartedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := st.DeploymentRuns[0].StartedAt.Add(90 * time.Second)
	ids := st.MarkAbandoned(at)
	r := st.DeploymentRuns[0]
	if len(ids) != 1 || r.Outcome != statestore.OutcomeInterrupted || *r.DurationSeconds != 90 {
		t.Fatalf("ids=%v outcome=%s", ids, r.Outcome)
	}
	if r.Phases.Get("a").Status != statestore.StatusInterrupted || r.Phases.Get("b").Status != statestore.StatusCompleted {
		t.Errorf("phases = %s, %s", r.Phases.Get("a").Status, r.Phases.Get("b").Status)
	}
	if r.Error == nil || r.Error.Phase != "a" || !strings.Contains(r.Error.Message, "pid 1 on h") {
		t.Errorf("error = %+v", r.Error)
	}
}

func TestEventsAreAppended(t *testing.T) {
	store := statestore.Open(filepath.Join(t.TempDir(), "state"))
	for _, msg := range []string{"one", "two: with colon\nand newline"} {
		if err := store.AppendEvent("d-1", statestore.Event{Action: "x", Message: msg}); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := store.Events()
	if err != nil || len(evs) != 2 || evs[1].Message != "two: with colon\nand newline" {
		t.Fatalf("events = %+v, %v", evs, err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A v1 file whose timestamps are not quoted (another yq, a hand edit)
// keeps them.
func TestFromV1AcceptsUnquotedTimestamps(t *testing.T) {
	data := []byte("deployment_id: k0rdent-abc\ncreated_at: 2025-09-02T17:45:03Z\nphases:\n  prepare_deployment:\n    status: completed\n    updated_at: 2025-09-02T17:50:00Z\n")
	m, err := statestore.ConvertV1ForTest(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.State.CreatedAt.Format(time.RFC3339); got != "2025-09-02T17:45:03Z" {
		t.Errorf("created_at = %s", got)
	}
	if rec := m.State.DeploymentRuns[0].Phases.Get("prepare_deployment"); rec.EndedAt == nil || rec.EndedAt.Minute() != 50 {
		t.Errorf("phase end = %v", rec.EndedAt)
	}
}

// The cache must give back false and zero values behind pointers, which
// gob drops: ssh_verified: false in a map of pointers, exit_code: 0.
func TestCacheKeepsZeroValues(t *testing.T) {
	store := statestore.Open(filepath.Join(t.TempDir(), "state"))
	no, zero := false, 0
	err := store.UpdateOrInit(func() *statestore.State { return statestore.NewState("d-1") }, func(st *statestore.State) error {
		st.VMRuntimeStatus = map[string]*statestore.VMStatus{"vm-1": {SSHVerified: &no}}
		run := newRun("20261122T180000Z-aaaaaa")
		run.Phases[0].ExitCode = &zero
		st.DeploymentRuns = []*statestore.Run{run}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // the first load may parse; the second is a cache hit
		st, err := store.Load()
		if err != nil {
			t.Fatal(err)
		}
		if v := st.VMRuntimeStatus["vm-1"].SSHVerified; v == nil || *v {
			t.Fatalf("load %d: ssh_verified = %v, want false", i, v)
		}
		if c := st.DeploymentRuns[0].Phases[0].ExitCode; c == nil || *c != 0 {
			t.Fatalf("load %d: exit_code = %v, want 0", i, c)
		}
	}
}
