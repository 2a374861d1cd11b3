package workflow

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/k0flow/k0flow/internal/azname"
)

// Loader parses workflow and variable files, keeping their sources so that
// diagnostics can be rendered with snippets.
type Loader struct {
	parser *hclparse.Parser
}

// NewLoader returns an empty Loader.
func NewLoader() *Loader { return &Loader{parser: hclparse.NewParser()} }

// Files are the sources read so far, for hcl.NewDiagnosticTextWriter.
func (l *Loader) Files() map[string]*hcl.File { return l.parser.Files() }

// Load decodes a workflow file. The Workflow is nil only when the file
// cannot be read or parsed at all.
func (l *Loader) Load(path string) (*Workflow, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read workflow file",
			Detail:   fmt.Sprintf("%v. Pass the file as an argument, or run k0flow where deploy.hcl is.", err),
		}}
	}
	file, diags := l.parser.ParseHCL(src, path)
	if diags.HasErrors() {
		return nil, diags
	}
	var raw fileSchema
	diags = append(diags, gohcl.DecodeBody(file.Body, nil, &raw)...)
	if diags.HasErrors() {
		return nil, diags
	}
	abs, _ := filepath.Abs(path)
	sum := sha256.Sum256(src)
	w := &Workflow{Filename: path, Dir: filepath.Dir(abs), Checksum: "sha256:" + hex.EncodeToString(sum[:])}
	diags = append(diags, w.decodeWorkflow(raw.Workflows, file.Body)...)
	diags = append(diags, w.decodeVariables(raw.Variables)...)
	diags = append(diags, w.decodeLocals(raw.Locals)...)
	diags = append(diags, w.decodeTerraform(raw.Terraform)...)
	diags = append(diags, w.decodePhases(raw.Phases)...)
	if !diags.HasErrors() {
		diags = append(diags, w.checkReferences()...)
	}
	return w, diags
}

func (w *Workflow) decodeWorkflow(blocks []*workflowSchema, body hcl.Body) hcl.Diagnostics {
	if len(blocks) == 0 {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Missing workflow block",
			Detail:   `A workflow file needs one block such as: workflow "k0rdent" { state_dir = "state" }`,
			Subject:  body.MissingItemRange().Ptr(),
		}}
	}
	var diags hcl.Diagnostics
	for _, extra := range blocks[1:] {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate workflow block",
			Detail:   fmt.Sprintf("A file holds one workflow; the first is at %s.", blocks[0].DeclRange),
			Subject:  extra.DeclRange.Ptr(),
		})
	}
	b := blocks[0]
	w.Name, w.DeclRange, w.Flags = b.Name, b.DeclRange, b.Flags
	w.FlagsRange = b.Flags.Range()
	if !hclsyntax.ValidIdentifier(b.Name) {
		diags = append(diags, invalidName("workflow", b.Name, b.DeclRange))
	}
	stateDir, d := staticString(b.StateDir, "state")
	diags = append(diags, d...)
	w.StateDir = w.path(stateDir)
	idFile, d := staticString(b.IDFile, ".clusterid")
	diags = append(diags, d...)
	w.IDFile, w.IDFileSet = w.path(idFile), !isNull(b.IDFile)
	for _, c := range b.Preconditions {
		w.Preconditions = append(w.Preconditions, &Condition{c.Condition, c.ErrorMessage, c.DeclRange})
	}
	diags = append(diags, w.decodeBackend(b.Backends)...)
	return diags
}

// decodeBackend reads state_backend "azurerm" { ... }: static strings, as
// Terraform's backend block takes (a backend is needed before variables).
func (w *Workflow) decodeBackend(blocks []*backendSchema) hcl.Diagnostics {
	if len(blocks) == 0 {
		return nil
	}
	var diags hcl.Diagnostics
	for _, extra := range blocks[1:] {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate state_backend block",
			Detail: fmt.Sprintf("A workflow keeps its state in one place; the first state_backend is at %s.", blocks[0].DeclRange), Subject: extra.DeclRange.Ptr()})
	}
	b := blocks[0]
	if b.Type != "azurerm" {
		return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported state backend",
			Detail:  fmt.Sprintf("state_backend %q is not supported: the one shared backend is \"azurerm\" (Azure Blob Storage); without a state_backend block the state is in state_dir.", b.Type),
			Subject: b.DeclRange.Ptr()})
	}
	sb := &StateBackend{Type: b.Type, DeclRange: b.DeclRange}
	for _, f := range []struct {
		expr hcl.Expression
		to   *string
	}{{b.StorageAccountName, &sb.StorageAccountName}, {b.ContainerName, &sb.ContainerName}, {b.KeyPrefix, &sb.KeyPrefix}, {b.Endpoint, &sb.Endpoint}} {
		v, d := staticString(f.expr, "")
		diags = append(diags, d...)
		*f.to = v
	}
	if !isNull(b.UseAzureAD) {
		v, d := b.UseAzureAD.Value(nil)
		diags = append(diags, d...)
		switch {
		case d.HasErrors():
		case v.Type() != cty.Bool || !v.IsKnown():
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid use_azuread",
				Detail: "use_azuread is true or false (a constant, as Terraform's use_azuread_auth).", Subject: b.UseAzureAD.Range().Ptr()})
		default:
			sb.UseAzureAD = v.True()
		}
	}
	if sb.ContainerName == "" {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing container_name",
			Detail: "state_backend \"azurerm\" needs container_name (and storage_account_name, unless AZURE_STORAGE_CONNECTION_STRING names the account).", Subject: b.DeclRange.Ptr()})
	} else if err := azname.CheckContainer(sb.ContainerName); err != nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid container_name",
			Detail: err.Error() + ".", Subject: b.ContainerName.Range().Ptr()})
	}
	if err := azname.CheckKeyPrefix(sb.KeyPrefix); err != nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid key_prefix",
			Detail: err.Error() + ".", Subject: b.KeyPrefix.Range().Ptr()})
	}
	w.StateBackend = sb
	return diags
}

