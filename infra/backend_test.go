package infra

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func writeBackend(t *testing.T, json string) string {
	t.Helper()
	dir := t.TempDir()
	if json != "" {
		if err := os.MkdirAll(filepath.Join(dir, ".terraform"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ".terraform", "terraform.tfstate"), []byte(json), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestDetectBackend(t *testing.T) {
	tests := []struct {
		name, json       string
		typ, statePath   string
		config           map[string]any
		wantRelativePath bool
	}{
		{name: "no init yet: local", typ: "local", statePath: "terraform.tfstate", config: map[string]any{}, wantRelativePath: true},
		{name: "local with a path", json: `{"version":3,"backend":{"type":"local","config":{"path":"env/prod.tfstate","workspace_dir":null}}}`,
			typ: "local", statePath: "env/prod.tfstate", config: map[string]any{"path": "env/prod.tfstate"}, wantRelativePath: true},
		{name: "azurerm", json: `{"version":3,"backend":{"type":"azurerm","config":{
			"storage_account_name":"k0rdentstate","container_name":"tfstate","key":"k0rdent-4f2a9c1e.tfstate",
			"resource_group_name":"tfstate-rg","access_key":"SECRET","sas_token":null,"use_azuread_auth":true}}}`,
			typ: "azurerm", statePath: "azurerm://k0rdentstate/tfstate/k0rdent-4f2a9c1e.tfstate",
			config: map[string]any{"storage_account_name": "k0rdentstate", "container_name": "tfstate",
				"key": "k0rdent-4f2a9c1e.tfstate", "resource_group_name": "tfstate-rg", "use_azuread_auth": true}},
		{name: "s3", json: `{"version":3,"backend":{"type":"s3","config":{
			"bucket":"k0rdent-state","key":"k0rdent-4f2a9c1e.tfstate","region":"us-east-2",
			"dynamodb_table":"terraform-locks","secret_key":"SECRET","access_key":"AKIA"}}}`,
			typ: "s3", statePath: "s3://k0rdent-state/k0rdent-4f2a9c1e.tfstate",
			config: map[string]any{"bucket": "k0rdent-state", "key": "k0rdent-4f2a9c1e.tfstate", "region": "us-east-2", "dynamodb_table": "terraform-locks"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeBackend(t, tt.json)
			b, err := DetectBackend(dir)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.statePath
			if tt.wantRelativePath {
				want = filepath.Join(dir, tt.statePath)
			}
			if b.Type != tt.typ || b.StatePath != want {
				t.Errorf("got %s %s, want %s %s", b.Type, b.StatePath, tt.typ, want)
			}
			if !reflect.DeepEqual(b.Config, tt.config) {
				t.Errorf("config = %v, want %v (secrets and nulls dropped)", b.Config, tt.config)
			}
		})
	}
}

func TestDetectBackendRejectsGarbage(t *testing.T) {
	if _, err := DetectBackend(writeBackend(t, "{not json")); err == nil {
		t.Fatal("garbage accepted")
	}
}

func TestInitArgs(t *testing.T) {
	got := InitArgs(map[string]any{"key": "a.tfstate", "container_name": "tfstate", "use_azuread_auth": true})
	want := []string{"-backend-config=container_name=tfstate", "-backend-config=key=a.tfstate", "-backend-config=use_azuread_auth=true"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("InitArgs = %v", got)
	}
}

func TestVarFileIsPrivateAndRemoved(t *testing.T) {
	var path string
	err := withVarFile(map[string]any{"n": int64(3), "password": "s3cr3t", "tags": []any{"x"}}, func(file string) error {
		path = file
		info, err := os.Stat(file)
		if err != nil {
			return err
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("mode %o, want 600", info.Mode().Perm())
		}
		data, _ := os.ReadFile(file)
		if string(data) != `{"n":3,"password":"s3cr3t","tags":["x"]}` {
			t.Errorf("file holds %s", data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("%s is still there", path)
	}
}
