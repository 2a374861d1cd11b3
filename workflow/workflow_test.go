package workflow

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// load writes src as deploy.hcl in a temp dir and decodes it.
func load(t *testing.T, src string) (*Loader, *Workflow) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "deploy.hcl")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	l := NewLoader()
	w, diags := l.Load(path)
	if diags.HasErrors() {
		t.Fatalf("load: %s", diags.Error())
	}
	return l, w
}

func scope(t *testing.T, l *Loader, w *Workflow, in VarInputs) *Scope {
	t.Helper()
	vals, diags := l.ResolveVariables(w, in, true)
	if diags.HasErrors() {
		t.Fatalf("variables: %s", diags.Error())
	}
	s, diags := l.NewScope(w, vals)
	if diags.HasErrors() {
		t.Fatalf("scope: %s", diags.Error())
	}
	return s
}

const varsSrc = `
workflow "t" {}
variable "n" {
  type    = number
  default = 1
}
variable "tags" {
  type    = list(string)
  default = []
}
variable "untyped" {
  default = false
}
phase "p" {
  run = ["true"]
}
`

func TestVariablePrecedence(t *testing.T) {
	l, w := load(t, varsSrc)
	file := filepath.Join(t.TempDir(), "vars.hcl")
	_ = os.WriteFile(file, []byte("n = 3\n"), 0o600)
	tests := []struct {
		name string
		in   VarInputs
		want int
	}{
		{"default", VarInputs{}, 1},
		{"environment", VarInputs{Env: []string{"K0FLOW_VAR_n=2"}}, 2},
		{"file over environment", VarInputs{Env: []string{"K0FLOW_VAR_n=2"}, Files: []string{file}}, 3},
		{"-var over file", VarInputs{Files: []string{file}, Args: []string{"n=4"}}, 4},
		{"last -var wins", VarInputs{Args: []string{"n=4", "n=5"}}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := scope(t, l, w, tt.in)
			if got := GoValue(s.Vars["n"]); got != tt.want {
				t.Fatalf("n = %v, want %d", got, tt.want)
			}
		})
	}
}

func TestVariableValuesAreTyped(t *testing.T) {
	l, w := load(t, varsSrc)
	s := scope(t, l, w, VarInputs{Args: []string{`tags=["a", "b"]`, "untyped=true"}})
	if !s.Vars["tags"].Type().Equals(cty.List(cty.String)) || s.Vars["tags"].LengthInt() != 2 {
		t.Errorf("tags = %#v", s.Vars["tags"])
	}
	if s.Vars["untyped"] != cty.True {
		t.Errorf("untyped = %#v, want bool true (type from the default)", s.Vars["untyped"])
	}
	_, diags := l.ResolveVariables(w, VarInputs{Args: []string{"n=many"}}, true)
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "a number is required") {
		t.Errorf("n=many: %v", diags)
	}
}

func TestRequiredVariableAndValidation(t *testing.T) {
	l, w := load(t, `
workflow "t" {}
variable "region" {
  type = string
  validation {
    condition     = length(var.region) > 2
    error_message = "region is too short"
  }
}
phase "p" {
  run = ["true"]
}
`)
	_, diags := l.ResolveVariables(w, VarInputs{}, true)
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "No value for required variable") {
		t.Errorf("missing: %v", diags)
	}
	vals, diags := l.ResolveVariables(w, VarInputs{}, false)
	if diags.HasErrors() || vals["region"].IsKnown() {
		t.Errorf("validate mode: %v, %#v", diags, vals["region"])
	}
	_, diags = l.ResolveVariables(w, VarInputs{Args: []string{"region=eu"}}, true)
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "region is too short") {
		t.Errorf("validation: %v", diags)
	}
}

func TestLocalsInAnyOrderAndCycles(t *testing.T) {
	l, w := load(t, `
workflow "t" {}
locals {
  b = "${local.a}-b"
  a = "a"
}
phase "p" {
  run = ["echo", local.b]
}
`)
	s := scope(t, l, w, VarInputs{})
	if got := GoValue(s.Locals["b"]); got != "a-b" {
		t.Errorf("local.b = %v", got)
	}
	l, w = load(t, "workflow \"t\" {}\nlocals {\n  a = local.b\n  b = local.a\n}\n")
	vals, _ := l.ResolveVariables(w, VarInputs{}, true)
	if _, diags := l.NewScope(w, vals); !diags.HasErrors() || !strings.Contains(diags.Error(), "refer to each other") {
		t.Errorf("cycle: %v", diags)
	}
}

const phaseSrc = `
workflow "t" {
  flags = { kof = var.kof }
}
variable "kof" {
  type    = bool
  default = false
}
variable "secret" {
  type      = string
  default   = "hunter2"
  sensitive = true
}
phase "p" {
  when    = flag.kof
  run     = ["deploy", "--token", var.secret, "--n", 3]
  env     = { TOKEN = var.secret, LIST = ["a"], PLAIN = "x", UNSET = null }
  dir     = "sub"
  timeout = "1h30m"
}
`

