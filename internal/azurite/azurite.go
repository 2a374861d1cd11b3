// Package azurite starts a real Azurite blob service for tests: the Azure
// Blob Storage emulator, installed by `make tools` into .tools/azurite.
package azurite

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
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
	Host string
	Port int
	// Scheme is http, or https when started with TLS.
	Scheme string
	// CertFile is the self-signed certificate of a TLS Azurite, for
	// SSL_CERT_FILE: clients trust it and nothing else.
	CertFile string
	cmd      *exec.Cmd
	done     chan struct{}
}

// Options say how to start Azurite; the zero value is an in-memory
// Azurite over http on a free loopback port.
type Options struct {
	Host string // the address it listens on; "" is 127.0.0.1
	Port int    // 0: a free one
	Dir  string // keep its data there, so that a stopped Azurite can come back with it; "": in memory
	// TLS serves https with a certificate made for Host and 127.0.0.1,
	// written into CertDir (a new temporary directory when empty).
	TLS     bool
	CertDir string
	// OAuth has Azurite check Azure AD bearer tokens (--oauth basic: the
	// issuer, the audience and the lifetime, not the signature). It needs TLS.
	OAuth bool
	// Wrap runs Azurite under a command, e.g. ip netns exec NAME.
	Wrap []string
}

// Start runs Azurite on a free loopback port, in memory, without
// telemetry, and waits until it listens.
func Start(bin string) (*Server, error) { return StartWith(bin, Options{}) }

// StartAt is Start on a given port (0: a free one), keeping its data in
// dir ("" : in memory), so that a stopped Azurite can come back with it.
func StartAt(bin string, port int, dir string) (*Server, error) {
	return StartWith(bin, Options{Port: port, Dir: dir})
}

// StartWith runs Azurite as o says and waits until it listens.
func StartWith(bin string, o Options) (*Server, error) {
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	port := o.Port
	if port == 0 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	s := &Server{Host: o.Host, Port: port, Scheme: "http", done: make(chan struct{})}
	args := []string{"--blobHost", o.Host, "--blobPort", fmt.Sprint(port), "--disableTelemetry", "--skipApiVersionCheck"}
	if o.Dir == "" {
		args = append(args, "--inMemoryPersistence")
	} else {
		args = append(args, "--location", o.Dir)
	}
	if o.OAuth && !o.TLS {
		return nil, errors.New("azurite: OAuth needs TLS (Azure AD tokens are only sent over https)")
	}
	if o.TLS {
		if o.CertDir == "" {
			dir, err := os.MkdirTemp("", "azurite-cert-")
			if err != nil {
				return nil, err
			}
			o.CertDir = dir
		}
		cert, key, err := SelfSignedCert(o.CertDir, o.Host)
		if err != nil {
			return nil, err
		}
		s.Scheme, s.CertFile = "https", cert
		args = append(args, "--cert", cert, "--key", key)
	}
	if o.OAuth {
		args = append(args, "--oauth", "basic")
	}
	argv := append(append(append([]string(nil), o.Wrap...), bin), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	s.cmd = cmd
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, err
	}
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
		return nil, fmt.Errorf("azurite exited before listening on %s:%d", o.Host, port)
	case <-time.After(60 * time.Second):
		s.Stop()
		return nil, fmt.Errorf("azurite did not listen on %s:%d within a minute", o.Host, port)
	}
}

// Endpoint is the development account's blob service URL.
func (s *Server) Endpoint() string {
	return fmt.Sprintf("%s://%s/%s", s.Scheme, net.JoinHostPort(s.Host, fmt.Sprint(s.Port)), Account)
}

// ConnectionString reaches the development account.
func (s *Server) ConnectionString() string {
	return fmt.Sprintf("DefaultEndpointsProtocol=%s;AccountName=%s;AccountKey=%s;BlobEndpoint=%s;",
		s.Scheme, Account, Key, s.Endpoint())
}

// SelfSignedCert writes cert.pem and key.pem into dir: a certificate for
// host (and 127.0.0.1, localhost), valid for a day, signing itself.
func SelfSignedCert(dir, host string) (certFile, keyFile string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "azurite test " + host},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	if ip := net.ParseIP(host); ip != nil && !ip.Equal(net.ParseIP("127.0.0.1")) {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
	} else if ip == nil && host != "localhost" {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
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
