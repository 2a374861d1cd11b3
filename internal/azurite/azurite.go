// Package azurite starts a real Azurite blob service for tests: the Azure
// Blob Storage emulator, installed by `make tools` into .tools/azurite.
package azurite

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Azurite's well-known development account.
const (
	Account = "devstoreaccount1"
	Key     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// ErrMissing says Azurite is not installed.
var ErrMissing = errors.New("Azurite is not installed: `make tools` installs it (npm, into .tools/azurite)")

// Bin finds azurite-blob: $K0FLOW_AZURITE, else .tools/azurite above dir.
func Bin(dir string) (string, error) {
	if b := os.Getenv("K0FLOW_AZURITE"); b != "" {
		return b, nil
	}
	for d, _ := filepath.Abs(dir); ; d = filepath.Dir(d) {
		b := filepath.Join(d, ".tools", "azurite", "node_modules", ".bin", "azurite-blob")
		if _, err := os.Stat(b); err == nil {
			return b, nil
		}
		if filepath.Dir(d) == d {
			return "", ErrMissing
		}
	}
}

// Server is a running Azurite.
type Server struct {
	Port int
	cmd  *exec.Cmd
	done chan struct{}
}

// Start runs Azurite on a free loopback port, in memory, without
// telemetry, and waits until it listens.
func Start(bin string) (*Server, error) { return StartAt(bin, 0, "") }

// StartAt is Start on a given port (0: a free one), keeping its data in
// dir ("" : in memory), so that a stopped Azurite can come back with it.
func StartAt(bin string, port int, dir string) (*Server, error) {
	if port == 0 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	args := []string{"--blobHost", "127.0.0.1", "--blobPort", fmt.Sprint(port), "--disableTelemetry", "--skipApiVersionCheck"}
	if dir == "" {
		args = append(args, "--inMemoryPersistence")
	} else {
		args = append(args, "--location", dir)
	}
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{Port: port, cmd: cmd, done: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		signalled := false
		for sc.Scan() {
			if !signalled && strings.Contains(sc.Text(), "successfully listens") {
				close(ready)
				signalled = true
			}
		}
	}()
	go func() { _ = cmd.Wait(); close(s.done) }()
	select {
	case <-ready:
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("azurite exited before listening on port %d", port)
	case <-time.After(60 * time.Second):
		s.Stop()
		return nil, fmt.Errorf("azurite did not listen on port %d within a minute", port)
	}
}

// ConnectionString reaches the development account.
func (s *Server) ConnectionString() string {
	return fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=http://127.0.0.1:%d/%s;",
		Account, Key, s.Port, Account)
}

// Pid is the Azurite process's.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Stop stops Azurite by its own pid.
func (s *Server) Stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}