func TestResolvePhase(t *testing.T) {
	l, w := load(t, phaseSrc)
	s := scope(t, l, w, VarInputs{})
	app, diags := s.Applicable(w.Phases[0])
	if diags.HasErrors() || app.Applicable || app.Reason != "flag.kof is false" {
		t.Fatalf("applicable = %+v, %v", app, diags)
	}
	r, diags := s.Resolve(w.Phases[0])
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if got := strings.Join(r.Run.Args(), " "); got != "deploy --token hunter2 --n 3" {
		t.Errorf("argv = %q", got)
	}
	if got := r.Run.Display(); strings.Contains(got, "hunter2") {
		t.Errorf("display leaks the secret: %q", got)
	}
	if r.Env["TOKEN"] != "hunter2" || !r.SecretEnv["TOKEN"] || r.Env["LIST"] != `["a"]` || r.SecretEnv["PLAIN"] {
		t.Errorf("env = %v, secret = %v", r.Env, r.SecretEnv)
	}
	if _, ok := r.Env["UNSET"]; ok {
		t.Error("null env value was set")
	}
	if r.Dir != filepath.Join(w.Dir, "sub") || r.Timeout.String() != "1h30m0s" {
		t.Errorf("dir = %s, timeout = %s", r.Dir, r.Timeout)
	}
	if snap := s.Snapshot(); snap["secret"] != "(sensitive)" || snap["kof"] != false {
		t.Errorf("snapshot = %v", snap)
	}
}

func TestChecksumFollowsDefinition(t *testing.T) {
	l, w := load(t, phaseSrc)
	sum := func(args ...string) string {
		r, diags := scope(t, l, w, VarInputs{Args: args}).Resolve(w.Phases[0])
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		return r.Checksum()
	}
	base := sum()
	if sum() != base {
		t.Error("checksum is not stable")
	}
	if sum("kof=true") != base {
		t.Error("a change that does not reach the phase changed its checksum")
	}
	if sum("secret=other") == base {
		t.Error("a changed env value kept the checksum")
	}
}

func TestScriptMayNotSpliceValues(t *testing.T) {
	l, w := load(t, `
workflow "t" {}
variable "x" {
  default = "a; rm -rf /"
}
phase "p" {
  run = "echo ${var.x}"
}
`)
	_, diags := scope(t, l, w, VarInputs{}).Resolve(w.Phases[0])
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "Interpolation in a bash script") {
		t.Fatalf("diags = %v", diags)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := map[string]struct{ src, want string }{
		"no workflow":       {`phase "p" { run = ["true"] }`, "Missing workflow block"},
		"both kinds":        {"workflow \"t\" {}\nterraform {}\nphase \"p\" {\n run = [\"true\"]\n terraform = \"apply\"\n}", "Conflicting phase kinds"},
		"terraform action":  {"workflow \"t\" {}\nterraform {}\nphase \"p\" {\n terraform = \"plan\"\n}", "Unknown terraform action"},
		"infra no block":    {"workflow \"t\" {}\nphase \"p\" {\n run = [infra.x]\n}", "infra.* needs a terraform block"},
		"state_dir var":     {"workflow \"t\" {\n state_dir = var.x\n}", "Value must be a constant"},
		"bad max_age":       {"workflow \"t\" {}\nterraform {\n max_age = \"soon\"\n}", "Invalid max_age"},
		"duplicate var":     {"workflow \"t\" {}\nvariable \"a\" {}\nvariable \"a\" {}", "Duplicate variable"},
		"bad default type":  {"workflow \"t\" {}\nvariable \"a\" {\n type = number\n default = \"x\"\n}", "Invalid default value"},
		"undeclared flag":   {"workflow \"t\" {\n flags = { kof = true }\n}\nphase \"p\" {\n run = [\"true\"]\n when = flag.ko\n}", `Did you mean "kof"?`},
		"retry attempts":    {"workflow \"t\" {}\nphase \"p\" {\n run = [\"true\"]\n retry {\n  attempts = 0\n }\n}", "Invalid retry attempts"},
		"retry delay":       {"workflow \"t\" {}\nphase \"p\" {\n run = [\"true\"]\n retry {\n  attempts = 2\n  delay = \"soon\"\n }\n}", "Invalid retry delay"},
		"retry exit code":   {"workflow \"t\" {}\nphase \"p\" {\n run = [\"true\"]\n retry {\n  attempts = 2\n  on_exit_codes = [0]\n }\n}", "Invalid exit code"},
		"two retry blocks":  {"workflow \"t\" {}\nphase \"p\" {\n run = [\"true\"]\n retry {\n  attempts = 2\n }\n retry {\n  attempts = 3\n }\n}", "Duplicate retry"},
		"vars on a command": {"workflow \"t\" {}\nphase \"p\" {\n run = [\"true\"]\n vars = {}\n}", "vars needs a terraform phase"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "deploy.hcl")
			_ = os.WriteFile(path, []byte(tt.src), 0o600)
			_, diags := NewLoader().Load(path)
			if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.want) {
				t.Fatalf("diags = %v, want %q", diags, tt.want)
			}
			for _, d := range diags {
				if d.Severity == hcl.DiagError && d.Subject == nil && name != "no workflow" {
					t.Errorf("diagnostic without a position: %s", d.Summary)
				}
			}
		})
	}
}

func TestNeedsInfraFromTraversals(t *testing.T) {
	_, w := load(t, `
workflow "t" {}
terraform {}
phase "a" {
  run = ["true"]
}
phase "b" {
  run = ["true"]
  env = { IPS = join(" ", infra.controller_ips) }
}
`)
	if w.Phases[0].NeedsInfra || !w.Phases[1].NeedsInfra {
		t.Fatalf("NeedsInfra = %v, %v", w.Phases[0].NeedsInfra, w.Phases[1].NeedsInfra)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]string{"90s": "1m30s", "15m": "15m0s", "30d": "720h0m0s"} {
		d, err := ParseDuration(in)
		if err != nil || d.String() != want {
			t.Errorf("%s = %s, %v; want %s", in, d, err, want)
		}
	}
	for _, bad := range []string{"", "soon", "-1m", "1.5d"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
