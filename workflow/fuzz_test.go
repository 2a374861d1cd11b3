package workflow

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad: a workflow file of any bytes is decoded or refused with
// diagnostics; it never panics, and what loads can be given values.
func FuzzLoad(f *testing.F) {
	for _, p := range []string{"../examples/quickstart/deploy.hcl", "../examples/k0rdent-azure/deploy.hcl",
		"../examples/k0rdent-azure/deploy-terraform.hcl", "../testdata/history/deploy.hcl"} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("workflow \"w\" {}\nphase \"p\" {\n run = [\"true\"]\n retry {\n  attempts = 2\n }\n}\n"))
	f.Add([]byte("workflow \"w\" { flags = { a = var.x } }\nvariable \"x\" { sensitive = true }\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		path := filepath.Join(t.TempDir(), "deploy.hcl")
		if err := os.WriteFile(path, src, 0o600); err != nil {
			t.Fatal(err)
		}
		l := NewLoader()
		w, diags := l.Load(path)
		if w == nil || diags.HasErrors() {
			return
		}
		vals, diags := l.ResolveVariables(w, VarInputs{}, false)
		if diags.HasErrors() {
			return
		}
		scope, diags := l.NewScope(w, vals)
		if diags.HasErrors() {
			return
		}
		for _, p := range w.Phases {
			_, _ = scope.Applicable(p)
			_, _ = scope.Resolve(p)
		}
	})
}
