package statestore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// fullState sets every property the schema knows, so that mutating each
// one in turn reaches every check.
const fullState = `{
 "schema_version": 3, "deployment_id": "k0rdent-abc", "deployer": "ops",
 "created_at": "2026-11-22T18:00:00Z", "last_updated": "2026-11-22T18:00:00.5+01:00",
 "deployment_flags": {"kof": true}, "current_run_id": "20261122T180000Z-aaaaaa",
 "terraform": {"state_path": "/s", "backend": {"type": "local", "config": {"path": "x"}}, "version": "1.11.4",
   "last_apply_at": "2026-11-22T18:00:00Z", "last_refresh_at": "2026-11-22T18:00:00Z",
   "migrations": [{"from": "a", "to": "b", "migration_timestamp": "2026-11-22T18:00:00Z"}]},
 "infrastructure_facts": {"cache_timestamp": "2026-11-22T18:00:00Z", "old_cache_timestamp": "2026-11-22T18:00:00Z",
   "terraform_state_checksum": "sha256:00", "source": "terraform", "outputs": {"a": 1}, "sensitive_outputs": ["a"]},
 "runtime": {"wireguard": {"connected": true}}, "sensitive_keys": ["k"],
 "vm_runtime_status": {"vm1": {"ssh_verified": true, "verification_timestamp": "2026-11-22T18:00:00Z",
   "cloud_init_complete": false, "completion_timestamp": "2026-11-22T18:00:00Z", "note": "open"}},
 "deployment_runs": [` + fullRun + `]
}`

const fullRun = `{"run_id": "20261122T180000Z-aaaaaa", "kind": "apply", "started_at": "2026-11-22T18:00:00Z",
   "ended_at": "2026-11-22T18:00:01Z", "duration_seconds": 1.5, "outcome": "failed", "resumed_from": "20261122T170000Z-bbbbbb",
   "owner": {"pid": 42, "host": "h", "driver": "bash"},
   "config_snapshot": {"variables": {"v": 1}, "flags": null, "applicable": {"p": "why"}, "selection": "--only a",
     "sensitive_digests": {"s": "hmac:00"}, "workflow_file": "deploy.hcl", "workflow_checksum": "sha256:00", "k0flow_version": "v1"},
   "terraform": {"state_path": "/s"},
   "phases": {"a": {"status": "failed", "reason": "r", "reused_from": "x", "started_at": "2026-11-22T18:00:00Z",
     "ended_at": "2026-11-22T18:00:01Z", "duration_seconds": 0, "exit_code": 2, "log": "logs/a.log",
     "definition_checksum": "hmac:00", "message": "m", "infra_cache_timestamp": "2026-11-22T18:00:00Z",
     "destroy_command": ["true"], "destroy_dir": ".", "definition_parts": {"command": "hmac:00"}, "pgid": 7,
     "attempts": [{"attempt": 1, "started_at": "2026-11-22T18:00:00Z", "duration_seconds": 1, "exit_code": 2, "log": "l"}]}},
   "error": {"phase": "a", "message": "m", "log_tail": "t"}}`

// oracle compiles the published schema, and its run definition, with a
// JSON Schema validator.
func oracle(t testing.TB) (state, run *jsonschema.Schema) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(SchemaURL, doc); err != nil {
		t.Fatal(err)
	}
	if state, err = c.Compile(SchemaURL); err != nil {
		t.Fatal(err)
	}
	if run, err = c.Compile(SchemaURL + "#/$defs/run"); err != nil {
		t.Fatal(err)
	}
	return state, run
}

