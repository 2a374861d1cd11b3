package infra

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
	"github.com/k0flow/k0flow/statestore"
)

// Terraform drives one Terraform working directory.
type Terraform struct {
	Dir    string
	Binary string
	tf     *tfexec.Terraform
}

// ErrNoTerraform says no terraform binary could be found.
var ErrNoTerraform = errors.New("terraform not found")

// New finds terraform (binary if set, else on PATH) for a working directory.
func New(dir, binary string) (*Terraform, error) {
	path, err := find(binary)
	if err != nil {
		return nil, err
	}
	tf, err := tfexec.NewTerraform(dir, path)
	if err != nil {
		return nil, fmt.Errorf("terraform in %s: %w", dir, err)
	}
	return &Terraform{Dir: dir, Binary: path, tf: tf}, nil
}

func find(binary string) (string, error) {
	name := binary
	if name == "" {
		name = "terraform"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w: %s is not on PATH or not executable; install Terraform 1.5 or later (or build one with `make tools` in the k0flow repository and add its .tools/bin to PATH), or set terraform { binary = \"...\" }", ErrNoTerraform, name)
	}
	return path, nil
}

// Output is one Terraform output.
type Output struct {
	Value     any
	Sensitive bool
}

// Outputs runs `terraform output -json`.
func (t *Terraform) Outputs(ctx context.Context) (map[string]Output, error) {
	meta, err := t.tf.Output(ctx)
	if err != nil {
		return nil, fmt.Errorf("terraform output: %w", err)
	}
	out := make(map[string]Output, len(meta))
	for name, m := range meta {
		// Numbers as json.Number, then ints where whole (statestore's
		// rule for every JSON value it keeps): YAML writes 3, not 3.0e+00,
		// and a whole number past 2^53 keeps its digits.
		dec := json.NewDecoder(bytes.NewReader(m.Value))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("terraform output %s: %w", name, err)
		}
		out[name] = Output{Value: statestore.FromJSON(v), Sensitive: m.Sensitive}
	}
	return out, nil
}

// Version returns terraform's version.
func (t *Terraform) Version(ctx context.Context) (string, error) {
	v, _, err := t.tf.Version(ctx, true)
	if err != nil {
		return "", fmt.Errorf("terraform version: %w", err)
	}
	return v.String(), nil
}

// Checksum is the SHA-256 of the Terraform state: the local state file's
// bytes, or `terraform state pull` for a remote backend. A local state
// that does not exist yet has the checksum of no bytes.
func (t *Terraform) Checksum(ctx context.Context, b Backend) (string, error) {
	if b.Type == "local" {
		data, err := os.ReadFile(b.StatePath)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("read %s: %w", b.StatePath, err)
		}
		return sum(data), nil
	}
	state, err := t.tf.StatePull(ctx)
	if err != nil {
		return "", fmt.Errorf("terraform state pull: %w", err)
	}
	return sum([]byte(state)), nil
}

func sum(data []byte) string {
	s := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(s[:])
}

// Stream sends terraform's output to w (the phase log and the terminal).
func (t *Terraform) Stream(w io.Writer) {
	t.tf.SetStdout(w)
	t.tf.SetStderr(w)
}

// SetGrace is how long terraform may take to stop after SIGINT, which it
// gets when ctx is cancelled, before it is killed.
func (t *Terraform) SetGrace(d time.Duration) { _ = t.tf.SetWaitDelay(d) }

// Init runs `terraform init` when the directory has not been initialised.
func (t *Terraform) Init(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(t.Dir, ".terraform")); err == nil {
		return nil
	}
	if err := t.tf.Init(ctx); err != nil {
		return fmt.Errorf("terraform init: %w", err)
	}
	return nil
}

// Apply runs `terraform apply -auto-approve` with the given variables.
func (t *Terraform) Apply(ctx context.Context, vars map[string]any) error {
	return withVarFile(vars, func(file string) error {
		opts := []tfexec.ApplyOption{}
		if file != "" {
			opts = append(opts, tfexec.VarFile(file))
		}
		if err := t.tf.Apply(ctx, opts...); err != nil {
			return fmt.Errorf("terraform apply: %w", err)
		}
		return nil
	})
}

// Refresh runs `terraform refresh`.
func (t *Terraform) Refresh(ctx context.Context, vars map[string]any) error {
	return withVarFile(vars, func(file string) error {
		opts := []tfexec.RefreshCmdOption{}
		if file != "" {
			opts = append(opts, tfexec.VarFile(file))
		}
		if err := t.tf.Refresh(ctx, opts...); err != nil {
			return fmt.Errorf("terraform refresh: %w", err)
		}
		return nil
	})
}

// Destroy runs `terraform destroy -auto-approve`.
func (t *Terraform) Destroy(ctx context.Context, vars map[string]any) error {
	return withVarFile(vars, func(file string) error {
		opts := []tfexec.DestroyOption{}
		if file != "" {
			opts = append(opts, tfexec.VarFile(file))
		}
		if err := t.tf.Destroy(ctx, opts...); err != nil {
			return fmt.Errorf("terraform destroy: %w", err)
		}
		return nil
	})
}

// withVarFile hands the variables to terraform in a .tfvars.json file
// only its owner can read, removed afterwards: on the command line (-var)
// a sensitive value would be visible to every user in ps and /proc.
func withVarFile(vars map[string]any, fn func(file string) error) error {
	if len(vars) == 0 {
		return fn("")
	}
	data, err := json.Marshal(vars)
	if err != nil {
		return fmt.Errorf("terraform variables: %w", err)
	}
	f, err := os.CreateTemp("", "k0flow-*.tfvars.json") // 0600
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return fn(f.Name())
}

// Ref is the terraform section of the state as detected now.
func Ref(b Backend, version string) *statestore.TerraformRef {
	return &statestore.TerraformRef{
		StatePath: b.StatePath,
		Backend:   statestore.Backend{Type: b.Type, Config: b.Config},
		Version:   version,
	}
}
