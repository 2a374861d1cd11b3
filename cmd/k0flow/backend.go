package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/statestore/azurerm"
	"github.com/k0flow/k0flow/workflow"
)

// The shared state backend. A workflow's state_backend block names it; a
// phase's own k0flow calls (state set, the library) reach the same state
// through the variables the runner gives them, as does any command run
// with them set:
//
//	K0FLOW_STATE_BACKEND=azurerm (local: the state directory)
//	K0FLOW_AZURERM_STORAGE_ACCOUNT_NAME, K0FLOW_AZURERM_CONTAINER_NAME,
//	K0FLOW_AZURERM_KEY_PREFIX, K0FLOW_AZURERM_ENDPOINT,
//	K0FLOW_AZURERM_USE_AZUREAD=true (Azure AD through azidentity)
//	K0FLOW_AZURERM_LEASE_SECONDS (15 to 60; default 60)
//	K0FLOW_AZURERM_RETRIES (0 to 10; default 4)
//
// Credentials come from AZURE_STORAGE_CONNECTION_STRING, ARM_ACCESS_KEY,
// or with use_azuread from azidentity's default chain.

// backendConfig is --backend-config KEY=VALUE, repeatable, as Terraform's
// -backend-config: settings of the shared backend that override the
// environment's and the workflow's. A bad setting is kept in err and
// reported after parsing, by the command: pflag's own message would echo
// the value, and a Terraform habit may put a secret there.
type backendConfig struct {
	set map[string]string
	err error
}

var backendKeys = []string{"type", "storage_account_name", "container_name", "key_prefix", "endpoint", "use_azuread"}

func (b *backendConfig) String() string { return "" }
func (b *backendConfig) Type() string   { return "KEY=VALUE" }
func (b *backendConfig) Set(kv string) error {
	if b.err == nil {
		b.err = b.add(kv)
	}
	return nil
}

func (b *backendConfig) add(kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	switch {
	case !ok:
		return usageErrorf("--backend-config: a setting is KEY=VALUE with KEY one of %s", strings.Join(backendKeys, ", "))
	case k == "access_key" || k == "sas_token" || k == "client_secret" || k == "connection_string":
		return usageErrorf("--backend-config %s: credentials are never taken from the command line (it is visible to every user of the machine); set ARM_ACCESS_KEY or AZURE_STORAGE_CONNECTION_STRING, or use_azuread=true", k)
	case !slices.Contains(backendKeys, k):
		return usageErrorf("--backend-config: %q is not a setting: KEY is one of %s", k, strings.Join(backendKeys, ", "))
	case k == "type" && v != "azurerm" && v != "local":
		return usageErrorf("--backend-config type=%q: the shared backend is azurerm (local: the state directory)", v)
	case k == "use_azuread" && !isBool(v):
		return usageErrorf("--backend-config use_azuread=%q is not true or false", v)
	}
	if b.set == nil {
		b.set = map[string]string{}
	}
	b.set[k] = v
	return nil
}

func isBool(s string) bool { _, err := strconv.ParseBool(s); return err == nil }

// stateFlags registers the flags that say where a command's state is:
// --state-dir (help says its default) and --backend-config.
func (c *cli) stateFlags(fs *pflag.FlagSet, dir *string, help string) {
	fs.StringVar(dir, "state-dir", "", help)
	fs.Var(&c.backendFlags, "backend-config", "a shared state backend setting, KEY=VALUE (repeatable): "+strings.Join(backendKeys, ", ")+"; overrides the workflow's state_backend and K0FLOW_AZURERM_*")
}

// backend is the state backend of this command, nil for the local
// directory: --backend-config over the environment's, else the workflow's.
func (c *cli) backend() *workflow.StateBackend {
	sb := c.backendBeforeFlags()
	if len(c.backendFlags.set) == 0 {
		return sb
	}
	if c.backendFlags.set["type"] == "local" {
		return nil
	}
	if sb == nil {
		sb = &workflow.StateBackend{Type: "azurerm"}
	} else {
		copied := *sb
		sb = &copied
	}
	for k, v := range c.backendFlags.set {
		switch k {
		case "storage_account_name":
			sb.StorageAccountName = v
		case "container_name":
			sb.ContainerName = v
		case "key_prefix":
			sb.KeyPrefix = v
		case "endpoint":
			sb.Endpoint = v
		case "use_azuread":
			sb.UseAzureAD = isTrue(v)
		}
	}
	return sb
}

