package workflow

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/k0flow/k0flow/internal/suggest"
)

// checkReferences finds every var.*, local.*, flag.* and infra.* reference
// that cannot work, before anything is evaluated: an undeclared name, or a
// namespace that an attribute may not read.
func (w *Workflow) checkReferences() hcl.Diagnostics {
	var diags hcl.Diagnostics
	valuesOnly := []string{"var", "local"}
	for _, a := range w.Locals {
		diags = append(diags, w.checkExpr(a.Expr, "a local value", valuesOnly)...)
	}
	diags = append(diags, w.checkExpr(w.Flags, "flags", valuesOnly)...)
	for _, c := range w.Preconditions {
		diags = append(diags, w.checkCondition(c, "a workflow precondition", []string{"var", "local", "flag"})...)
	}
	for _, p := range w.Phases {
		diags = append(diags, w.checkPhase(p)...)
	}
	return diags
}

func (w *Workflow) checkPhase(p *Phase) hcl.Diagnostics {
	early := []string{"var", "local", "flag"}
	all := []string{"var", "local", "flag", "infra"}
	diags := w.checkExpr(p.When, "when", early)
	for _, e := range []hcl.Expression{p.Description, p.Run, p.Check, p.Destroy, p.Env, p.Dir, p.Timeout, p.Vars} {
		diags = append(diags, w.checkExpr(e, "a phase attribute", all)...)
	}
	for _, c := range p.Preconditions {
		diags = append(diags, w.checkCondition(c, "a phase precondition", all)...)
	}
	return diags
}

func (w *Workflow) checkCondition(c *Condition, where string, allowed []string) hcl.Diagnostics {
	return append(w.checkExpr(c.Condition, where, allowed), w.checkExpr(c.ErrorMessage, where, allowed)...)
}

func (w *Workflow) checkExpr(expr hcl.Expression, where string, allowed []string) hcl.Diagnostics {
	if expr == nil {
		return nil
	}
	var diags hcl.Diagnostics
	for _, t := range expr.Variables() {
		if d := w.checkTraversal(t, where, allowed); d != nil {
			diags = append(diags, d)
		}
	}
	return diags
}

func (w *Workflow) checkTraversal(t hcl.Traversal, where string, allowed []string) *hcl.Diagnostic {
	root := t.RootName()
	rng := t.SourceRange()
	if !contains(allowed, root) {
		if contains([]string{"var", "local", "flag", "infra"}, root) {
			return &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("%s.* cannot be used in %s", root, where),
				Detail:   fmt.Sprintf("%s may refer to %s only. %s", where, strings.Join(allowed, ".*, ")+".*", whyNot(root)),
				Subject:  &rng,
			}
		}
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unknown reference",
			Detail: fmt.Sprintf("There is no %q namespace; expressions may refer to var.*, local.*, flag.* and infra.*. "+
				"In a bash script, write $${%s} or $%s for a shell variable: ${...} is HCL interpolation.", root, root, root),
			Subject: &rng,
		}
	}
	name := attrName(t)
	if root == "infra" {
		if w.Terraform == nil {
			return &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "infra.* needs a terraform block",
				Detail:   `infra.* reads Terraform outputs; declare where they come from with terraform { dir = "terraform" }.`,
				Subject:  &rng,
			}
		}
		return nil
	}
	if name == "" {
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid reference",
			Detail:   fmt.Sprintf("Refer to one value at a time, as in %s.name.", root),
			Subject:  &rng,
		}
	}
	known := w.names(root)
	if known == nil || known[name] {
		return nil
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Reference to undeclared %s", kindOf(root)),
		Detail:   fmt.Sprintf("%s.%s is not declared.%s", root, name, didYouMean(name, known)),
		Subject:  &rng,
	}
}

func whyNot(root string) string {
	switch root {
	case "infra":
		return "Infrastructure outputs are known only once Terraform has run, and applicability must be decided before a run starts."
	case "flag":
		return "Flags are computed from variables and locals."
	}
	return ""
}

func kindOf(root string) string {
	switch root {
	case "var":
		return "variable"
	case "local":
		return "local value"
	}
	return "flag"
}

// names returns the declared names of a namespace, or nil when they cannot
// be known statically (flags built by an expression other than an object).
func (w *Workflow) names(root string) map[string]bool {
	out := map[string]bool{}
	switch root {
	case "var":
		for _, v := range w.Variables {
			out[v.Name] = true
		}
	case "local":
		for _, a := range w.Locals {
			out[a.Name] = true
		}
	case "flag":
		obj, ok := w.Flags.(*hclsyntax.ObjectConsExpr)
		if !ok {
			if isNull(w.Flags) {
				return out
			}
			return nil
		}
		for _, item := range obj.Items {
			key, diags := item.KeyExpr.Value(nil)
			if diags.HasErrors() || !key.IsKnown() || key.IsNull() {
				return nil
			}
			out[key.AsString()] = true
		}
	}
	return out
}

func attrName(t hcl.Traversal) string {
	if len(t) < 2 {
		return ""
	}
	if a, ok := t[1].(hcl.TraverseAttr); ok {
		return a.Name
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// didYouMean names the closest declared name, for typos.
func didYouMean(name string, known map[string]bool) string {
	keys := make([]string, 0, len(known))
	for k := range known {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if best := suggest.Closest(name, keys, 2); best != "" {
		return fmt.Sprintf(" Did you mean %q?", best)
	}
	if len(keys) == 0 {
		return " None are declared."
	}
	return " Declared: " + strings.Join(keys, ", ") + "."
}