func (w *Workflow) path(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(w.Dir, p)
}

func (w *Workflow) decodeVariables(blocks []*variableSchema) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]hcl.Range{}
	for _, b := range blocks {
		if d := checkName("variable", b.Name, b.DeclRange, seen); d != nil {
			diags = append(diags, d)
			continue
		}
		v, d := decodeVariable(b)
		diags = append(diags, d...)
		w.Variables = append(w.Variables, v)
	}
	return diags
}

func decodeVariable(b *variableSchema) (*Variable, hcl.Diagnostics) {
	v := &Variable{Name: b.Name, Description: b.Description, Sensitive: b.Sensitive,
		Type: cty.DynamicPseudoType, DeclRange: b.DeclRange}
	var diags hcl.Diagnostics
	if !isNull(b.Type) {
		ty, defaults, d := typeexpr.TypeConstraintWithDefaults(b.Type)
		diags = append(diags, d...)
		if !d.HasErrors() {
			v.Type, v.Defaults = ty, defaults
		}
	}
	for _, c := range b.Validations {
		v.Validations = append(v.Validations, &Condition{c.Condition, c.ErrorMessage, c.DeclRange})
	}
	if b.Default == nil {
		return v, diags
	}
	val, d := b.Default.Expr.Value(nil)
	diags = append(diags, d...)
	if d.HasErrors() {
		return v, diags
	}
	if v.Defaults != nil {
		val = v.Defaults.Apply(val)
	}
	// Without a type, a primitive default decides it: `default = false`
	// makes -var x=true a bool, as an operator expects.
	if isNull(b.Type) && val.Type().IsPrimitiveType() {
		v.Type = val.Type()
	}
	conv, err := convert.Convert(val, v.Type)
	if err != nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid default value for variable",
			Detail:   fmt.Sprintf("The default of variable %q does not fit its type: %s.", b.Name, err),
			Subject:  b.Default.Expr.Range().Ptr(),
		})
		return v, diags
	}
	v.Default = conv
	return v, diags
}

func (w *Workflow) decodeLocals(blocks []*localsSchema) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]hcl.Range{}
	for _, b := range blocks {
		attrs, d := b.Body.JustAttributes()
		diags = append(diags, d...)
		for _, a := range sortedAttrs(attrs) {
			if prev, dup := seen[a.Name]; dup {
				diags = append(diags, duplicate("local value", a.Name, prev, a.Range))
				continue
			}
			seen[a.Name] = a.Range
			w.Locals = append(w.Locals, a)
		}
	}
	return diags
}

func (w *Workflow) decodeTerraform(blocks []*terraformSchema) hcl.Diagnostics {
	if len(blocks) == 0 {
		return nil
	}
	var diags hcl.Diagnostics
	for _, extra := range blocks[1:] {
		diags = append(diags, duplicate("terraform", "block", blocks[0].DeclRange, extra.DeclRange))
	}
	b := blocks[0]
	dir, d := staticString(b.Dir, "terraform")
	diags = append(diags, d...)
	maxAge, d := staticString(b.MaxAge, "")
	diags = append(diags, d...)
	binary, d := staticString(b.Binary, "")
	diags = append(diags, d...)
	vmOutput, d := staticString(b.VMOutput, "vm_details")
	diags = append(diags, d...)
	tf := &Terraform{Dir: w.path(dir), MaxAge: DefaultMaxAge, Binary: binary, VMOutput: vmOutput, DeclRange: b.DeclRange, DirRange: b.DeclRange}
	if !isNull(b.Dir) {
		tf.DirRange = b.Dir.Range()
	}
	if maxAge != "" {
		age, err := ParseDuration(maxAge)
		if err != nil {
			diags = append(diags, badValue("Invalid max_age", err, b.MaxAge))
		}
		tf.MaxAge = age
	}
	if binary != "" && !filepath.IsAbs(binary) && filepath.Base(binary) != binary {
		tf.Binary = w.path(binary)
	}
	w.Terraform = tf
	return diags
}

var terraformActions = map[string]bool{"apply": true, "refresh": true}