func (c *cli) backendBeforeFlags() *workflow.StateBackend {
	t := c.getenv("K0FLOW_STATE_BACKEND")
	if t == "local" {
		return nil // said by the runner: no workflow to load to find out
	}
	if t != "" {
		return &workflow.StateBackend{Type: t,
			StorageAccountName: c.getenv("K0FLOW_AZURERM_STORAGE_ACCOUNT_NAME"),
			ContainerName:      c.getenv("K0FLOW_AZURERM_CONTAINER_NAME"),
			KeyPrefix:          c.getenv("K0FLOW_AZURERM_KEY_PREFIX"),
			Endpoint:           c.getenv("K0FLOW_AZURERM_ENDPOINT"),
			UseAzureAD:         isTrue(c.getenv("K0FLOW_AZURERM_USE_AZUREAD"))}
	}
	if wf := c.workflowIfAny(); wf != nil {
		return wf.StateBackend
	}
	return nil
}

func isTrue(s string) bool { b, _ := strconv.ParseBool(s); return b }

// backendEnv is what a phase is given to reach the same state; "local"
// spares each of its k0flow calls loading the workflow to learn that.
func (c *cli) backendEnv() []string {
	sb := c.backend()
	if sb == nil {
		return []string{"K0FLOW_STATE_BACKEND=local"}
	}
	env := []string{"K0FLOW_STATE_BACKEND=" + sb.Type,
		"K0FLOW_AZURERM_STORAGE_ACCOUNT_NAME=" + sb.StorageAccountName,
		"K0FLOW_AZURERM_CONTAINER_NAME=" + sb.ContainerName,
		"K0FLOW_AZURERM_KEY_PREFIX=" + sb.KeyPrefix,
		"K0FLOW_AZURERM_ENDPOINT=" + sb.Endpoint,
		"K0FLOW_AZURERM_USE_AZUREAD=" + strconv.FormatBool(sb.UseAzureAD)}
	for _, name := range []string{"K0FLOW_AZURERM_LEASE_SECONDS", "K0FLOW_AZURERM_RETRIES"} {
		if v := c.getenv(name); v != "" {
			env = append(env, name+"="+v)
		}
	}
	return env
}

// storage is where this command's state lives: the shared backend, or
// the local directory dir.
func (c *cli) storage(dir string) statestore.Storage {
	sb := c.backend()
	if sb == nil {
		return &statestore.Dir{Path: dir}
	}
	if c.remote != nil {
		return c.remote
	}
	cfg := azurerm.Config{StorageAccountName: sb.StorageAccountName, ContainerName: sb.ContainerName,
		KeyPrefix: sb.KeyPrefix, Endpoint: sb.Endpoint, UseAzureAD: sb.UseAzureAD}
	if v := c.getenv("K0FLOW_AZURERM_LEASE_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return brokenStorage{fmt.Errorf("K0FLOW_AZURERM_LEASE_SECONDS=%q is not a number of seconds", v)}
		}
		cfg.LeaseDuration = time.Duration(n) * time.Second
	}
	if v := c.getenv("K0FLOW_AZURERM_RETRIES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return brokenStorage{fmt.Errorf("K0FLOW_AZURERM_RETRIES=%q is not a number of retries (0 to 10)", v)}
		}
		cfg.Retries = &n
	}
	s, err := azurerm.New(context.Background(), cfg, c.env)
	if err != nil {
		return brokenStorage{err}
	}
	c.remote = s
	return s
}

// brokenStorage is a backend that could not be reached: every use says
// why, and nothing is written anywhere else instead.
type brokenStorage struct{ err error }

func (b brokenStorage) Read(string) ([]byte, string, error)          { return nil, "", b.err }
func (b brokenStorage) Write(string, []byte, string) (string, error) { return "", b.err }
func (b brokenStorage) Append(string, []byte) error                  { return b.err }
func (b brokenStorage) Stream(string) (io.WriteCloser, error)        { return nil, b.err }
func (b brokenStorage) List(string) ([]string, error)                { return nil, b.err }
func (b brokenStorage) Move(string, string) error                    { return b.err }
func (b brokenStorage) Remove(string) error                          { return b.err }
func (b brokenStorage) Location(name string) string                  { return "(unreachable state backend) " + name }
func (b brokenStorage) Lock(context.Context, string, statestore.LockHolder, bool) (statestore.Unlocker, error) {
	return nil, b.err
}
