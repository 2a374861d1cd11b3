package main

import (
	"errors"
	"fmt"
	"github.com/k0flow/k0flow/internal/azurite"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"gopkg.in/yaml.v3"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"k0flow": func() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs testdata/scripts/*.txtar: one behaviour each, executing
// the real k0flow binary as a subprocess.
func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams(t, "../../testdata/scripts"))
}

// scriptParams are the testscript settings every scenario runs with.
func scriptParams(t *testing.T, dir string) testscript.Params {
	examples, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	testdata, err := filepath.Abs("../../testdata")
	if err != nil {
		t.Fatal(err)
	}
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("EXAMPLES", examples)
			env.Setenv("TESTDATA", testdata)
			env.Setenv("DEMO_DELAY", "0")
			env.Setenv("NO_COLOR", "1")
			env.Setenv("K0FLOW_CHECK_WRITES", "1") // every state written here must validate
			// Terraform offline and quiet: no update check, no user config.
			rc := filepath.Join(env.WorkDir, ".terraformrc")
			env.Setenv("TF_CLI_CONFIG_FILE", rc)
			env.Setenv("CHECKPOINT_DISABLE", "1")
			env.Setenv("TF_IN_AUTOMATION", "1")
			return os.WriteFile(rc, nil, 0o600)
		},
		Condition: terraformCondition,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"statefield": cmdStatefield,
			"waitfile":   cmdWaitfile,
			"copytree":   cmdCopytree,
			"killpid":    cmdKillpid,
			"exits":      cmdExits,
			"compat":     cmdCompat,
			"jsonstream": cmdJSONStream,
			"crashloop":  cmdCrashloop,
			"azurite":    cmdAzurite,
			"netns":      cmdNetns,
		},
	}
}

// azurite starts a real Azurite for the scenario (stopped when it ends)
// and sets AZURE_STORAGE_CONNECTION_STRING; scenarios check [azurite]
// first. "azurite oauth" starts one over https that checks Azure AD
// tokens, sets AZURITE_ENDPOINT and SSL_CERT_FILE (its certificate, the
// only one trusted) and no connection string.
func cmdAzurite(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 1 {
		ts.Fatalf("usage: azurite [start|stop|oauth] (start with data kept on disk, to stop and come back)")
	}
	bin, err := azurite.Bin(".")
	ts.Check(err)
	switch {
	case len(args) == 0:
		srv, err := azurite.Start(bin)
		ts.Check(err)
		ts.Defer(srv.Stop)
		ts.Setenv("AZURE_STORAGE_CONNECTION_STRING", srv.ConnectionString())
		ts.Setenv("AZURITE_PID", strconv.Itoa(srv.Pid()))
	case args[0] == "start":
		port, _ := strconv.Atoi(ts.Getenv("AZURITE_PORT"))
		srv, err := azurite.StartAt(bin, port, filepath.Join(ts.Getenv("WORK"), ".azurite-data"))
		ts.Check(err)
		ts.Defer(srv.Stop)
		ts.Setenv("AZURE_STORAGE_CONNECTION_STRING", srv.ConnectionString())
		ts.Setenv("AZURITE_PORT", strconv.Itoa(srv.Port))
		ts.Setenv("AZURITE_PID", strconv.Itoa(srv.Pid()))
	case args[0] == "oauth":
		srv, err := azurite.StartWith(bin, azurite.Options{TLS: true, OAuth: true, CertDir: ts.Getenv("WORK")})
		ts.Check(err)
		ts.Defer(srv.Stop)
		ts.Setenv("AZURITE_ENDPOINT", srv.Endpoint())
		ts.Setenv("SSL_CERT_FILE", srv.CertFile)
		ts.Setenv("AZURITE_PID", strconv.Itoa(srv.Pid()))
	case args[0] == "stop":
		pid, _ := strconv.Atoi(ts.Getenv("AZURITE_PID"))
		p, err := os.FindProcess(pid)
		ts.Check(err)
		_ = p.Signal(os.Interrupt)
		for i := 0; i < 100 && p.Signal(syscall.Signal(0)) == nil; i++ {
			time.Sleep(50 * time.Millisecond)
		}
	default:
		ts.Fatalf("usage: azurite [start|stop]")
	}
}

// netns makes two network namespaces, the scenario's two machines, joined
// by a veth pair (10.213.0.1 and 10.213.0.2), and starts Azurite inside
// the first on its veth address: NS_ONE and NS_TWO name them for
// `ip netns exec`, AZURE_STORAGE_CONNECTION_STRING reaches that Azurite
// from either. All of it is removed when the scenario ends.
func cmdNetns(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: netns")
	}
	bin, err := azurite.Bin(".")
	ts.Check(err)
	id := fmt.Sprintf("k0f%d%d", os.Getpid()%100000, netnsSeq.Add(1)%10)
	one, two := id+"a", id+"b"
	run := func(args ...string) {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			ts.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	for _, ns := range []string{one, two} {
		_ = exec.Command("ip", "netns", "del", ns).Run() // left by a killed run
		run("netns", "add", ns)
		ts.Defer(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	}
	run("link", "add", one, "type", "veth", "peer", "name", two)
	for i, ns := range []string{one, two} {
		run("link", "set", ns, "netns", ns)
		run("-n", ns, "addr", "add", fmt.Sprintf("10.213.0.%d/30", i+1), "dev", ns)
		run("-n", ns, "link", "set", ns, "up")
		run("-n", ns, "link", "set", "lo", "up")
	}
	srv, err := azurite.StartWith(bin, azurite.Options{Host: "10.213.0.1", Port: 10000, Wrap: []string{"ip", "netns", "exec", one}})
	ts.Check(err)
	ts.Defer(srv.Stop)
	ts.Setenv("NS_ONE", one)
	ts.Setenv("NS_TWO", two)
	ts.Setenv("AZURE_STORAGE_CONNECTION_STRING", srv.ConnectionString())
}

var netnsSeq atomic.Int64

var netnsOnce struct {
	sync.Once
	ok bool
}

// netnsAvailable says whether this machine lets the tests make network
// namespaces (root, iproute2, CAP_SYS_ADMIN): it makes one and removes it.
func netnsAvailable() bool {
	netnsOnce.Do(func() {
		name := fmt.Sprintf("k0fprobe%d", os.Getpid()%100000)
		if exec.Command("ip", "netns", "add", name).Run() == nil {
			netnsOnce.ok = exec.Command("ip", "netns", "exec", name, "true").Run() == nil
			_ = exec.Command("ip", "netns", "del", name).Run()
		}
	})
	return netnsOnce.ok
}

// terraformCondition is [terraform]: true when a terraform binary is on
// PATH; [azurite]: true when Azurite is installed; [netns]: true when
// network namespaces can be made here. Under CI=true a missing terraform
// or Azurite is an error, never a skip.
func terraformCondition(cond string) (bool, error) {
	if cond == "netns" {
		return netnsAvailable(), nil
	}
	if cond == "azurite" {
		_, err := azurite.Bin(".")
		if err != nil && os.Getenv("CI") == "true" {
			return false, fmt.Errorf("%v, and CI=true: run the tests through `make test`", err)
		}
		return err == nil, nil
	}
	if cond != "terraform" {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	if _, err := exec.LookPath("terraform"); err == nil {
		return true, nil
	}
	if os.Getenv("CI") == "true" {
		return false, errors.New("terraform is not on PATH and CI=true: run the tests through `make test`, which installs it")
	}
	return false, nil
}

// statefield PATH [WANT] asserts a value in state/deployment-state.yaml (or
// $K0FLOW_STATE_DIR). PATH is dotted; "runs" means deployment_runs and a
// number indexes a list, negative from the end: runs.-1.phases.x.status.
// Without WANT it asserts that the path exists; with ! that it does not
// (or, with WANT, that it differs). WANT is a regexp matched against the
// whole value; =PATH compares with the value at another path.
func cmdStatefield(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: statefield PATH [WANT]")
	}
	dir := ts.Getenv("K0FLOW_STATE_DIR")
	if dir == "" {
		dir = ts.MkAbs("state")
	}
	data, err := os.ReadFile(filepath.Join(dir, "deployment-state.yaml"))
	ts.Check(err)
	var doc any
	ts.Check(yaml.Unmarshal(data, &doc))
	withMovedRuns(ts, dir, doc)
	got, found := lookup(doc, args[0])
	if len(args) == 1 {
		if found == neg {
			ts.Fatalf("%s: found=%v, want found=%v", args[0], found, !neg)
		}
		return
	}
	want := args[1]
	if ref, ok := strings.CutPrefix(want, "="); ok {
		v, _ := lookup(doc, ref)
		if t, ok := v.(time.Time); ok {
			v = t.Format(time.RFC3339)
		}
		want = regexp.QuoteMeta(fmt.Sprint(v))
	}
	gotStr := fmt.Sprint(got)
	if t, ok := got.(time.Time); ok {
		gotStr = t.Format(time.RFC3339)
	}
	if !found {
		gotStr = "<absent>"
	}
	re, err := regexp.Compile("^(?:" + want + ")$")
	ts.Check(err)
	if re.MatchString(gotStr) == neg {
		ts.Fatalf("%s = %q, want %s%q", args[0], gotStr, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// withMovedRuns puts the run records moved to runs/ before the state's
// own runs, oldest first, read with yaml.v3 as yq would read them.
func withMovedRuns(ts *testscript.TestScript, dir string, doc any) {
	top, ok := doc.(map[string]any)
	if !ok {
		return
	}
	inline, _ := top["deployment_runs"].([]any)
	seen := map[any]bool{}
	for _, r := range inline {
		if m, ok := r.(map[string]any); ok {
			seen[m["run_id"]] = true
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "runs", "*.yaml"))
	var moved []any
	for _, f := range files {
		data, err := os.ReadFile(f)
		ts.Check(err)
		var r map[string]any
		ts.Check(yaml.Unmarshal(data, &r))
		if !seen[r["run_id"]] {
			moved = append(moved, r)
		}
	}
	sort.SliceStable(moved, func(i, j int) bool {
		return fmt.Sprint(moved[i].(map[string]any)["started_at"]) < fmt.Sprint(moved[j].(map[string]any)["started_at"])
	})
	top["deployment_runs"] = append(moved, inline...)
}

func lookup(doc any, path string) (any, bool) {
	cur := doc
	for _, seg := range strings.Split(path, ".") {
		if seg == "runs" {
			seg = "deployment_runs"
		}
		switch t := cur.(type) {
		case map[string]any:
			v, ok := t[seg]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil {
				return nil, false
			}
			if i < 0 {
				i += len(t)
			}
			if i < 0 || i >= len(t) {
				return nil, false
			}
			cur = t[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// exits CODE COMMAND [ARGS...] runs a command and asserts its exit code;
// stdout and stderr are then checked as after exec.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || neg {
		ts.Fatalf("usage: exits CODE COMMAND [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = exit.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// waitfile FILE waits up to 30s for FILE to exist.
func cmdWaitfile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: waitfile FILE")
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.Fatalf("%s did not appear within 30s", args[0])
}

// copytree SRC DST copies a directory, keeping file modes.
func cmdCopytree(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: copytree SRC DST")
	}
	src, dst := ts.MkAbs(args[0]), ts.MkAbs(args[1])
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if rel != "." && (generated[info.Name()] || strings.HasPrefix(info.Name(), "terraform.tfstate")) {
			if info.IsDir() {
				return filepath.SkipDir
			}
			return nil // what a demo run left in the source tree is not part of the example
		}
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
	ts.Check(err)
}

// generated are files a run of an example leaves behind.
var generated = map[string]bool{"state": true, "old_deployments": true, ".k0flow-demo": true,
	".terraform": true, ".terraform.lock.hcl": true}

// killpid SIGNAL FILE signals the process group whose leader's pid is in
// FILE: a phase left behind by a runner that was killed outright.
func cmdKillpid(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: killpid SIGNAL FILE")
	}
	sig := map[string]syscall.Signal{"INT": syscall.SIGINT, "TERM": syscall.SIGTERM, "KILL": syscall.SIGKILL, "HUP": syscall.SIGHUP}[args[0]]
	if sig == 0 {
		ts.Fatalf("unknown signal %s", args[0])
	}
	data, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	ts.Check(err)
	if syscall.Kill(-pid, sig) != nil {
		_ = syscall.Kill(pid, sig) // not a group leader: the process alone
	}
}
