package workflow

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// EnvPrefix is the prefix of environment variables that set workflow
// variables: K0FLOW_VAR_kof_enabled=true.
const EnvPrefix = "K0FLOW_VAR_"

// VarInputs are the values given outside the file, lowest precedence first:
// the environment, then -var-file files in order, then -var arguments in
// order. Defaults in the file come below all of them.
type VarInputs struct {
	Env   []string // "NAME=value" pairs, as os.Environ returns them
	Files []string
	Args  []string // "name=value"
}

// ResolveVariables gives every declared variable its value. With
// requireAll false (validate), a required variable without a value becomes
// unknown instead of an error.
func (l *Loader) ResolveVariables(w *Workflow, in VarInputs, requireAll bool) (map[string]cty.Value, hcl.Diagnostics) {
	vals := map[string]cty.Value{}
	from := map[string]string{}
	var diags hcl.Diagnostics
	for _, kv := range in.Env {
		name, raw, ok := strings.Cut(kv, "=")
		name, isVar := strings.CutPrefix(name, EnvPrefix)
		if !ok || !isVar {
			continue
		}
		v := w.Variable(name)
		if v == nil {
			continue // like Terraform's TF_VAR_: other workflows may use it
		}
		diags = append(diags, setRaw(vals, from, v, raw, "environment variable "+EnvPrefix+name)...)
	}
	for _, f := range in.Files {
		diags = append(diags, l.readVarFile(w, f, vals, from)...)
	}
	for _, arg := range in.Args {
		diags = append(diags, setArg(w, arg, vals, from)...)
	}
	for _, v := range w.Variables {
		if _, ok := vals[v.Name]; ok {
			continue
		}
		switch {
		case !v.Required():
			vals[v.Name] = v.Default
		case requireAll:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No value for required variable",
				Detail: fmt.Sprintf("Variable %q has no default. Set it with -var %s=..., in a -var-file, or with %s%s.",
					v.Name, v.Name, EnvPrefix, v.Name),
				Subject: v.DeclRange.Ptr(),
			})
		default:
			vals[v.Name] = cty.UnknownVal(v.Type)
		}
	}
	if !diags.HasErrors() {
		diags = append(diags, validateVariables(w, vals, from)...)
	}
	return vals, diags
}

func setArg(w *Workflow, arg string, vals map[string]cty.Value, from map[string]string) hcl.Diagnostics {
	name, raw, ok := strings.Cut(arg, "=")
	if !ok || name == "" {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid -var option",
			Detail:   fmt.Sprintf("%q: write -var name=value.", arg),
		}}
	}
	v := w.Variable(name)
	if v == nil {
		return hcl.Diagnostics{undeclaredVar(w, name, "-var "+arg, nil)}
	}
	return setRaw(vals, from, v, raw, "-var "+name)
}

func undeclaredVar(w *Workflow, name, source string, rng *hcl.Range) *hcl.Diagnostic {
	known := w.names("var")
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Value for undeclared variable",
		Detail: fmt.Sprintf("%s sets %q, but %s declares no such variable.%s Declare it with variable %q {} or remove the value.",
			source, name, w.Filename, didYouMean(name, known), name),
		Subject: rng,
	}
}

// setRaw reads a value given as text, the way Terraform reads -var: text
// for primitive types, an HCL expression for lists, maps and objects.
func setRaw(vals map[string]cty.Value, from map[string]string, v *Variable, raw, source string) hcl.Diagnostics {
	var val cty.Value
	if v.Type.IsPrimitiveType() || v.Type == cty.DynamicPseudoType {
		val = cty.StringVal(raw)
	} else {
		expr, diags := hclsyntax.ParseExpression([]byte(raw), source, hcl.InitialPos)
		if diags.HasErrors() {
			return invalidValue(v, source, "it is not a valid expression for "+v.Type.FriendlyName())
		}
		var d hcl.Diagnostics
		val, d = expr.Value(nil)
		if d.HasErrors() {
			return invalidValue(v, source, "it must be a constant "+v.Type.FriendlyName())
		}
	}
	return setValue(vals, from, v, val, source, nil)
}

