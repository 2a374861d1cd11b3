package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compat LIBRARY FIXTURE STEPS runs testdata/compat/run.sh on k0flow's
// library and compares its transcript with the bash project's library's,
// observed on the same fixture (testdata/compat/v1-FIXTURE.txt), where
// testdata/compat/differences.txt replaces the steps k0flow answers
// differently on purpose. Every step's output and exit code must match.
func cmdCompat(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 || neg {
		ts.Fatalf("usage: compat LIBRARY FIXTURE STEPS")
	}
	dir := filepath.Join(ts.Getenv("TESTDATA"), "compat")
	fixture := args[1]
	if fixture != "none" {
		fixture = filepath.Join(ts.Getenv("TESTDATA"), "legacy", fixture)
	}
	ts.Check(ts.Exec("bash", filepath.Join(dir, "run.sh"), ts.MkAbs(args[0]), fixture, filepath.Join(dir, args[2])))
	got := parseTranscript(ts.ReadFile("stdout"))
	name := strings.TrimSuffix(args[2], ".txt")
	if name == "steps" {
		name = args[1]
	}
	wantData, err := os.ReadFile(filepath.Join(dir, "v1-"+name+".txt"))
	ts.Check(err)
	diffData, err := os.ReadFile(filepath.Join(dir, "differences.txt"))
	ts.Check(err)
	want, intended := parseTranscript(string(wantData)), parseTranscript(string(diffData))
	if len(got) != len(want) {
		ts.Fatalf("%d steps ran, the v1 transcript has %d", len(got), len(want))
	}
	bad := 0
	for i, w := range want {
		if d, ok := intended.find(w.step); ok {
			w.out = d.out
		}
		if got[i].step != w.step || got[i].out != w.out {
			bad++
			ts.Logf("step %d: %s\n  v1:     %q\n  k0flow: %q", i+1, w.step, w.out, got[i].out)
		}
	}
	if bad > 0 {
		ts.Fatalf("%d of %d steps differ from the v1 library", bad, len(want))
	}
}

type step struct{ step, out string }

type transcript []step

// parseTranscript splits run.sh output into steps: a "### STEP" line, then
// the exit code and output lines; "# " lines are comments.
func parseTranscript(s string) transcript {
	var out transcript
	for _, line := range strings.Split(s, "\n") {
		switch {
		case strings.HasPrefix(line, "### "):
			out = append(out, step{step: line[4:]})
		case len(out) == 0 || strings.HasPrefix(line, "# "):
		default:
			out[len(out)-1].out += line + "\n"
		}
	}
	for i := range out {
		out[i].out = strings.TrimRight(out[i].out, "\n")
	}
	return out
}

func (t transcript) find(s string) (step, bool) {
	for _, x := range t {
		if x.step == s {
			return x, true
		}
	}
	return step{}, false
}

func TestParseTranscript(t *testing.T) {
	got := parseTranscript("### a b\nrc=0\nx\n\n### c\n# why: because\nrc=1\n")
	if len(got) != 2 || got[0].step != "a b" || got[0].out != "rc=0\nx" || got[1].out != "rc=1" {
		t.Fatalf("parseTranscript: %#v", got)
	}
}

// jsonstream checks stdout as apply's --output json stream: every line is
// one JSON object valid against docs/stream.schema.json. It prints nothing;
// the scenario greps stdout for what it expects.
func cmdJSONStream(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: jsonstream")
	}
	schemaPath, err := filepath.Abs("../../docs/stream.schema.json")
	ts.Check(err)
	data, err := os.ReadFile(schemaPath)
	ts.Check(err)
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(data)))
	ts.Check(err)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	ts.Check(c.AddResource("stream.json", doc))
	schema, err := c.Compile("stream.json")
	ts.Check(err)
	lines := strings.Split(strings.TrimSuffix(ts.ReadFile("stdout"), "\n"), "\n")
	for i, line := range lines {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(line))
		if err != nil {
			ts.Fatalf("line %d is not JSON: %v\n%s", i+1, err, line)
		}
		if err := schema.Validate(v); err != nil {
			ts.Fatalf("line %d does not match docs/stream.schema.json: %v\n%s", i+1, err, line)
		}
	}
}

// FuzzParseValue: state set's value typing never panics, a --string value
// is kept as it is, and a typed value prints back as it was typed.
func FuzzParseValue(f *testing.F) {
	for _, s := range []string{"true", "false", "3", "0123", "-1", "{}", "1e9", "  7", "null", `{"a":[1,2]}`, "\tx\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if v, err := parseValue(raw, false, true); err != nil || v != raw {
			t.Fatalf("--string %q gave %#v, %v", raw, v, err)
		}
		v, err := parseValue(raw, false, false)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		if s, ok := v.(string); ok && s != raw {
			t.Fatalf("%q stored as the string %q", raw, s)
		}
		_, _ = parseValue(raw, true, false)
	})
}
