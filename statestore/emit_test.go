package statestore

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

var awkward = []string{
	"", " ", "plain", "true", "False", "yes", "no", "on", "null", "~", "y", "0", "007", "-1", "1e3", "0x1f", ".5",
	"1.0", "inf", ".inf", "NaN", "2026-11-22T18:00:00Z", "2026-11-22", "20261122T180000Z-7f3a9c", "sha256:abc",
	"a: b", "a:b", "a #b", "#x", "- x", "-x", "? x", "[x]", "{x}", "*x", "&x", "!x", "|x", ">x", "%x", "@x", "`x",
	"'x'", `"x"`, "x'y", `x"y`, `back\slash`, "tab\tx", "new\nline", "trailing\n", "two\n\n", "\nlead",
	" lead", "trail ", "line \nspace", "ünïcødé ✓", "emoji 🚀", "ctrl\x01", "\x7f", "bell\a", "cr\r\nlf",
	"k0s-controller-1", "./cloud-init-yaml", "interrupted by interrupt", "a (b, c) d", "x  y", "x :y", "x: y",
	"a # b", "a#b", "end:", "end ", "True words", "null value", "~ x", "x ~", "100 %", "logs/r/p.log", "--from install_k0s", "a,b", "100%", "x=y",
}

func TestQuoteRoundTrips(t *testing.T) {
	for _, s := range awkward {
		roundTripString(t, s)
	}
}

func FuzzQuote(f *testing.F) {
	for _, s := range awkward {
		f.Add(s)
	}
	f.Fuzz(roundTripString)
}

// plainPattern is the definition plainSafe implements.
var plainPattern = regexp.MustCompile(`^[A-Za-z_/]([A-Za-z0-9_./@+()=%,-]|:[A-Za-z0-9_./@+()=%,-]| [A-Za-z0-9_./@+()=%,-])*$`)

func roundTripString(t *testing.T, s string) {
	if plainSafe(s) != plainPattern.MatchString(s) {
		t.Fatalf("plainSafe(%q) = %v, the pattern says %v", s, plainSafe(s), !plainSafe(s))
	}
	var b bytes.Buffer
	emitter{&b}.str(2, "k", s)
	var got struct{ K *string }
	if err := yaml.Unmarshal([]byte("x:\n"+b.String()), &struct{ X *struct{ K *string } }{X: &got}); err != nil {
		t.Fatalf("%q: %v\n%s", s, err, b.String())
	}
	if got.K == nil || *got.K != s {
		t.Fatalf("%q came back as %v\n%s", s, got.K, b.String())
	}
}

// TestEncodeRoundTrips encodes awkward runs with emit.go and requires
// yaml.v3 to read back exactly the values that went in. (yaml.v3's own
// encoder fails this: it writes "\nlead" so that it reads back as "lead",
// and 2.0 so that it reads back as an int.)
func TestEncodeRoundTrips(t *testing.T) {
	at := time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)
	end := at.Add(90 * time.Second)
	code := 3
	st := NewState("k0rdent-4f2a9c1e")
	for i, s := range awkward {
		dur := float64(i) + 0.25
		st.DeploymentRuns = append(st.DeploymentRuns, &Run{
			RunID: NewRunID(at.Add(time.Duration(i) * time.Second)), Kind: KindApply, StartedAt: at, EndedAt: &end,
			DurationSeconds: &dur, Outcome: OutcomeFailed, ResumedFrom: s,
			Owner: &Owner{PID: i, Host: s},
			ConfigSnapshot: &ConfigSnapshot{
				Variables: map[string]any{"s": s, "n": i, "f": 1.5, "b": true, "nil": nil, "list": []any{s, 1},
					"map": map[string]any{"k": s, s: "v"}, "t": at},
				Flags: map[string]any{"kof": i%2 == 0}, Applicable: map[string]string{"p": s},
				Selection: s, WorkflowChecksum: "sha256:x"},
			Terraform: &TerraformRef{StatePath: s, Backend: Backend{Type: "local", Config: map[string]any{"path": s}}},
			Phases: PhaseList{
				{Name: "a", Status: StatusFailed, Reason: s, StartedAt: &at, EndedAt: &end, DurationSeconds: &dur,
					ExitCode: &code, Log: s, Message: s, InfraCacheTimestamp: &at},
				{Name: "b", Status: StatusPending},
			},
			Error: &RunError{Phase: "a", Message: s, LogTail: s},
		})
	}
	st.DeploymentRuns[0].ConfigSnapshot.Variables["whole"] = 2.0
	st.DeploymentRuns = append(st.DeploymentRuns, &Run{RunID: NewRunID(at), Kind: KindManual, StartedAt: at,
		Outcome: OutcomeSuccess, Phases: PhaseList{}})
	ours, err := Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	var back State
	if err := yaml.Unmarshal(ours, &back); err != nil {
		t.Fatalf("our output does not parse: %v", err)
	}
	for i, want := range st.DeploymentRuns {
		if got := back.DeploymentRuns[i]; !reflect.DeepEqual(got, want) {
			jg, _ := json.Marshal(got)
			jw, _ := json.Marshal(want)
			t.Fatalf("run %d differs:\ngot:  %s\nwant: %s", i, jg, jw)
		}
	}
}
