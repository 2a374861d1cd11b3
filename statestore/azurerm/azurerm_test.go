package azurerm_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/statestore/azurerm"
	"github.com/k0flow/k0flow/statestore/storagetest"
)

// Azurite's well-known development account.
const (
	devAccount = "devstoreaccount1"
	devKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// azurite starts a real Azurite blob service on a free loopback port, in
// memory, and stops it by its own pid when the test ends. It is installed
// by `make tools` (npm, pinned) into .tools/azurite; under CI=true a
// missing Azurite fails the test, never skips it.
func azurite(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("K0FLOW_AZURITE")
	if bin == "" {
		root, _ := filepath.Abs("../..")
		bin = filepath.Join(root, ".tools", "azurite", "node_modules", ".bin", "azurite-blob")
	}
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Azurite is not installed (%s) and CI=true: run the tests through `make test`, which installs it", bin)
		}
		t.Skipf("Azurite is not installed (%s): `make tools` installs it", bin)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "--blobHost", "127.0.0.1", "--blobPort", fmt.Sprint(port),
		"--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck", "--silent")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "successfully listens") {
				close(ready)
				for sc.Scan() {
				}
				return
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		// --silent may hide the line: the port answering will do.
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
		} else {
			t.Fatalf("Azurite did not start on port %d", port)
		}
	}
	return fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=http://127.0.0.1:%d/%s;",
		devAccount, devKey, port, devAccount)
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
	conn := azurite(t)
	storagetest.Run(t, func(t *testing.T) (statestore.Storage, statestore.Storage) {
		return newStorage(t, conn, 15*time.Second)
	})
}

func TestAzureLeases(t *testing.T) {
	conn := azurite(t)
	storagetest.RunLeases(t, func(t *testing.T) (storagetest.Leaser, storagetest.Leaser) {
		return newStorage(t, conn, 15*time.Second)
	})
}

// The whole store over Azure: state, run records, events and logs.
func TestAzureStore(t *testing.T) {
	conn := azurite(t)
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
