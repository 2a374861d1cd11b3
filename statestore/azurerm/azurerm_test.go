package azurerm_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/k0flow/k0flow/internal/azurite"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/statestore/azurerm"
	"github.com/k0flow/k0flow/statestore/storagetest"
)

// azuriteConn starts a real Azurite for the test (stopped when it ends);
// under CI=true a missing Azurite fails the test, never skips it.
func azuriteConn(t *testing.T) string {
	t.Helper()
	return azuriteServer(t).ConnectionString()
}

// azuriteServer is azuriteConn's Azurite itself.
func azuriteServer(t *testing.T) *azurite.Server {
	t.Helper()
	bin, err := azurite.Bin(".")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v, and CI=true: run the tests through `make test`", err)
		}
		t.Skip(err)
	}
	srv, err := azurite.Start(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

var containers atomic.Int64

// newStorage opens a fresh container (two handles on it, as two machines
// would have) on one Azurite.
func newStorage(t *testing.T, conn string, lease time.Duration) (*azurerm.Storage, *azurerm.Storage) {
	t.Helper()
	cfg := azurerm.Config{ContainerName: fmt.Sprintf("k0flow-test-%d", containers.Add(1)), KeyPrefix: "team/deploy", LeaseDuration: lease}
	env := []string{"AZURE_STORAGE_CONNECTION_STRING=" + conn}
	a, err := azurerm.New(context.Background(), cfg, env)
	if err != nil {
		t.Fatal(err)
	}
	b, err := azurerm.New(context.Background(), cfg, env)
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

func TestAzureConformance(t *testing.T) {
	conn := azuriteConn(t)
	storagetest.Run(t, func(t *testing.T) (statestore.Storage, statestore.Storage) {
		return newStorage(t, conn, 15*time.Second)
	})
}

func TestAzureLeases(t *testing.T) {
	conn := azuriteConn(t)
	storagetest.RunLeases(t, func(t *testing.T) (storagetest.Leaser, storagetest.Leaser) {
		return newStorage(t, conn, 15*time.Second)
	})
}

// The whole store over Azure: state, run records, events and logs.
func TestAzureStore(t *testing.T) {
	conn := azuriteConn(t)
	a, b := newStorage(t, conn, 15*time.Second)
	one, two := statestore.OpenStorage("", a), statestore.OpenStorage("", b)
	err := one.UpdateOrInit(func() *statestore.State { return statestore.NewState("team-abcd1234") },
		func(st *statestore.State) error { return statestore.SetPath(st.Runtime, "wireguard.connected", true) })
	if err != nil {
		t.Fatal(err)
	}
	if err := two.AppendEvent("team-abcd1234", statestore.Event{Action: "a", Message: "from the second machine"}); err != nil {
		t.Fatal(err)
	}
	if err := one.AppendEvent("team-abcd1234", statestore.Event{Action: "b", Message: "from the first"}); err != nil {
		t.Fatal(err)
	}
	st, err := two.Load()
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := statestore.GetPath(st.Runtime, "wireguard.connected"); v != true {
		t.Fatalf("the second machine reads %v", v)
	}
	evs, err := one.Events()
	if err != nil || len(evs) != 2 {
		t.Fatalf("events = %v, %v", evs, err)
	}
	w, err := one.OpenLog(statestore.LogName("r1", "p"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(w, "line one\nline two\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if tail := two.LogTail(statestore.LogName("r1", "p"), 1); tail != "line two" {
		t.Fatalf("the second machine's log tail = %q", tail)
	}
	if loc := two.Path(); !strings.HasPrefix(loc, "azurerm://devstoreaccount1/k0flow-test-") || !strings.HasSuffix(loc, "/team/deploy/deployment-state.yaml") {
		t.Fatalf("location = %s", loc)
	}
}

// Two machines, each setting values concurrently: every update is a
// read-modify-write under the write lease and a write conditional on the
// ETag, so none is lost.
func TestAzureConcurrentUpdatesLoseNothing(t *testing.T) {
	conn := azuriteConn(t)
	a, b := newStorage(t, conn, 15*time.Second)
	stores := []*statestore.Store{statestore.OpenStorage("", a), statestore.OpenStorage("", b)}
	if err := stores[0].UpdateOrInit(func() *statestore.State { return statestore.NewState("team-abcd1234") }, func(*statestore.State) error { return nil }); err != nil {
		t.Fatal(err)
	}
	const each = 50
	errs := make(chan error, 2*each)
	for m, store := range stores {
		for i := 0; i < each; i++ {
			go func(m, i int, store *statestore.Store) {
				errs <- store.Update(func(st *statestore.State) error {
					return statestore.SetPath(st.Runtime, fmt.Sprintf("m%d.k%d", m, i), i)
				})
			}(m, i, store)
		}
	}
	for i := 0; i < 2*each; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	st, err := stores[1].Load()
	if err != nil {
		t.Fatal(err)
	}
	for m := 0; m < 2; m++ {
		for i := 0; i < each; i++ {
			if v, ok := statestore.GetPath(st.Runtime, fmt.Sprintf("m%d.k%d", m, i)); !ok || v != i {
				t.Errorf("m%d.k%d = %v, %v: an update was lost", m, i, v, ok)
			}
		}
	}
}

// A configuration that cannot work is refused before any request, naming
// the setting.
func TestNewRefusesBadSettings(t *testing.T) {
	eleven, minus := 11, -1
	for _, c := range []struct {
		cfg  azurerm.Config
		env  []string
		want string
	}{
		{azurerm.Config{}, nil, "container_name is required"},
		{azurerm.Config{ContainerName: "ccc"}, nil, "no credentials: set AZURE_STORAGE_CONNECTION_STRING"},
		{azurerm.Config{ContainerName: "K0flow_State"}, nil, `container_name "K0flow_State" is not a valid Azure container name`},
		{azurerm.Config{ContainerName: "ccc", KeyPrefix: "prod/../dev"}, nil, `key_prefix "prod/../dev" is not a folder of blobs`},
		{azurerm.Config{ContainerName: "ccc", KeyPrefix: "/prod"}, nil, `key_prefix "/prod" is not a folder of blobs`},
		{azurerm.Config{ContainerName: "ccc", KeyPrefix: "prod/"}, nil, `key_prefix "prod/" is not a folder of blobs`},
		{azurerm.Config{ContainerName: "ccc", LeaseDuration: 5 * time.Second}, nil, "a lease lasts 15 to 60 seconds"},
		{azurerm.Config{ContainerName: "ccc", Retries: &eleven}, nil, "retries is 0 to 10, not 11"},
		{azurerm.Config{ContainerName: "ccc", Retries: &minus}, nil, "retries is 0 to 10, not -1"},
		{azurerm.Config{ContainerName: "ccc", UseAzureAD: true}, nil, "storage_account_name (or endpoint) is required with use_azuread"},
		{azurerm.Config{ContainerName: "ccc"}, []string{"ARM_ACCESS_KEY=" + azurite.Key}, "storage_account_name is required with an account key"},
	} {
		_, err := azurerm.New(context.Background(), c.cfg, c.env)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want an error saying %q", c.cfg, err, c.want)
		}
	}
}

// With Azure AD the account comes from an endpoint when only that is
// given, path-style for an address (Azurite, a test network), and the
// first request fails, naming the blob, when no credential yields a token.
func TestAzureADAccountFromEndpoint(t *testing.T) {
	t.Setenv("AZURE_TOKEN_CREDENTIALS", "AzureCLICredential")
	t.Setenv("PATH", t.TempDir()) // no az: the chain has nothing to offer
	zero := 0
	_, err := azurerm.New(context.Background(), azurerm.Config{ContainerName: "ccc", UseAzureAD: true,
		Endpoint: "https://10.213.0.1:10000/devstoreaccount1", Retries: &zero, Timeout: time.Second}, nil)
	if err == nil || !strings.Contains(err.Error(), "open container azurerm://devstoreaccount1/ccc/ (check the storage account's reachability and credentials") {
		t.Fatalf("err = %v", err)
	}
}

// An account key is read from ARM_ACCESS_KEY, as Terraform reads it, or
// from AZURE_STORAGE_KEY, as the az CLI does (docs/team-state.md), and is
// used: a wrong one is refused by the service.
func TestAccountKeyFromEitherVariable(t *testing.T) {
	srv := azuriteServer(t)
	for i, env := range []string{"ARM_ACCESS_KEY=" + azurite.Key, "AZURE_STORAGE_KEY=" + azurite.Key} {
		cfg := azurerm.Config{StorageAccountName: azurite.Account, ContainerName: fmt.Sprintf("k0flow-key-%d", i), Endpoint: srv.Endpoint()}
		s, err := azurerm.New(context.Background(), cfg, []string{env})
		if err != nil {
			t.Fatalf("%s: %v", env[:strings.Index(env, "=")], err)
		}
		if _, err := s.Write("k", []byte("v"), ""); err != nil {
			t.Fatal(err)
		}
		if data, _, err := s.Read("k"); err != nil || string(data) != "v" {
			t.Fatalf("read back %q, %v", data, err)
		}
	}
	zero := 0
	wrong := "AZURE_STORAGE_KEY=" + base64.StdEncoding.EncodeToString([]byte("not the account's key"))
	cfg := azurerm.Config{StorageAccountName: azurite.Account, ContainerName: "k0flow-key-wrong", Endpoint: srv.Endpoint(), Retries: &zero}
	if _, err := azurerm.New(context.Background(), cfg, []string{wrong}); err == nil {
		t.Fatal("a wrong account key was accepted")
	}
}

// With Azure AD the endpoint must be https (docs/team-state.md): a token
// is never sent in clear, and the request is refused before it is sent.
func TestAzureADRefusesPlainHTTP(t *testing.T) {
	t.Setenv("AZURE_TOKEN_CREDENTIALS", "AzureCLICredential")
	t.Setenv("PATH", t.TempDir())
	zero := 0
	_, err := azurerm.New(context.Background(), azurerm.Config{ContainerName: "ccc", UseAzureAD: true,
		Endpoint: "http://127.0.0.1:1/devstoreaccount1", Retries: &zero, Timeout: time.Second}, nil)
	if err == nil || !strings.Contains(err.Error(), "non-TLS protected (https) endpoints") {
		t.Fatalf("err = %v", err)
	}
}
