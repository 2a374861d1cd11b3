package statestore

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// hostile are strings that broke, or could break, a YAML state: a tab
// after a line break (a Go stack trace), leading and trailing line
// breaks, YAML's merge key, anchors, aliases and tags, control bytes, a
// byte-order mark, JSON's own escapes, 1 MB.
var hostile = []string{
	"", " ", "\n", "\n\nlead", "trail\n\n", "\tstarts with a tab", "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:5 +0x1d",
	"<<", "&a", "*a", "!!binary aGVsbG8=", "!!str", "- item", "key: value", "# comment", "'single'", `"double"`,
	"null", "~", "true", "no", "1e3", "0x1F", "012", ".inf", "2026-11-23T10:00:00Z", "\x00\x01\x1f\x7f", "\ufeffbom",
	"\u2028\u2029", "a\u0085b", "c1 \u0080\u009f", `back\slash \ufffd \\ufffd`, "\ufffd", "ünïcödé ✓ 🚀", "{a: [b]}", "%TAG", "---", "...", "\r\n", "\r",
	strings.Repeat("x", 1<<20),
}

// TestEveryStringRoundTripsEverywhere stores each hostile string in every
// place a string can be stored, saves, and loads: the same bytes come
// back through k0flow's decoder, and through yaml.v3 (what yq reads).
func TestEveryStringRoundTripsEverywhere(t *testing.T) {
	for i, s := range hostile {
		t.Run(fmt.Sprint(i), func(t *testing.T) { roundTripString(t, s) })
	}
}

// FuzzStringRoundTrip: any string is stored exactly in every place, or,
// when it is not UTF-8 text, refused with nothing written.
func FuzzStringRoundTrip(f *testing.F) {
	for _, s := range hostile {
		if len(s) < 1000 {
			f.Add(s)
		}
	}
	f.Add("\xff\xfe invalid")
	f.Fuzz(roundTripString)
}

func placed(s string) *State {
	st := NewState("k0rdent-exact000")
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	st.Runtime["v"] = s
	st.Runtime["nested"] = map[string]any{"list": []any{s, map[string]any{"deep": s}}}
	st.DeploymentFlags["f"] = s
	st.InfrastructureFacts = &InfraFacts{Outputs: map[string]any{"o": s}}
	st.VMRuntimeStatus = map[string]*VMStatus{"vm": {Extra: map[string]any{"note": s}}}
	code := 1
	st.DeploymentRuns = []*Run{{
		RunID: "20261123T100000Z-aaaaaa", Kind: KindApply, StartedAt: now, Outcome: OutcomeFailed,
		ConfigSnapshot: &ConfigSnapshot{Variables: map[string]any{"var": s}, Flags: map[string]any{}},
		Phases:         PhaseList{{Name: "p", Status: StatusFailed, Message: s, Reason: s, ExitCode: &code, DestroyCommand: []string{"sh", "-c", s}}},
		Error:          &RunError{Phase: "p", Message: s, LogTail: s},
	}}
	st.CurrentRunID = "20261123T100000Z-aaaaaa"
	return st
}

func roundTripString(t *testing.T, s string) {
	st := placed(s)
	data, err := Encode(st)
	if !utf8.ValidString(s) {
		if err == nil || !strings.Contains(err.Error(), "is not UTF-8 text") {
			t.Fatalf("a string that is not UTF-8 was not refused: err = %v", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	back, err := Decode(data)
	if err != nil {
		t.Fatalf("Decode what Encode wrote: %v", err)
	}
	if err := checkWrite(data, st); err != nil {
		t.Fatal(err)
	}
	r := back.DeploymentRuns[0]
	got := []any{back.Runtime["v"], back.Runtime["nested"].(map[string]any)["list"].([]any)[0], back.DeploymentFlags["f"],
		back.InfrastructureFacts.Outputs["o"], back.VMRuntimeStatus["vm"].Extra["note"], r.ConfigSnapshot.Variables["var"],
		r.Phases[0].Message, r.Phases[0].Reason, r.Phases[0].DestroyCommand[2], r.Error.Message, r.Error.LogTail}
	for i, g := range got {
		if g != s {
			t.Fatalf("place %d read back %q, stored %q", i, g, s)
		}
	}
	// JSON is YAML: what yq reads is the same string.
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("yaml.v3 cannot read the state: %v", err)
	}
	if v := doc["runtime"].(map[string]any)["v"]; !reflect.DeepEqual(v, s) {
		t.Fatalf("yaml.v3 reads runtime.v as %#v, stored %q", v, s)
	}
	// A run's own file holds it exactly too.
	rd, err := EncodeRun(st.DeploymentRuns[0])
	if err != nil {
		t.Fatal(err)
	}
	rb, err := DecodeRun(rd)
	if err != nil {
		t.Fatalf("DecodeRun: %v", err)
	}
	if rb.Error.LogTail != s || rb.ConfigSnapshot.Variables["var"] != s {
		t.Fatalf("run file read back %q", rb.Error.LogTail)
	}
}

// TestKeysRoundTripOrAreRefused: any key a value may hold comes back, the
// merge key "<<" among them (a quoted key in JSON form), and one too long
// for YAML readers is refused before anything is written.
func TestKeysRoundTripOrAreRefused(t *testing.T) {
	st := NewState("k0rdent-keys0000")
	keys := []string{"<<", "&a", "*a", "a.b", " lead", "tab\there", "ü", "true", "null", "1", strings.Repeat("k", MaxKeyLen-2)}
	inner := map[string]any{}
	for i, k := range keys {
		inner[k] = i
	}
	st.Runtime["keys"] = inner
	data, err := Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Runtime["keys"], inner) {
		t.Fatalf("keys read back as %v", back.Runtime["keys"])
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("yaml.v3 cannot read the keys: %v", err)
	}
	if got := doc["runtime"].(map[string]any)["keys"].(map[string]any); len(got) != len(keys) || got["<<"] != 0 {
		t.Fatalf("yaml.v3 reads the keys as %v", got)
	}
	st.Runtime["keys"] = map[string]any{"ok": map[string]any{strings.Repeat("k", MaxKeyLen-1): 1}}
	if _, err := Encode(st); err == nil || !strings.Contains(err.Error(), "runtime.keys.ok: a key of 1001 bytes as written") {
		t.Fatalf("a key too long: err = %v", err)
	}
	// Escapes count: a control byte is written as 6 bytes, so 166 of them
	// fit (998 bytes with the quotes) and 167 do not (1004), in a list too.
	st.Runtime["keys"] = []any{map[string]any{strings.Repeat("\x01", 166): 1}}
	if _, err := Encode(st); err != nil {
		t.Fatalf("a key of 998 bytes as written: %v", err)
	}
	st.Runtime["keys"] = []any{"x", map[string]any{strings.Repeat("\x01", 167): 1}}
	if _, err := Encode(st); err == nil || !strings.Contains(err.Error(), "runtime.keys[1]: a key of 1004 bytes as written") {
		t.Fatalf("a key of 1004 bytes as written: err = %v", err)
	}
}
