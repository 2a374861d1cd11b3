package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
)

// The library server: while apply runs, the shell library's calls (the
// bash project's scripts make 150 of them) reach this process over a
// loopback socket that bash opens itself (/dev/tcp), instead of starting a
// k0flow process each. Each call is one connection:
//
//	request:  TOKEN \n  NENV \n (LEN \n BYTES){NENV}  NARGS \n (LEN \n BYTES){NARGS}
//	response: CODE \n  LEN \n STDOUT  LEN \n STDERR
//
// LEN counts bytes. The environment entries are the caller's K0FLOW_*
// variables the functions read (its run, its phase). The token, random
// per run and given to phases in their environment only, keeps other
// local users' processes out: a listener on 127.0.0.1 is reachable by
// every user of the machine. A call that reads standard input (a secret:
// update_secret, wg_peer) still starts a process: shell-lib.bash says so.

// libEnv are the caller's variables a library function may read.
var libEnv = []string{"K0FLOW_RUN_ID", "K0FLOW_PHASE", "K0FLOW_VM_OUTPUT", "K0FLOW_WORKFLOW", "K0FLOW_STATE_DIR"}

type libServer struct {
	ln    net.Listener
	token string
	store *statestore.Store
	env   []string // the runner's environment, without the caller's variables
	wg    sync.WaitGroup

	mu        sync.Mutex
	workflows map[string]*workflow.Workflow // by file: loaded once a run
}

// startLibServer listens on a free loopback port and returns the server
// and the variables that point phases at it.
//
// The server has its own Store on the same state: a runner's and a
// script's changes meet only through the storage, under its write lock.
func (c *cli) startLibServer(stateDir string) (*libServer, []string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("start the library server: %w", err)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		ln.Close()
		return nil, nil, err
	}
	s := &libServer{ln: ln, token: hex.EncodeToString(secret), store: c.open(stateDir)}
	// A script's changes are saved atomically, surviving the runner, and
	// made durable by the save that ends its phase.
	s.store.DeferSync = true
	for _, kv := range c.env {
		if name, _, _ := strings.Cut(kv, "="); !isLibEnv(name) {
			s.env = append(s.env, kv)
		}
	}
	s.wg.Add(1)
	go s.serve()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	return s, []string{"K0FLOW_LIB_PORT=" + port, "K0FLOW_LIB_TOKEN=" + s.token}, nil
}

func isLibEnv(name string) bool {
	for _, n := range libEnv {
		if n == name {
			return true
		}
	}
	return name == "K0FLOW_LIB_PORT" || name == "K0FLOW_LIB_TOKEN"
}

// Close stops accepting calls and waits for those under way.
func (s *libServer) Close() {
	s.ln.Close()
	s.wg.Wait()
}

func (s *libServer) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer conn.Close()
			s.handle(conn)
		}()
	}
}

// maxLibField bounds one field of a request: a value as large as a state
// may sensibly hold.
const maxLibField = 64 << 20

func (s *libServer) handle(conn net.Conn) {
	// A caller that stalls mid-request is dropped; the call itself may
	// take as long as the state's write lock does.
	_ = conn.SetReadDeadline(time.Now().Add(time.Minute))
	r := bufio.NewReader(conn)
	token, err := r.ReadString('\n')
	if err != nil || subtle.ConstantTimeCompare([]byte(strings.TrimSuffix(token, "\n")), []byte(s.token)) != 1 {
		return
	}
	env, err := readFields(r)
	if err != nil {
		return
	}
	args, err := readFields(r)
	if err != nil || len(args) == 0 {
		return
	}
	var stdout, stderr bytes.Buffer
	c := &cli{stdout: &stdout, stderr: &stderr, env: append(append([]string(nil), s.env...), env...)}
	c.ambient, c.ambientLoaded = s.workflow(c), true
	code := c.exit(c.libCall(s.store, args))
	w := bufio.NewWriter(conn)
	fmt.Fprintf(w, "%d\n%d\n", code, stdout.Len())
	w.Write(stdout.Bytes())
	fmt.Fprintf(w, "%d\n", stderr.Len())
	w.Write(stderr.Bytes())
	_ = w.Flush()
}

// workflow is the caller's workflow (workflowIfAny), loaded once a run.
func (s *libServer) workflow(c *cli) *workflow.Workflow {
	file := c.getenv("K0FLOW_WORKFLOW")
	s.mu.Lock()
	defer s.mu.Unlock()
	if wf, ok := s.workflows[file]; ok {
		return wf
	}
	if s.workflows == nil {
		s.workflows = map[string]*workflow.Workflow{}
	}
	wf := c.workflowIfAny()
	s.workflows[file] = wf
	return wf
}

// readFields reads a count and that many length-prefixed fields.
func readFields(r *bufio.Reader) ([]string, error) {
	n, err := readLen(r)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, min(n, 64))
	for i := 0; i < n; i++ {
		size, err := readLen(r)
		if err != nil {
			return nil, err
		}
		buf := make([]byte, size)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		out = append(out, string(buf))
	}
	return out, nil
}

func readLen(r *bufio.Reader) (int, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSuffix(line, "\n"))
	if err != nil || n < 0 || n > maxLibField {
		return 0, errors.New("bad length")
	}
	return n, nil
}