func (w *Workflow) decodePhases(blocks []*phaseSchema) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]hcl.Range{}
	for i, b := range blocks {
		if d := checkName("phase", b.Name, b.DeclRange, seen); d != nil {
			diags = append(diags, d)
			continue
		}
		p, d := w.decodePhase(i, b)
		diags = append(diags, d...)
		w.Phases = append(w.Phases, p)
	}
	if len(blocks) == 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "No phases",
			Detail:   "The workflow declares no phase blocks, so apply has nothing to run.",
			Subject:  w.DeclRange.Ptr(),
		})
	}
	return diags
}

func (w *Workflow) decodePhase(i int, b *phaseSchema) (*Phase, hcl.Diagnostics) {
	p := &Phase{Name: b.Name, Index: i, Description: b.Description, When: b.When, Check: b.Check,
		Destroy: b.Destroy, Env: b.Env, Dir: b.Dir, Timeout: b.Timeout, Vars: b.Vars, DeclRange: b.DeclRange}
	for _, c := range b.Preconditions {
		p.Preconditions = append(p.Preconditions, &Condition{c.Condition, c.ErrorMessage, c.DeclRange})
	}
	p.AlwaysRun = b.Reuse != nil && !*b.Reuse
	var diags hcl.Diagnostics
	for i, rb := range b.Retries {
		if i > 0 {
			diags = append(diags, duplicate("retry", "block", b.Retries[0].DeclRange, rb.DeclRange))
			continue
		}
		retry, d := decodeRetry(b.Name, rb)
		diags = append(diags, d...)
		p.Retry = retry
	}
	switch {
	case b.Run != nil && b.Terraform != nil:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Conflicting phase kinds",
			Detail:   fmt.Sprintf("Phase %q sets both run and terraform; a phase either runs a command or is a built-in terraform phase.", b.Name),
			Subject:  b.Terraform.Range.Ptr(),
		})
	case b.Run != nil:
		p.Run = b.Run.Expr
	case b.Terraform != nil:
		action, d := staticString(b.Terraform.Expr, "")
		diags = append(diags, d...)
		if !d.HasErrors() && !terraformActions[action] {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unknown terraform action",
				Detail:   fmt.Sprintf("terraform = %q: use \"apply\" or \"refresh\".", action),
				Subject:  b.Terraform.Expr.Range().Ptr(),
			})
		}
		p.Terraform = action
		if w.Terraform == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Terraform phase without a terraform block",
				Detail:   `Add a block such as: terraform { dir = "terraform" }`,
				Subject:  b.Terraform.Range.Ptr(),
			})
		}
	default:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Phase has nothing to run",
			Detail:   fmt.Sprintf(`Phase %q needs run = ["bash", "bin/script.sh"] (argv) or run = "a bash script", or terraform = "apply".`, b.Name),
			Subject:  b.DeclRange.Ptr(),
		})
	}
	if p.Terraform == "" && !isNull(b.Vars) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "vars needs a terraform phase",
			Detail:   "vars passes Terraform variables; a command phase gets values through env.",
			Subject:  b.Vars.Range().Ptr(),
		})
	}
	for _, e := range p.expressions() {
		for _, t := range e.Variables() {
			if t.RootName() == "infra" {
				p.NeedsInfra = true
			}
		}
	}
	return p, diags
}

func decodeRetry(phase string, b *retrySchema) (*Retry, hcl.Diagnostics) {
	r := &Retry{Attempts: b.Attempts, OnExitCodes: b.OnExitCodes}
	var diags hcl.Diagnostics
	if b.Attempts < 1 || b.Attempts > 100 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid retry attempts",
			Detail:   fmt.Sprintf("Phase %q: attempts counts every run of the phase, the first included: 1 to 100, not %d.", phase, b.Attempts),
			Subject:  b.DeclRange.Ptr(),
		})
	}
	delay, d := staticString(b.Delay, "0s")
	diags = append(diags, d...)
	if !d.HasErrors() {
		dur, err := ParseDuration(delay)
		if err != nil {
			diags = append(diags, badValue("Invalid retry delay", err, b.Delay))
		}
		r.Delay = dur
	}
	for _, c := range b.OnExitCodes {
		if c < 1 || c > 255 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid exit code",
				Detail:   fmt.Sprintf("Phase %q: on_exit_codes lists exit codes 1 to 255, not %d.", phase, c),
				Subject:  b.DeclRange.Ptr(),
			})
		}
	}
	return r, diags
}

// checkName refuses a block name that is taken or not an identifier, and
// remembers a good one.
func checkName(what, name string, rng hcl.Range, seen map[string]hcl.Range) *hcl.Diagnostic {
	if prev, dup := seen[name]; dup {
		return duplicate(what, name, prev, rng)
	}
	seen[name] = rng
	if !hclsyntax.ValidIdentifier(name) {
		return invalidName(what, name, rng)
	}
	return nil
}

func sortedAttrs(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	// Source order, so diagnostics come out in the order a reader meets them.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Range.Start.Byte < out[j-1].Range.Start.Byte; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
