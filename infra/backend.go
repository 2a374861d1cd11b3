package infra

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Backend is where a working directory keeps its Terraform state.
type Backend struct {
	Type      string
	Config    map[string]any // secrets left out
	StatePath string         // absolute path for local, an identifier otherwise
}

// secretKeys are backend settings never recorded: credentials belong in the
// environment, not in deployment-state.yaml.
var secretKeys = map[string]bool{
	"access_key": true, "secret_key": true, "token": true, "sas_token": true,
	"client_secret": true, "client_certificate_password": true, "password": true,
	"oidc_token": true, "ado_pipeline_service_connection_id": false,
}

// DetectBackend reads .terraform/terraform.tfstate, which `terraform init`
// writes with the backend's type and configuration. No file means the
// default local backend.
func DetectBackend(dir string) (Backend, error) {
	path := filepath.Join(dir, ".terraform", "terraform.tfstate")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return localBackend(dir, nil), nil
	}
	if err != nil {
		return Backend{}, err
	}
	var doc struct {
		Backend *struct {
			Type   string         `json:"type"`
			Config map[string]any `json:"config"`
		} `json:"backend"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return Backend{}, fmt.Errorf("read %s: %w", path, err)
	}
	if doc.Backend == nil || doc.Backend.Type == "" || doc.Backend.Type == "local" {
		var cfg map[string]any
		if doc.Backend != nil {
			cfg = doc.Backend.Config
		}
		return localBackend(dir, cfg), nil
	}
	cfg := clean(doc.Backend.Config)
	return Backend{Type: doc.Backend.Type, Config: cfg, StatePath: identifier(doc.Backend.Type, cfg)}, nil
}

func localBackend(dir string, cfg map[string]any) Backend {
	cfg = clean(cfg)
	state := "terraform.tfstate"
	if p, ok := cfg["path"].(string); ok && p != "" {
		state = p
	}
	if !filepath.IsAbs(state) {
		state = filepath.Join(dir, state)
	}
	abs, err := filepath.Abs(state)
	if err == nil {
		state = abs
	}
	return Backend{Type: "local", Config: cfg, StatePath: state}
}

// clean drops unset values and secrets.
func clean(cfg map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range cfg {
		if v == nil || secretKeys[k] {
			continue
		}
		if s, ok := v.(string); ok && s == "" {
			continue
		}
		out[k] = v
	}
	return out
}

// identifier names a remote state the way people write it:
// azurerm://account/container/key, s3://bucket/key.
func identifier(typ string, cfg map[string]any) string {
	str := func(k string) string { s, _ := cfg[k].(string); return s }
	switch typ {
	case "azurerm":
		return fmt.Sprintf("azurerm://%s/%s/%s", str("storage_account_name"), str("container_name"), str("key"))
	case "s3":
		return fmt.Sprintf("s3://%s/%s", str("bucket"), str("key"))
	case "gcs":
		return fmt.Sprintf("gcs://%s/%s", str("bucket"), str("prefix"))
	}
	return typ + "://" + strings.Join(keyValues(cfg, "%s=%v"), ",")
}

// keyValues formats each setting with format (key, then value), by key.
func keyValues(cfg map[string]any, format string) []string {
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf(format, k, cfg[k])
	}
	return out
}

// InitArgs are the -backend-config flags that re-initialise the recorded
// backend in a new shell (credentials come from the environment).
func InitArgs(cfg map[string]any) []string {
	return keyValues(cfg, "-backend-config=%s=%v")
}