func setValue(vals map[string]cty.Value, from map[string]string, v *Variable, val cty.Value, source string, rng *hcl.Range) hcl.Diagnostics {
	if v.Defaults != nil {
		val = v.Defaults.Apply(val)
	}
	conv, err := convert.Convert(val, v.Type)
	if err != nil {
		d := invalidValue(v, source, err.Error())
		d[0].Subject = rng
		return d
	}
	vals[v.Name], from[v.Name] = conv, source
	return nil
}

func invalidValue(v *Variable, source, why string) hcl.Diagnostics {
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Invalid value for variable",
		Detail:   fmt.Sprintf("%s sets variable %q, but %s.", source, v.Name, why),
	}}
}

func (l *Loader) readVarFile(w *Workflow, path string, vals map[string]cty.Value, from map[string]string) hcl.Diagnostics {
	var file *hcl.File
	var diags hcl.Diagnostics
	if strings.EqualFold(filepath.Ext(path), ".json") {
		file, diags = l.parser.ParseJSONFile(path)
	} else {
		file, diags = l.parser.ParseHCLFile(path)
	}
	if diags.HasErrors() {
		return diags
	}
	attrs, d := file.Body.JustAttributes()
	diags = append(diags, d...)
	for _, a := range sortedAttrs(attrs) {
		v := w.Variable(a.Name)
		if v == nil {
			diags = append(diags, undeclaredVar(w, a.Name, path, a.NameRange.Ptr()))
			continue
		}
		val, d := a.Expr.Value(nil)
		diags = append(diags, d...)
		if !d.HasErrors() {
			diags = append(diags, setValue(vals, from, v, val, path, a.Expr.Range().Ptr())...)
		}
	}
	return diags
}

// validateVariables runs each variable's validation blocks against its value.
func validateVariables(w *Workflow, vals map[string]cty.Value, from map[string]string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, v := range w.Variables {
		val := vals[v.Name]
		if !val.IsWhollyKnown() {
			continue
		}
		if v.Sensitive {
			val = val.Mark(sensitive) // so that a message computed from it is withheld
		}
		ctx := &hcl.EvalContext{
			Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{v.Name: val})},
			Functions: functions,
		}
		for _, c := range v.Validations {
			ok, msg, d := evalCondition(ctx, c)
			diags = append(diags, d...)
			if !d.HasErrors() && !ok {
				source := from[v.Name]
				if source == "" {
					source = "its default"
				}
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid value for variable",
					Detail:   fmt.Sprintf("%s (variable %q, value from %s)", msg, v.Name, source),
					Subject:  c.Condition.Range().Ptr(),
				})
			}
		}
	}
	return diags
}

// evalCondition evaluates a condition and its message. The condition must
// be a known bool.
func evalCondition(ctx *hcl.EvalContext, c *Condition) (bool, string, hcl.Diagnostics) {
	val, diags := c.Condition.Value(ctx)
	if diags.HasErrors() {
		return false, "", diags
	}
	val, _ = val.UnmarkDeep()
	if !val.IsKnown() {
		return true, "", nil // decided later, once its inputs are known
	}
	if val.IsNull() || val.Type() != cty.Bool {
		return false, "", hcl.Diagnostics{notBool("condition", c.Condition, val)}
	}
	if val.True() {
		return true, "", nil
	}
	msgVal, d := c.ErrorMessage.Value(ctx)
	if !d.HasErrors() && msgVal.ContainsMarked() {
		// The message would print a secret (or a sensitive output): it is
		// recorded and shown nowhere, as Terraform withholds it.
		return false, "The condition is false; its error_message is withheld because it is computed from a sensitive value.", nil
	}
	msgVal, _ = msgVal.UnmarkDeep()
	if d.HasErrors() || !msgVal.IsKnown() || msgVal.IsNull() {
		return false, "The condition is false.", d
	}
	if s, err := convert.Convert(msgVal, cty.String); err == nil {
		return false, s.AsString(), nil
	}
	return false, "The condition is false.", nil
}

func notBool(what string, expr hcl.Expression, val cty.Value) *hcl.Diagnostic {
	got := "null"
	if !val.IsNull() {
		got = val.Type().FriendlyName()
	}
	return &hcl.Diagnostic{
		Severity:   hcl.DiagError,
		Summary:    fmt.Sprintf("Invalid %s value", what),
		Detail:     fmt.Sprintf("%s must be true or false, but this expression gives %s.", what, got),
		Subject:    expr.Range().Ptr(),
		Expression: expr,
	}
}
