package workflow

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// sensitive marks values of sensitive variables; cty carries the mark
// through functions, so anything computed from a secret stays secret.
const sensitive = "sensitive"

// Scope evaluates a workflow's expressions with one set of variable values.
type Scope struct {
	w      *Workflow
	src    map[string][]byte
	Vars   map[string]cty.Value
	Locals map[string]cty.Value
	Flags  map[string]cty.Value
	ctx    *hcl.EvalContext

	infraKnown bool
}

// NewScope evaluates locals and flags for the given variable values.
func (l *Loader) NewScope(w *Workflow, vars map[string]cty.Value) (*Scope, hcl.Diagnostics) {
	s := &Scope{w: w, src: map[string][]byte{}, Vars: vars, Locals: map[string]cty.Value{}, Flags: map[string]cty.Value{}}
	for name, f := range l.parser.Files() {
		s.src[name] = f.Bytes
	}
	marked := map[string]cty.Value{}
	for name, v := range vars {
		if decl := w.Variable(name); decl != nil && decl.Sensitive {
			v = v.Mark(sensitive)
		}
		marked[name] = v
	}
	s.ctx = &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(marked), "infra": cty.DynamicVal},
		Functions: functions,
	}
	diags := s.evalLocals()
	if diags.HasErrors() {
		return s, diags
	}
	diags = append(diags, s.evalFlags()...)
	return s, diags
}

// evalLocals evaluates locals in dependency order, whatever their order in
// the file; a cycle is reported on each local in it.
func (s *Scope) evalLocals() hcl.Diagnostics {
	pending := append([]*hcl.Attribute(nil), s.w.Locals...)
	for len(pending) > 0 {
		var next []*hcl.Attribute
		for _, a := range pending {
			if !s.localsReady(a.Expr) {
				next = append(next, a)
				continue
			}
			v, diags := a.Expr.Value(s.ctx)
			if diags.HasErrors() {
				return diags
			}
			s.Locals[a.Name] = v
			s.ctx.Variables["local"] = cty.ObjectVal(s.Locals)
		}
		if len(next) == len(pending) {
			return cycle(next)
		}
		pending = next
	}
	s.ctx.Variables["local"] = cty.ObjectVal(s.Locals)
	return nil
}

func (s *Scope) localsReady(expr hcl.Expression) bool {
	for _, t := range expr.Variables() {
		if t.RootName() != "local" {
			continue
		}
		if _, ok := s.Locals[attrName(t)]; !ok {
			return false
		}
	}
	return true
}

func cycle(attrs []*hcl.Attribute) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, a := range attrs {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Local values refer to each other",
			Detail:   fmt.Sprintf("local.%s depends, directly or not, on itself; break the cycle.", a.Name),
			Subject:  a.Range.Ptr(),
		})
	}
	return diags
}

func (s *Scope) evalFlags() hcl.Diagnostics {
	s.ctx.Variables["flag"] = cty.EmptyObjectVal
	if isNull(s.w.Flags) {
		return nil
	}
	v, diags := s.w.Flags.Value(s.ctx)
	if diags.HasErrors() {
		return diags
	}
	if !v.IsKnown() {
		s.ctx.Variables["flag"] = cty.DynamicVal
		return nil
	}
	if v.IsNull() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid flags",
			Detail:   "flags must be an object such as { kof = var.kof_enabled }.",
			Subject:  s.w.Flags.Range().Ptr(),
		}}
	}
	for k, val := range v.AsValueMap() {
		s.Flags[k] = val
	}
	s.ctx.Variables["flag"] = cty.ObjectVal(s.Flags)
	return nil
}

// SetInfra makes infra.* read the given outputs (an object of output name
// to value). Until it is called infra.* is unknown.
func (s *Scope) SetInfra(outputs cty.Value) {
	s.ctx.Variables["infra"] = outputs
	s.infraKnown = true
}

// InfraKnown says whether infra.* has values (from the cache) yet.
func (s *Scope) InfraKnown() bool { return s.infraKnown }

// InfraReads lists the output names a phase reads through infra.*.
func (p *Phase) InfraReads() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range p.expressions() {
		for _, t := range e.Variables() {
			if name := attrName(t); t.RootName() == "infra" && name != "" && !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
	}
	return out
}