// oraclePaths are the instance locations of the validator's findings.
func oraclePaths(err error) map[string]bool {
	paths := map[string]bool{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			paths[yamlPath(e.InstanceLocation)] = true
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	if ve, ok := err.(*jsonschema.ValidationError); ok {
		walk(ve)
	}
	return paths
}

// agree fails unless the checks and the schema give doc the same verdict,
// and each place the checks name is one the schema names. The one known
// difference: a date-time the schema takes (a leap second, a lowercase t,
// an hour of +0) that the decoder cannot parse is refused by the checks.
func agree(t *testing.T, what string, sch *jsonschema.Schema, doc any, found []located) {
	t.Helper()
	err := sch.Validate(doc)
	if err != nil {
		if _, ok := err.(*jsonschema.ValidationError); !ok {
			return // not a JSON value the validator takes (say, a NaN)
		}
	}
	if err == nil {
		for _, f := range found {
			if !strings.HasSuffix(f.msg, "is not valid date-time") {
				t.Fatalf("%s: the schema takes it, the checks refuse it: %s: %s", what, yamlPath(f.loc), f.msg)
			}
		}
		return
	}
	want := oraclePaths(err)
	named := false
	for _, f := range found {
		switch {
		case want[yamlPath(f.loc)]:
			named = true
		case !strings.HasSuffix(f.msg, "is not valid date-time"):
			t.Fatalf("%s: the checks name %q (%s), the schema names %v", what, yamlPath(f.loc), f.msg, want)
		}
	}
	if !named {
		t.Fatalf("%s: the schema refuses it, the checks name none of its places: %v", what, err)
	}
}

func decodeDoc(t testing.TB, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// replacements are the values each property is set to in turn.
var replacements = []any{nil, "", "x", "soon", "2026-11-22T18:00:00Z", "2026-11-22t18:00:00z", "2026-12-31T23:59:60Z", "2026-11-22T1:00:00Z",
	"pending", "apply", "bash", "20261122T180000Z-a1", json.Number("1"), json.Number("0"), json.Number("-1"),
	json.Number("1.5"), json.Number("3"), json.Number("2.0"), true, []any{}, []any{"a"}, []any{json.Number("1")},
	map[string]any{}, map[string]any{"status": "pending"}, map[string]any{"type": "local"}, map[string]any{"message": "m"}}

// mutations calls f with doc changed in one place: each property set to
// each replacement, removed, and each object given an unknown property.
func mutations(doc any, f func(what string, mutated any)) {
	var walk func(path string, v any, set func(any))
	walk = func(path string, v any, set func(any)) {
		switch t := v.(type) {
		case map[string]any:
			t["colour"] = "blue"
			f(path+".colour=blue", doc)
			delete(t, "colour")
			for _, k := range sortedKeys(t) {
				old := t[k]
				for _, r := range replacements {
					t[k] = r
					f(fmt.Sprintf("%s.%s=%#v", path, k, r), doc)
				}
				delete(t, k)
				f(path+"."+k+" removed", doc)
				t[k] = old
				walk(path+"."+k, old, func(n any) { t[k] = n })
			}
		case []any:
			for i, e := range t {
				for _, r := range replacements {
					t[i] = r
					f(fmt.Sprintf("%s[%d]=%#v", path, i, r), doc)
				}
				t[i] = e
				walk(fmt.Sprintf("%s[%d]", path, i), e, func(n any) { t[i] = n })
			}
		}
	}
	walk("", doc, nil)
}

// TestCheckAgreesWithSchema: the Go checks that every load runs give the
// same verdict as the published JSON Schema on a state and a run record
// changed in every place, and name the places the schema names.
func TestCheckAgreesWithSchema(t *testing.T) {
	stateSch, runSch := oracle(t)
	doc := decodeDoc(t, fullState)
	if found := checkStateDoc(doc.(map[string]any)); len(found) > 0 {
		t.Fatalf("the full state fails its checks: %v", found)
	}
	if err := stateSch.Validate(doc); err != nil {
		t.Fatalf("the full state fails the schema: %v", err)
	}
	n := 0
	mutations(doc, func(what string, mutated any) {
		n++
		agree(t, "state"+what, stateSch, mutated, checkStateDoc(mutated.(map[string]any)))
	})
	run := decodeDoc(t, fullRun)
	mutations(run, func(what string, mutated any) {
		n++
		agree(t, "run"+what, runSch, mutated, checkRunDoc(mutated))
	})
	// The walk must have reached the deepest properties.
	if n < 3000 {
		t.Fatalf("only %d mutations", n)
	}
}

// TestCheckMessages: the checks word their findings as `state validate`
// documents them.
func TestCheckMessages(t *testing.T) {
	doc := decodeDoc(t, `{"schema_version": 3, "deployment_id": "", "created_at": "soon", "last_updated": "2026-11-22T18:00:00Z",
	  "deployment_flags": {}, "runtime": [], "colour": 1, "zebra": 2, "terraform": "x",
	  "vm_runtime_status": {"vm": {"public_ip": "10.0.0.1"}},
	  "deployment_runs": [{"run_id": "r1", "kind": "deploy", "started_at": "2026-11-22T18:00:00Z", "outcome": "success",
	    "owner": {"pid": 1.5, "host": "h", "driver": "sh"},
	    "phases": {"a": {"status": "completed", "exit_code": "0", "pgid": 0, "destroy_command": [], "duration_seconds": -1}}}]}`)
	var got []string
	for _, f := range checkStateDoc(doc.(map[string]any)) {
		got = append(got, yamlPath(f.loc)+": "+f.msg)
	}
	sort.Strings(got)
	want := []string{
		": additional properties 'colour', 'zebra' not allowed",
		"created_at: 'soon' is not valid date-time",
		"deployment_id: minLength: got 0, want 1",
		"deployment_runs[0].kind: value must be one of 'apply', 'destroy', 'migrated', 'manual'",
		"deployment_runs[0].owner.driver: value must be 'bash'",
		"deployment_runs[0].owner.pid: got number, want integer",
		"deployment_runs[0].phases.a.destroy_command: minItems: got 0, want 1",
		"deployment_runs[0].phases.a.duration_seconds: minimum: got -1, want 0",
		"deployment_runs[0].phases.a.exit_code: got string, want integer",
		"deployment_runs[0].phases.a.pgid: minimum: got 0, want 1",
		"deployment_runs[0].run_id: 'r1' does not match pattern '^[0-9]{8}T[0-9]{6}Z-[0-9a-z]+$'",
		"runtime: got array, want object",
		"terraform: got string, want null",
		"terraform: got string, want object",
		"vm_runtime_status.vm: 'public_ip' is not runtime status: addresses and sizes are Terraform's outputs (k0flow infra show)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCheckRefusesTimesNoFieldHolds: the one place the checks are
// stricter than the schema (docs/state-schema.md): a date-time the
// schema's validator takes but no time.Time holds is refused by name.
func TestCheckRefusesTimesNoFieldHolds(t *testing.T) {
	for _, v := range []string{"2026-12-31T23:59:60Z", "2026-11-22t18:00:00z", "2026-11-22T1:00:00Z"} {
		doc := decodeDoc(t, fullState).(map[string]any)
		doc["created_at"] = v
		found := checkStateDoc(doc)
		if len(found) != 1 || yamlPath(found[0].loc) != "created_at" || !strings.HasSuffix(found[0].msg, "is not valid date-time") {
			t.Errorf("created_at %q: %v", v, found)
		}
	}
}

// TestCheckRefusesNaN: YAML's .nan and .inf are numbers to a YAML
// decoder but no JSON value; a duration that is one is refused by name.
func TestCheckRefusesNaN(t *testing.T) {
	for _, v := range []string{".nan", ".inf", "-.inf"} {
		y := "schema_version: 3\ndeployment_id: x\ncreated_at: 2026-11-22T18:00:00Z\nlast_updated: 2026-11-22T18:00:00Z\n" +
			"deployment_flags: {}\nruntime: {}\ndeployment_runs:\n  - run_id: 20261122T180000Z-aaaaaa\n    kind: apply\n" +
			"    started_at: 2026-11-22T18:00:00Z\n    outcome: success\n    duration_seconds: " + v + "\n    phases: {}\n"
		_, err := Decode([]byte(y))
		if err == nil || !strings.Contains(err.Error(), "line 12: deployment_runs[0].duration_seconds: got ") || !strings.Contains(err.Error(), "want number") {
			t.Errorf("duration_seconds: %s: got %v", v, err)
		}
	}
}

// FuzzCheckAgreesWithSchema: on any JSON document, the checks and the
// published schema agree (see agree).
func FuzzCheckAgreesWithSchema(f *testing.F) {
	f.Add([]byte(fullState))
	f.Add([]byte(fullRun))
	f.Add([]byte(`{"schema_version": 3}`))
	st := NewState("k0rdent-fuzz0000")
	st.CreatedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if good, err := Encode(st); err == nil {
		f.Add(jsonBody(good))
	}
	stateSch, runSch := oracle(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		var doc any
		if d.Decode(&doc) != nil {
			return
		}
		if m, ok := doc.(map[string]any); ok {
			agree(t, "state", stateSch, doc, checkStateDoc(m))
		}
		agree(t, "run", runSch, doc, checkRunDoc(doc))
	})
}
