package workflow

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

func duplicate(what, name string, first, again hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Duplicate %s %q", what, name),
		Detail:   fmt.Sprintf("%s %q was already declared at %s. Names must be unique; rename or remove one.", what, name, first),
		Subject:  again.Ptr(),
	}
}

func invalidName(what, name string, rng hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Invalid %s name", what),
		Detail:   fmt.Sprintf("%q is not a valid name: use letters, digits, underscores and dashes, starting with a letter.", name),
		Subject:  rng.Ptr(),
	}
}

func badValue(summary string, err error, expr hcl.Expression) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity:   hcl.DiagError,
		Summary:    summary,
		Detail:     err.Error() + ".",
		Subject:    expr.Range().Ptr(),
		Expression: expr,
	}
}

// isNull says whether an optional expression was left out (gohcl gives a
// static null for a missing attribute) or set to null.
func isNull(expr hcl.Expression) bool {
	if expr == nil {
		return true
	}
	if len(expr.Variables()) > 0 {
		return false
	}
	v, diags := expr.Value(nil)
	return !diags.HasErrors() && v.IsNull()
}

// staticString evaluates an attribute that must be a constant string.
func staticString(expr hcl.Expression, def string) (string, hcl.Diagnostics) {
	if isNull(expr) {
		return def, nil
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		return def, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Value must be a constant",
			Detail:   "This attribute is read before variables are known, so it cannot refer to var, local, flag or infra.",
			Subject:  expr.Range().Ptr(),
		}}
	}
	if v.Type() != cty.String {
		return def, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Value must be a string",
			Detail:   fmt.Sprintf("Expected a string here, got %s.", v.Type().FriendlyName()),
			Subject:  expr.Range().Ptr(),
		}}
	}
	return v.AsString(), nil
}
