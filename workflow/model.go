package workflow

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/zclconf/go-cty/cty"
)

// Workflow is a decoded deploy.hcl: structure is checked, expressions that
// depend on variables are kept for a Scope to evaluate.
type Workflow struct {
	Name     string
	Filename string // as given on the command line
	Dir      string // absolute directory of the file; relative paths start here
	StateDir string // absolute
	// StateBackend is where the state lives when it is not StateDir: a
	// team's shared storage (nil: the local directory).
	StateBackend *StateBackend
	// IDFile holds a new deployment's id (absolute; default .clusterid
	// beside the file, the bash project's). IDFileSet says the workflow
	// named it, so k0flow writes a new id there for the scripts to read.
	IDFile        string
	IDFileSet     bool
	Checksum      string // sha256 of the file's bytes
	Flags         hcl.Expression
	FlagsRange    hcl.Range
	Variables     []*Variable
	Locals        []*hcl.Attribute
	Terraform     *Terraform
	Preconditions []*Condition
	Phases        []*Phase
	DeclRange     hcl.Range
}

// StateBackend is a state_backend block.
type StateBackend struct {
	Type               string // azurerm
	StorageAccountName string
	ContainerName      string
	KeyPrefix          string
	Endpoint           string
	UseAzureAD         bool
	DeclRange          hcl.Range
}

// Variable is a declared input.
type Variable struct {
	Name        string
	Description string
	Type        cty.Type
	Defaults    *typeexpr.Defaults
	Default     cty.Value // cty.NilVal when the variable is required
	Sensitive   bool
	Validations []*Condition
	DeclRange   hcl.Range
}

// Required says whether the variable has no default.
func (v *Variable) Required() bool { return v.Default == cty.NilVal }

// Condition is a precondition or a variable validation.
type Condition struct {
	Condition    hcl.Expression
	ErrorMessage hcl.Expression
	DeclRange    hcl.Range
}

// Terraform is the terraform block.
type Terraform struct {
	Dir       string // absolute
	MaxAge    time.Duration
	Binary    string
	VMOutput  string
	DeclRange hcl.Range
	DirRange  hcl.Range // where dir is set, or the block
}

// DefaultMaxAge is how old the infrastructure cache may be before a phase
// that reads infra.* makes k0flow sync it.
const DefaultMaxAge = time.Hour

// Phase is one phase block.
type Phase struct {
	Name          string
	Index         int
	Description   hcl.Expression
	When          hcl.Expression
	Run           hcl.Expression // nil for a terraform phase
	Check         hcl.Expression
	Destroy       hcl.Expression
	Env           hcl.Expression
	Dir           hcl.Expression
	Timeout       hcl.Expression
	Terraform     string // "apply", "refresh" or "" for a command phase
	Vars          hcl.Expression
	Preconditions []*Condition
	// Retry, when set, runs a failing phase again.
	Retry *Retry
	// AlwaysRun (reuse = false) makes the phase run on every apply, never
	// reused: preflight checks and per-run bookkeeping.
	AlwaysRun bool
	// NeedsInfra is true when any of the phase's expressions reads infra.*:
	// the runner syncs the cache before evaluating them.
	NeedsInfra bool
	DeclRange  hcl.Range
}

// Retry is a phase's retry block: up to Attempts runs in all, Delay apart,
// when the exit code is one of OnExitCodes (any non-zero one when empty).
type Retry struct {
	Attempts    int
	Delay       time.Duration
	OnExitCodes []int
}

// Retries says whether a run that ended with code should be tried again.
func (r *Retry) Retries(code int) bool {
	if r == nil || code == 0 {
		return false
	}
	if len(r.OnExitCodes) == 0 {
		return true
	}
	for _, c := range r.OnExitCodes {
		if c == code {
			return true
		}
	}
	return false
}

// HasDestroy says whether the phase sets a destroy command.
func (p *Phase) HasDestroy() bool { return !isNull(p.Destroy) }

// Phase returns the named phase, or nil.
func (w *Workflow) Phase(name string) *Phase {
	for _, p := range w.Phases {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Variable returns the named variable, or nil.
func (w *Workflow) Variable(name string) *Variable {
	for _, v := range w.Variables {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// PhaseNames lists the phases in file order.
func (w *Workflow) PhaseNames() []string {
	names := make([]string, len(w.Phases))
	for i, p := range w.Phases {
		names[i] = p.Name
	}
	return names
}

func (p *Phase) expressions() []hcl.Expression {
	exprs := []hcl.Expression{p.Description, p.When, p.Run, p.Check, p.Destroy, p.Env, p.Dir, p.Timeout, p.Vars}
	for _, c := range p.Preconditions {
		exprs = append(exprs, c.Condition, c.ErrorMessage)
	}
	out := exprs[:0]
	for _, e := range exprs {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

// CheckPaths reports what the file names that is not there: the terraform
// block's directory. Load leaves the filesystem alone; validate, plan and
// apply call this.
func (w *Workflow) CheckPaths() hcl.Diagnostics {
	tf := w.Terraform
	if tf == nil {
		return nil
	}
	if fi, err := os.Stat(tf.Dir); err == nil && fi.IsDir() {
		return nil
	}
	subject := tf.DirRange
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Terraform directory not found",
		Detail: fmt.Sprintf("The terraform block's dir is %s, which is not a directory. Put the Terraform configuration there, or set dir to where it is (relative to %s).",
			tf.Dir, filepath.Base(w.Filename)),
		Subject: &subject,
	}}
}