// Description evaluates a phase's description on its own, so it can be
// shown before the rest of the phase (which may wait for infra.*) is known.
func (s *Scope) Description(p *Phase) string {
	if isNull(p.Description) || readsInfra(p.Description) {
		return ""
	}
	v, diags := p.Description.Value(s.ctx)
	v, _ = v.UnmarkDeep()
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
		return ""
	}
	return v.AsString()
}

// Applicability says whether a phase is part of a run, and why not.
type Applicability struct {
	Applicable bool
	Known      bool   // false when `when` depends on a value not known yet
	Reason     string // for a phase that does not apply: "var.kof_enabled is false"
}

// Applicable evaluates a phase's when.
func (s *Scope) Applicable(p *Phase) (Applicability, hcl.Diagnostics) {
	if isNull(p.When) {
		return Applicability{Applicable: true, Known: true}, nil
	}
	v, diags := p.When.Value(s.ctx)
	if diags.HasErrors() {
		return Applicability{}, diags
	}
	v, _ = v.UnmarkDeep()
	if !v.IsKnown() {
		if v.Type() != cty.Bool && v.Type() != cty.DynamicPseudoType {
			return Applicability{}, hcl.Diagnostics{notBool("when", p.When, v)}
		}
		return Applicability{Applicable: true}, nil
	}
	b, err := convert.Convert(v, cty.Bool)
	if v.IsNull() || err != nil {
		return Applicability{}, hcl.Diagnostics{notBool("when", p.When, v)}
	}
	if b.True() {
		return Applicability{Applicable: true, Known: true}, nil
	}
	return Applicability{Known: true, Reason: s.source(p.When) + " is false"}, nil
}

// Source is the text of an expression as written in the file.
func (s *Scope) Source(expr hcl.Expression) string { return s.source(expr) }

// source is the text of an expression as written.
func (s *Scope) source(expr hcl.Expression) string {
	rng := expr.Range()
	if b, ok := s.src[rng.Filename]; ok && rng.End.Byte <= len(b) {
		return string(rng.SliceBytes(b))
	}
	return rng.String()
}

// CheckConditions evaluates preconditions; each false one is an error
// carrying its error_message. Conditions that read infra.* are skipped when
// skipInfra is set: they are checked when their phase starts.
func (s *Scope) CheckConditions(conds []*Condition, skipInfra bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, c := range conds {
		if skipInfra && readsInfra(c.Condition, c.ErrorMessage) {
			continue
		}
		ok, msg, d := evalCondition(s.ctx, c)
		diags = append(diags, d...)
		if !d.HasErrors() && !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Precondition failed",
				Detail:   msg,
				Subject:  c.Condition.Range().Ptr(),
			})
		}
	}
	return diags
}

func readsInfra(exprs ...hcl.Expression) bool {
	for _, e := range exprs {
		for _, t := range e.Variables() {
			if t.RootName() == "infra" {
				return true
			}
		}
	}
	return false
}

// Snapshot returns the variables as recorded in a run: sensitive ones
// replaced by "(sensitive)".
func (s *Scope) Snapshot() map[string]any {
	out := map[string]any{}
	for name, v := range s.Vars {
		if decl := s.w.Variable(name); decl != nil && decl.Sensitive {
			out[name] = "(sensitive)"
			continue
		}
		out[name] = GoValue(v)
	}
	return out
}

// SensitiveValues returns the sensitive variables' values as text (JSON),
// to be digested, never shown or stored.
func (s *Scope) SensitiveValues() map[string]string {
	out := map[string]string{}
	for name, v := range s.Vars {
		if decl := s.w.Variable(name); decl != nil && decl.Sensitive {
			data, _ := json.Marshal(GoValue(v))
			out[name] = string(data)
		}
	}
	return out
}

// FlagValues returns the evaluated flags as plain Go values.
// A flag computed from a sensitive value is recorded as "(sensitive)".
func (s *Scope) FlagValues() map[string]any {
	out := map[string]any{}
	for k, v := range s.Flags {
		if v.ContainsMarked() {
			out[k] = "(sensitive)"
			continue
		}
		out[k] = GoValue(v)
	}
	return out
}

// Keys returns a map's keys in order.
func Keys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
