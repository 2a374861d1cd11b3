package statestore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// marshalFileV1 is marshalFile as encoding/json writes it: the oracle the
// faster encoder is held to, byte for byte.
func marshalFileV1(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return yamlPrintable(buf.Bytes()), nil
}

// replaced says whether encoding/json replaced a string's bytes that were
// not UTF-8: it writes them as the escape \ufffd (a real U+FFFD goes out
// as itself), so an unescaped backslash before "ufffd" tells.
func replaced(body []byte) bool {
	for i := 0; ; {
		j := bytes.Index(body[i:], []byte(`\ufffd`))
		if j < 0 {
			return false
		}
		n := 0
		for k := i + j; k >= 0 && body[k] == '\\'; k-- {
			n++
		}
		if n%2 == 1 {
			return true
		}
		i += j + 1
	}
}

// sameAsEncodingJSON fails unless marshalFile writes v exactly as
// encoding/json does, or refuses it where encoding/json replaced bytes
// that were not UTF-8, or both refuse it.
func sameAsEncodingJSON(t *testing.T, what string, v any) {
	t.Helper()
	got, gerr := marshalFile(v)
	want, werr := marshalFileV1(v)
	if gerr != nil && werr == nil && replaced(want) {
		return
	}
	if (gerr != nil) != (werr != nil) {
		t.Fatalf("%s: marshalFile err = %v, encoding/json err = %v", what, gerr, werr)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("%s: marshalFile differs from encoding/json at byte %d:\n got %q\nwant %q", what, i,
			got[max(0, i-40):min(len(got), i+40)], want[max(0, i-40):min(len(want), i+40)])
	}
}

// everyField is a state that sets every field the file has, with values
// at the edges of what each holds.
func everyField(s string) *State {
	st := placed(s)
	at := time.Date(2026, 11, 23, 10, 0, 0, 123456789, time.UTC)
	end := at.Add(90 * time.Minute)
	dur, zero, code := 5400.000001, 0.0, 0
	st.VMRuntimeStatus["vm2"] = &VMStatus{}
	st.Runtime["numbers"] = []any{int64(0), int64(-1), int64(math.MaxInt64), int64(math.MinInt64), 1e21, 1e-7, 0.1, -0.0, 123456789.125, math.SmallestNonzeroFloat64, math.MaxFloat64}
	st.Runtime["empty"] = map[string]any{"map": map[string]any{}, "list": []any{}, "null": nil, "true": true, "<&>": "<&>"}
	st.Terraform = &TerraformRef{StatePath: "terraform.tfstate", Version: "1.11.4", Backend: Backend{Type: "azurerm", Config: map[string]any{"key": s}}}
	r := st.DeploymentRuns[0]
	r.EndedAt, r.DurationSeconds, r.ResumedFrom = &end, &dur, "20261122T100000Z-bbbbbb"
	r.Phases = append(r.Phases,
		&PhaseRecord{Name: "a-<b>&c", Status: StatusCompleted, StartedAt: &at, EndedAt: &end, DurationSeconds: &zero, ExitCode: &code,
			Log: "logs/x/a.log", DefinitionChecksum: "sha256:00", InfraCacheTimestamp: &at, DestroyDir: "d",
			DefinitionParts: map[string]string{"env.B": "1", "command": "2", "env.A": "3"}, PGID: 4242,
			Attempts: []Attempt{{Attempt: 1, StartedAt: &at, DurationSeconds: &dur, ExitCode: 1, Log: "l"}}},
		&PhaseRecord{Name: "reused", Status: StatusReused, ReusedFrom: "20261122T100000Z-bbbbbb"})
	return st
}

// TestEncodeIsEncodingJSONs: the state, a run's own file, an archive and
// an event line are the bytes encoding/json wrote, for the states the
// suite's fixtures hold and for every hostile string in every place.
func TestEncodeIsEncodingJSONs(t *testing.T) {
	for i, s := range hostile {
		st := everyField(s)
		sameAsEncodingJSON(t, fmt.Sprintf("hostile %d, state", i), toFile(st))
		r := st.DeploymentRuns[0]
		sameAsEncodingJSON(t, fmt.Sprintf("hostile %d, run file", i), runFile{Run: r, Phases: phaseMap(r.Phases), Error: r.Error})
		ev := Event{Timestamp: time.Date(2026, 11, 23, 10, 0, 0, 5, time.UTC), Action: "a", Message: s, Phase: s, RunID: "r"}
		got, gerr := ev.entry()
		wantBody, _ := marshalFileV1(ev.line())
		var want bytes.Buffer
		want.WriteString("  - ")
		_ = json.Compact(&want, wantBody)
		want.WriteByte('\n')
		if gerr == nil && !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("hostile %d, event: got %q, want %q", i, got, want.Bytes())
		}
	}
	files, _ := filepath.Glob("../testdata/*/*/deployment-state.yaml")
	if len(files) == 0 {
		t.Fatal("no fixture states found")
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		st, err := Decode(data)
		if err != nil {
			if st, err = decodeAny(data, SchemaVersion); err != nil {
				continue // a v1 file: its migration is encoded below
			}
		}
		sameAsEncodingJSON(t, p, toFile(st))
	}
	for _, p := range files {
		data, _ := os.ReadFile(p)
		if m, err := convertV1(data, time.Unix(0, 0).UTC()); err == nil {
			st, err := Decode(m.Data)
			if err != nil {
				t.Fatalf("%s migrated: %v", p, err)
			}
			sameAsEncodingJSON(t, p+" migrated", toFile(st))
		}
	}
}

