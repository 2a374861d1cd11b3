package workflow

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Command is what a phase runs: an argv, or a bash script.
type Command struct {
	Argv   []string
	Script string
	// Secret marks argv elements computed from sensitive values.
	Secret []bool
}

// Args returns the process argv. A script runs under bash with errexit and
// pipefail, so a failing line fails the phase as an operator expects.
func (c *Command) Args() []string {
	if c.Script != "" {
		return []string{"bash", "-eo", "pipefail", "-c", c.Script}
	}
	return c.Argv
}

// Display is the command as it may be printed: secrets masked.
func (c *Command) Display() string {
	if c.Script != "" {
		return "bash script"
	}
	out := ""
	for i, a := range c.Argv {
		if i > 0 {
			out += " "
		}
		if i < len(c.Secret) && c.Secret[i] {
			a = "(sensitive)"
		}
		out += a
	}
	return out
}

// Resolved is a phase with its expressions evaluated.
type Resolved struct {
	Name          string
	Description   string
	Run           *Command
	Check         *Command
	Destroy       *Command
	Terraform     string
	TerraformVars map[string]any
	Env           map[string]string
	SecretEnv     map[string]bool
	Dir           string
	Timeout       time.Duration
	base          string // the workflow's directory, which Checksum leaves out
	// Partial is set when some value is not known yet (validate without
	// values for required variables): the rest was still checked.
	Partial bool
}

// Checksum identifies the phase's definition: what runs, with which
// environment and where. A change makes an earlier completion stale. The
// directory counts relative to the workflow's, so a checkout that is
// moved or copied keeps its phases' checksums.
func (r *Resolved) Checksum() string {
	return r.checksum(r.relDir())
}

// Parts are the definition's parts as text, for digests that say which one
// changed: the command, the directory, the Terraform variables and each
// environment variable.
func (r *Resolved) Parts() map[string]string {
	parts := map[string]string{"dir": r.relDir()}
	if r.Run != nil {
		data, _ := json.Marshal(r.Run.Args())
		parts["command"] = string(data)
	}
	if r.Terraform != "" {
		parts["command"] = "terraform " + r.Terraform
		data, _ := json.Marshal(r.TerraformVars)
		parts["terraform_vars"] = string(data)
	}
	for k, v := range r.Env {
		parts["env."+k] = v
	}
	return parts
}

func (r *Resolved) relDir() string {
	if rel, err := filepath.Rel(r.base, r.Dir); err == nil && r.base != "" && rel != ".." && !strings.HasPrefix(rel, "../") {
		return rel
	}
	return r.Dir
}

// LegacyChecksum is Checksum as k0flow computed it before it left the
// workflow's directory out (with the absolute directory), so phases
// recorded then are still recognised where the checkout has not moved.
func (r *Resolved) LegacyChecksum() string { return r.checksum(r.Dir) }

// Definition is the canonical text of what Checksum sums (dir relative to
// the workflow's), for a keyed digest of the same definition.
func (r *Resolved) Definition() string { return string(r.definition(r.relDir())) }

func (r *Resolved) checksum(dir string) string {
	sum := sha256.Sum256(r.definition(dir))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func (r *Resolved) definition(dir string) []byte {
	def := struct {
		Run       []string          `json:"run,omitempty"`
		Terraform string            `json:"terraform,omitempty"`
		Vars      map[string]any    `json:"vars,omitempty"`
		Env       map[string]string `json:"env,omitempty"`
		Dir       string            `json:"dir"`
	}{Terraform: r.Terraform, Vars: r.TerraformVars, Env: r.Env, Dir: dir}
	if r.Run != nil {
		def.Run = r.Run.Args()
	}
	data, _ := json.Marshal(def) // maps marshal with sorted keys
	return data
}

// Resolve evaluates everything a phase needs to run.
func (s *Scope) Resolve(p *Phase) (*Resolved, hcl.Diagnostics) {
	r := &Resolved{Name: p.Name, Terraform: p.Terraform, Dir: s.w.Dir, base: s.w.Dir}
	var diags hcl.Diagnostics
	var d hcl.Diagnostics
	r.Description, d = s.optString(r, p.Description, "description")
	diags = append(diags, d...)
	if p.Run != nil {
		r.Run, d = s.command(r, p.Run, "run")
		diags = append(diags, d...)
	}
	r.Check, d = s.command(r, p.Check, "check")
	diags = append(diags, d...)
	r.Destroy, d = s.command(r, p.Destroy, "destroy")
	diags = append(diags, d...)
	diags = append(diags, s.env(r, p.Env)...)
	dir, d := s.optString(r, p.Dir, "dir")
	diags = append(diags, d...)
	if dir != "" {
		r.Dir = s.w.path(dir)
	}
	diags = append(diags, s.timeout(r, p.Timeout)...)
	diags = append(diags, s.vars(r, p.Vars)...)
	return r, diags
}

func (s *Scope) value(r *Resolved, expr hcl.Expression) (cty.Value, bool, hcl.Diagnostics) {
	if isNull(expr) {
		return cty.NilVal, false, nil
	}
	v, diags := expr.Value(s.ctx)
	if diags.HasErrors() {
		return cty.NilVal, false, diags
	}
	if !v.IsWhollyKnown() {
		r.Partial = true
		return cty.NilVal, false, nil
	}
	if v.IsNull() {
		return cty.NilVal, false, nil
	}
	return v, true, nil
}

func (s *Scope) optString(r *Resolved, expr hcl.Expression, what string) (string, hcl.Diagnostics) {
	v, ok, diags := s.value(r, expr)
	if !ok {
		return "", diags
	}
	v, _ = v.UnmarkDeep()
	str, err := convert.Convert(v, cty.String)
	if err != nil {
		return "", hcl.Diagnostics{badValue("Invalid "+what, fmt.Errorf("%s must be a string, not %s", what, v.Type().FriendlyName()), expr)}
	}
	return str.AsString(), nil
}

func (s *Scope) command(r *Resolved, expr hcl.Expression, what string) (*Command, hcl.Diagnostics) {
	v, ok, diags := s.value(r, expr)
	if !ok {
		return nil, diags
	}
	ty := v.Type()
	if ty == cty.String {
		if d := splices(expr, what); d != nil {
			return nil, hcl.Diagnostics{d}
		}
		v, _ = v.UnmarkDeep()
		if v.AsString() == "" {
			return nil, hcl.Diagnostics{badValue("Empty "+what, fmt.Errorf("%s is an empty script", what), expr)}
		}
		return &Command{Script: v.AsString()}, nil
	}
	if !(ty.IsListType() || ty.IsTupleType()) || v.LengthInt() == 0 {
		return nil, hcl.Diagnostics{badValue("Invalid "+what,
			fmt.Errorf(`%s must be a non-empty list of strings (argv, as ["bash", "bin/x.sh", "deploy"]) or a string (a bash script)`, what), expr)}
	}
	cmd := &Command{}
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		e, marks := e.Unmark()
		str, err := convert.Convert(e, cty.String)
		if err != nil || str.IsNull() {
			return nil, hcl.Diagnostics{badValue("Invalid "+what, fmt.Errorf("every element of %s must be a string", what), expr)}
		}
		cmd.Argv = append(cmd.Argv, str.AsString())
		cmd.Secret = append(cmd.Secret, len(marks) > 0)
	}
	return cmd, nil
}

