package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/k0flow/k0flow/statestore"
)

// libRequest encodes a call as the shell library does.
func libRequest(token string, env, args []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%d\n", token, len(env))
	for _, e := range env {
		fmt.Fprintf(&b, "%d\n%s", len(e), e)
	}
	fmt.Fprintf(&b, "%d\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "%d\n%s", len(a), a)
	}
	return b.String()
}

func libDial(t *testing.T, addr, req string) (code int, stdout, stderr string, answered bool) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	if err != nil {
		return 0, "", "", false
	}
	code, _ = strconv.Atoi(strings.TrimSpace(line))
	read := func() string {
		n, err := readLen(r)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil {
			t.Fatal(err)
		}
		return string(buf)
	}
	stdout = read()
	stderr = read()
	return code, stdout, stderr, true
}

func startTestLibServer(t *testing.T) (*libServer, string, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "state")
	store := statestore.Open(dir)
	if err := store.UpdateOrInit(func() *statestore.State { return statestore.NewState("lib-test0000") }, func(*statestore.State) error { return nil }); err != nil {
		t.Fatal(err)
	}
	c := &cli{stdout: io.Discard, stderr: io.Discard, env: []string{"K0FLOW_STATE_DIR=" + dir}}
	srv, vars, err := c.startLibServer(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	port := strings.TrimPrefix(vars[0], "K0FLOW_LIB_PORT=")
	token := strings.TrimPrefix(vars[1], "K0FLOW_LIB_TOKEN=")
	return srv, "127.0.0.1:" + port, token
}

func TestLibServerAnswersExactly(t *testing.T) {
	_, addr, token := startTestLibServer(t)
	value := "\tline one\n\nline \"three\" \\ ü\n"
	if code, _, stderr, ok := libDial(t, addr, libRequest(token, nil, []string{"update_state", "odd.value", value})); !ok || code != 0 {
		t.Fatalf("update_state: answered %v, code %d, %s", ok, code, stderr)
	}
	code, stdout, _, ok := libDial(t, addr, libRequest(token, nil, []string{"get_state", "odd.value"}))
	if !ok || code != 0 || stdout != value+"\n" {
		t.Fatalf("get_state = %d %q, want %q", code, stdout, value+"\n")
	}
	code, _, stderr, _ := libDial(t, addr, libRequest(token, nil, []string{"no_such_function"}))
	if code != exitUsage || !strings.Contains(stderr, "unknown function") {
		t.Fatalf("unknown function: %d %q", code, stderr)
	}
}

func TestLibServerRefusesWithoutToken(t *testing.T) {
	_, addr, token := startTestLibServer(t)
	libDial(t, addr, libRequest(token, nil, []string{"update_state", "secret", "value"}))
	for name, req := range map[string]string{
		"wrong token":  libRequest("not-the-token", nil, []string{"get_state", "secret"}),
		"empty token":  libRequest("", nil, []string{"get_state", "secret"}),
		"huge field":   token + "\n0\n1\n999999999999\n",
		"bad length":   token + "\n0\n1\n-3\nabc",
		"no arguments": libRequest(token, nil, nil),
	} {
		if _, stdout, _, ok := libDial(t, addr, req); ok {
			t.Errorf("%s: answered %q", name, stdout)
		}
	}
}

// Concurrent calls (a script's background jobs) lose no update.
func TestLibServerConcurrentUpdates(t *testing.T) {
	srv, addr, token := startTestLibServer(t)
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			code, _, stderr, ok := libDial(t, addr, libRequest(token, nil, []string{"update_state", fmt.Sprintf("k.n%d", i), strconv.Itoa(i)}))
			if !ok || code != 0 {
				t.Errorf("update %d: %v %d %s", i, ok, code, stderr)
			}
		}(i)
	}
	wg.Wait()
	st, err := statestore.Open(srv.store.Dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		if v, ok := statestore.GetPath(st.Runtime, fmt.Sprintf("k.n%d", i)); !ok || v != strconv.Itoa(i) {
			t.Errorf("k.n%d = %v, %v", i, v, ok)
		}
	}
}