// FuzzEncodeAgreesWithEncodingJSON: any state that loads, and any string
// in every place, is written exactly as encoding/json writes it.
func FuzzEncodeAgreesWithEncodingJSON(f *testing.F) {
	good, _ := Encode(everyField("x"))
	f.Add(good, "x")
	for _, s := range hostile {
		if len(s) < 1000 {
			f.Add([]byte{}, s)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, s string) {
		sameAsEncodingJSON(t, "every field", toFile(everyField(s)))
		if st, err := Decode(data); err == nil {
			sameAsEncodingJSON(t, "decoded", toFile(st))
		}
	})
}

// sameDecoding fails unless unmarshalFile reads body into a fresh value
// of each of the file's types exactly as encoding/json's Decoder (with
// UseNumber) does: the same value, or an error from both.
func sameDecoding(t *testing.T, body []byte) {
	t.Helper()
	for _, mk := range []func() any{
		func() any { var v any; return &v },
		func() any { return &stateFile{State: &State{}} },
		func() any { return &runFile{} },
		func() any { return &InfraFacts{} },
	} {
		got, want := mk(), mk()
		gerr, werr := unmarshalFile(body, got), unmarshalFileV1(body, want)
		if (gerr != nil) != (werr != nil) {
			t.Fatalf("%T: unmarshalFile err = %v, encoding/json err = %v\n%q", got, gerr, werr, body)
		}
		if gerr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%T: unmarshalFile read %#v, encoding/json %#v\n%q", got, got, want, body)
		}
		if gerr != nil && gerr.Error() != werr.Error() {
			t.Fatalf("%T: unmarshalFile says %q, encoding/json %q", got, gerr, werr)
		}
	}
}

// TestDecodeIsEncodingJSONs: the fixtures, every hostile string in every
// place, and broken files are read as encoding/json reads them.
func TestDecodeIsEncodingJSONs(t *testing.T) {
	for _, s := range hostile {
		data, err := Encode(everyField(s))
		if err != nil {
			t.Fatal(err)
		}
		sameDecoding(t, jsonBody(data))
		rd, _ := EncodeRun(everyField(s).DeploymentRuns[0])
		sameDecoding(t, jsonBody(rd))
	}
	files, _ := filepath.Glob("../testdata/*/*/deployment-state.yaml")
	for _, p := range files {
		data, _ := os.ReadFile(p)
		if body := jsonBody(data); body != nil {
			sameDecoding(t, body)
		}
	}
	for _, body := range decodeSeeds {
		sameDecoding(t, []byte(body))
	}
}

// decodeSeeds are bodies where a JSON decoder may differ: duplicate and
// differently cased names, nulls, numbers at the edges, invalid UTF-8,
// text after the value, wrong types.
var decodeSeeds = []string{
	`{}`, `{"schema_version": 3, "schema_version": 4}`, `{"Schema_Version": 3, "DEPLOYMENT_ID": "x"}`,
	`{"runtime": null, "deployment_runs": null}`, `{"runtime": {"a": 1e400}}`, `{"runtime": {"a": -0, "b": 1.0, "c": 12345678901234567890}}`,
	"{\"runtime\": {\"a\": \"\xff\"}}", `{"runtime": {}} x`, `{"runtime": {}} {}`, `{"deployment_runs": [{"phases": {"a": {"status": 1}}}]}`,
	`{"deployment_runs": [{"phases": {"a": {}, "a": {"status": "completed"}}}]}`, `{"deployment_runs": [{"phases": []}]}`,
	`{"deployment_runs": [{"started_at": "2026-11-23T10:00:00+01:00", "phases": null}]}`, `{"created_at": "yesterday"}`,
	`{"vm_runtime_status": {"vm": {"ssh_verified": true, "note": "x"}}}`, `{"outputs": {"a": [1, {"b": null}]}, "cache_timestamp": "2026-11-23T10:00:00Z"}`,
	`[]`, `"x"`, `null`, `null}`, `{"runtime": {}}}`, `{"runtime": {}} ]`, "{} \u00a0", ``, `{`, `{"a":}`, `{"runtime": {"a": "\ud800"}}`, `{"deployment_runs": [{"phases": {"a": null}}]}`,
}

// FuzzDecodeAgreesWithEncodingJSON: any body is read as encoding/json
// reads it.
func FuzzDecodeAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	good, _ := Encode(everyField("x"))
	f.Add(jsonBody(good))
	f.Fuzz(func(t *testing.T, body []byte) { sameDecoding(t, body) })
}