// splices rejects a script that interpolates values into its text: values
// reach scripts through env, where no quoting can go wrong.
func splices(expr hcl.Expression, what string) *hcl.Diagnostic {
	tmpl, ok := expr.(*hclsyntax.TemplateExpr)
	if !ok {
		return nil
	}
	for _, part := range tmpl.Parts {
		if _, lit := part.(*hclsyntax.LiteralValueExpr); !lit {
			return &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Interpolation in a bash script",
				Detail: fmt.Sprintf("%s splices a value into shell text, where quoting can break it. "+
					"Pass it through env = { NAME = ... } and use \"$NAME\" in the script (write $${NAME} for a shell variable).", what),
				Subject: part.Range().Ptr(),
			}
		}
	}
	return nil
}

// envName is compiled on first use: every process pays for what is
// compiled at init.
var envName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })

func (s *Scope) env(r *Resolved, expr hcl.Expression) hcl.Diagnostics {
	r.Env, r.SecretEnv = map[string]string{}, map[string]bool{}
	v, ok, diags := s.value(r, expr)
	if !ok {
		return diags
	}
	if !(v.Type().IsObjectType() || v.Type().IsMapType()) {
		return hcl.Diagnostics{badValue("Invalid env", fmt.Errorf(`env must be an object such as { NAME = "value" }`), expr)}
	}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		name := k.AsString()
		if !envName().MatchString(name) {
			return hcl.Diagnostics{badValue("Invalid env", fmt.Errorf("%q is not a valid environment variable name", name), expr)}
		}
		e, marks := e.UnmarkDeep()
		if e.IsNull() {
			continue
		}
		r.Env[name] = envString(e)
		r.SecretEnv[name] = len(marks) > 0
	}
	return nil
}

// envString renders a value for the environment: text as it is, numbers and
// bools as written, lists and maps as JSON.
func envString(v cty.Value) string {
	if v.Type().IsPrimitiveType() {
		str, _ := convert.Convert(v, cty.String)
		return str.AsString()
	}
	data, _ := json.Marshal(GoValue(v))
	return string(data)
}

func (s *Scope) timeout(r *Resolved, expr hcl.Expression) hcl.Diagnostics {
	str, diags := s.optString(r, expr, "timeout")
	if str == "" || diags.HasErrors() {
		return diags
	}
	d, err := ParseDuration(str)
	if err != nil {
		return hcl.Diagnostics{badValue("Invalid timeout", err, expr)}
	}
	r.Timeout = d
	return nil
}

func (s *Scope) vars(r *Resolved, expr hcl.Expression) hcl.Diagnostics {
	v, ok, diags := s.value(r, expr)
	if !ok {
		return diags
	}
	if !(v.Type().IsObjectType() || v.Type().IsMapType()) {
		return hcl.Diagnostics{badValue("Invalid vars", fmt.Errorf("vars must be an object of Terraform variable values"), expr)}
	}
	m, _ := GoValue(v).(map[string]any)
	r.TerraformVars = m
	return nil
}

// RelDir is a phase directory relative to the workflow's, for display.
func (w *Workflow) RelDir(dir string) string {
	rel, err := filepath.Rel(w.Dir, dir)
	if err != nil {
		return dir
	}
	return rel
}
