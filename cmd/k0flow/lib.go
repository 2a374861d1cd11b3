package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/k0flow/k0flow/infra"
	"github.com/k0flow/k0flow/phases"
	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
	"gopkg.in/yaml.v3"
)

type yamlNode = yaml.Node

// `k0flow lib FUNCTION ARG...` is what the functions of `k0flow shell-lib`
// call: one function of the bash project's library, with its arguments
// exactly as the script passed them. Nothing here is parsed as a flag, so
// a value such as "-1" or "--help" is a value. Exit codes follow the v1
// functions; messages the v1 functions printed with print_error and
// print_info are printed by the bash side, which has the project's own
// print_* helpers.

func init() {
	register(&command{
		name:    "lib",
		summary: "Run one function of the bash library (what k0flow shell-lib's functions call)",
		usage:   "lib FUNCTION [ARG...]   (arguments are never read as flags)",
		example: "k0flow lib get_state wg_vpn_connected",
		run:     cmdLib,
	})
}

// errNoStateFile is the v1 functions' "no state file" answer: exit 1,
// nothing printed (the bash side says what v1 said, if anything).
var errNoStateFile = silent(exitFailure)

type libFunc struct {
	args int // minimum number of arguments
	run  func(c *cli, store *statestore.Store, args []string) error
}

var libFuncs = map[string]libFunc{
	"get_state":             {1, libGetState},
	"update_state":          {2, libUpdateState},
	"update_secret":         {1, libUpdateSecret},
	"phase_status":          {1, libPhaseStatus},
	"phase_mark":            {3, libPhaseMark},
	"phase_reset_from":      {2, libResetFrom},
	"phase_is_applicable":   {1, func(c *cli, s *statestore.Store, a []string) error { return c.phaseApplicable(s, a[0]) }},
	"state_file_exists":     {0, libStateFileExists},
	"state_exists":          {0, libStateExists},
	"init_deployment_state": {1, libInitState},
	"complete_deployment":   {1, libCompleteDeployment},
	"add_event":             {2, libAddEvent},
	"record_artifact":       {2, libRecordArtifact},
	"artifact_path":         {1, libArtifactPath},
	"update_vm_state":       {4, libUpdateVMState},
	"get_vm_info":           {2, libVMInfo},
	"vm_summary":            {0, libVMSummary},
	"wg_assign":             {1, libWGAssign},
	"wg_peer":               {1, libWGPeer},
	"wg_ips":                {0, libWGIPs},
	"azure_get":             {1, libAzureGet},
	"azure_set":             {2, libAzureSet},
	"azure_unset":           {1, libAzureUnset},
	"azure_event":           {2, libAzureEvent},
	"cluster_events_init":   {1, libClusterInit},
	"cluster_event":         {3, libClusterEvent},
	"history_record":        {3, libHistoryRecord},
	"history_show":          {0, libHistoryShow},
	"archive":               {1, libArchive},
	"cleanup":               {0, libCleanup},
}

func cmdLib(c *cli, args []string) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		names := make([]string, 0, len(libFuncs))
		for n := range libFuncs {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(c.stdout, "Usage: k0flow lib FUNCTION [ARG...]\n\nFunctions: %s\n", strings.Join(names, ", "))
		if len(args) == 0 {
			return silent(exitUsage)
		}
		return nil
	}
	return c.libCall(c.open(c.stateDir("")), args)
}

// libCall runs one library function, args[0], on store: for a process of
// its own (k0flow lib) or for apply's library server.
func (c *cli) libCall(store *statestore.Store, args []string) error {
	f, ok := libFuncs[args[0]]
	if !ok {
		return usageErrorf("lib: unknown function %q", args[0])
	}
	if len(args)-1 < f.args {
		return usageErrorf("lib %s: needs %d arguments, got %d", args[0], f.args, len(args)-1)
	}
	return f.run(c, store, args[1:])
}

// libState loads the state file (its callers read no run record: the runs
// moved out of it are not read), or says there is none the v1 way.
func libState(store *statestore.Store) (*statestore.State, error) {
	st, err := store.LoadRecent()
	if statestore.IsNotExist(err) {
		return nil, errNoStateFile
	}
	return st, err
}

// libUpdate is Update with the v1 "no state file" answer.
func libUpdate(store *statestore.Store, fn func(*statestore.State) error) error {
	err := store.Update(fn)
	if statestore.IsNotExist(err) {
		return errNoStateFile
	}
	return err
}

func (c *cli) inRun() string { return c.getenv("K0FLOW_RUN_ID") }

func (c *cli) event(store *statestore.Store, id string, ev *statestore.Event) error {
	if ev == nil {
		return nil
	}
	return c.scripts(store, libUpdate, statestore.Owner{}).Event(id, *ev)
}

func libGetState(c *cli, store *statestore.Store, a []string) error {
	// The common case, a value the file holds, is answered from the state
	// as the store last saw it; anything else takes the long way.
	found := false
	err := store.View(func(st *statestore.State) error {
		v, ok := phases.LookupState(st, a[0])
		if !ok || !st.Answers(a[0]) { // a phase older than the runs the state file holds
			return nil
		}
		found = true
		return printValue(c, st.Masked(a[0], v))
	})
	if found || err != nil && !statestore.IsNotExist(err) {
		return err
	}
	st, err := phases.LoadFor(store, a[0])
	if statestore.IsNotExist(err) {
		err = errNoStateFile
	}
	if err != nil {
		return err
	}
	v, ok := c.lookup(st, a[0])
	if !ok {
		fmt.Fprintln(c.stdout, "null") // v1 printed null, exit 0
		return nil
	}
	return printValue(c, st.Masked(a[0], v))
}

func libUpdateState(c *cli, store *statestore.Store, a []string) error {
	return libUpdate(store, func(st *statestore.State) error {
		v := statestore.V1Value(a[1])
		if a[0] == "vm_states" && !c.usesTerraform(st) {
			return st.SetVMFacts(v, statestore.Now()) // where update_vm_state records them
		}
		return st.SetV1(a[0], v, statestore.Now())
	})
}

// update_secret KEY, the value on standard input: a runtime secret,
// stored as text and shown only when asked for by name.
func libUpdateSecret(c *cli, store *statestore.Store, a []string) error {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	return libUpdate(store, func(st *statestore.State) error {
		if err := st.SetV1(a[0], string(data), statestore.Now()); err != nil {
			return err
		}
		st.MarkSensitive(a[0])
		return nil
	})
}

func libPhaseStatus(c *cli, store *statestore.Store, a []string) error {
	st, err := phases.LoadForPhase(store, a[0])
	status := statestore.StatusPending // v1: pending when there is no state
	if err == nil {
		status = st.PhaseStatus(a[0])
	} else if !statestore.IsNotExist(err) {
		return err
	}
	fmt.Fprintln(c.stdout, status)
	return nil
}

// libOwner is the calling script (its $$), where a mark records who ran it.
func (c *cli) libOwner(pid string) statestore.Owner {
	n, _ := strconv.Atoi(pid)
	return c.owner(n)
}

// phase_mark STATUS PHASE OWNER_PID [REASON]
func libPhaseMark(c *cli, store *statestore.Store, a []string) error {
	m := statestore.Mark{Status: a[0], Phase: a[1], Self: c.getenv("K0FLOW_PHASE")}
	if len(a) > 3 {
		m.Reason = a[3]
	}
	return c.scripts(store, libUpdate, c.libOwner(a[2])).Mark(m)
}

// phase_reset_from PHASE OWNER_PID: exit 1, silently, for a phase not in
// the sequence, as v1.
func libResetFrom(c *cli, store *statestore.Store, a []string) error {
	err := c.scripts(store, libUpdate, c.libOwner(a[1])).ResetFrom(a[0])
	var unknown *phases.ErrUnknownPhase
	if errors.As(err, &unknown) {
		return silent(exitFailure)
	}
	return err
}

// v1Config reads the loaded configuration the bash side passes:
// AZURE_LOCATION K0S_CONTROLLER_COUNT K0S_WORKER_COUNT WG_NETWORK CONFIG_YAML.
func v1Config(a []string) statestore.V1Config {
	get := func(i int) string {
		if i < len(a) {
			return a[i]
		}
		return ""
	}
	return statestore.V1Config{AzureLocation: get(0), ControllerCount: get(1), WorkerCount: get(2),
		WireguardNetwork: get(3), SourceConfigFile: get(4), Deployer: get(5)}
}

// state_file_exists [CONFIG...]: the state loads. Like v1's, a predicate
// that completes the state: a deployment k0flow started gets the config
// section v1's init would have written, from the configuration the
// calling script loaded.
func libStateFileExists(c *cli, store *statestore.Store, a []string) error {
	st, err := store.LoadRecent()
	if err != nil {
		return silent(exitFailure)
	}
	// Load decodes a state of our own, so filling it is the dry run that
	// tells whether the locked write is needed at all.
	cfg := v1Config(a)
	if !st.FillV1Config(cfg, false, statestore.Now()) {
		return nil
	}
	_ = store.Update(func(st *statestore.State) error {
		st.FillV1Config(cfg, false, statestore.Now())
		return nil
	})
	return nil
}

// state_exists: exit 0 when the deployment has a state, wherever it is
// kept (the shell library's test for a state in a shared backend).
func libStateExists(c *cli, store *statestore.Store, a []string) error {
	ok, err := store.Exists()
	if err != nil {
		return err
	}
	if !ok {
		return silent(exitFailure)
	}
	return nil
}

// init_deployment_state ID [CONFIG... DEPLOYER]: a new state as v1's init
// made it; an existing state keeps everything it holds and gains only
// what it lacks (v1 overwrote it, losing the WireGuard keys).
func libInitState(c *cli, store *statestore.Store, a []string) error {
	cfg := v1Config(a[1:])
	now := statestore.Now()
	created := false
	var id string
	err := store.UpdateOrInit(func() *statestore.State {
		created = true
		return statestore.NewState(a[0])
	}, func(st *statestore.State) error {
		id = st.DeploymentID
		st.FillV1Config(cfg, true, now)
		return nil
	})
	if err != nil || !created {
		return err
	}
	return store.AppendEvent(id, statestore.Event{Action: "deployment_initialized", Message: "Deployment state tracking initialized"})
}

func libCompleteDeployment(c *cli, store *statestore.Store, a []string) error {
	var id string
	err := libUpdate(store, func(st *statestore.State) error {
		id = st.DeploymentID
		return st.CompleteDeployment(a[0], statestore.Now())
	})
	if err != nil {
		return err
	}
	return c.event(store, id, &statestore.Event{Action: "deployment_completed", Message: "Full k0rdent deployment completed successfully"})
}

// add_event ACTION MESSAGE [PHASE]: a silent no-op when the deployment has
// neither state nor events, as v1's was without an events file.
func libAddEvent(c *cli, store *statestore.Store, a []string) error {
	ev := &statestore.Event{Action: a[0], Message: a[1]}
	if len(a) > 2 {
		ev.Phase = a[2]
	}
	st, err := store.LoadRecent()
	id := ""
	switch {
	case err == nil:
		id = st.DeploymentID
	case !statestore.IsNotExist(err):
		return err
	default:
		if _, err := store.Events(); err != nil {
			return nil
		}
	}
	return c.event(store, id, ev)
}

func libRecordArtifact(c *cli, store *statestore.Store, a []string) error {
	meta := ""
	if len(a) > 2 {
		meta = a[2]
	}
	return libUpdate(store, func(st *statestore.State) error {
		return st.RecordArtifact(a[0], a[1], meta, statestore.Now())
	})
}

// artifact_path NAME prints the recorded path; exit 1 without one.
func libArtifactPath(c *cli, store *statestore.Store, a []string) error {
	st, err := libState(store)
	if err != nil {
		return err
	}
	p := st.ArtifactPath(a[0])
	if p == "" {
		return silent(exitFailure)
	}
	fmt.Fprintln(c.stdout, p)
	return nil
}

// usesTerraform says whether Terraform makes the VMs: the workflow has a
// terraform block, or the deployment recorded one.
func (c *cli) usesTerraform(st *statestore.State) bool {
	if wf := c.workflowIfAny(); wf != nil {
		return wf.Terraform != nil
	}
	return st != nil && st.Terraform != nil
}

// update_vm_state VM PUBLIC_IP PRIVATE_IP STATE
func libUpdateVMState(c *cli, store *statestore.Store, a []string) error {
	st, err := libState(store)
	if err != nil {
		return err
	}
	if c.usesTerraform(st) {
		fmt.Fprintf(c.stderr, "update_vm_state: VM addresses and states come from Terraform here (get_vm_info %s public_ip); nothing recorded\n", a[0])
		return nil
	}
	return libUpdate(store, func(st *statestore.State) error {
		return st.RecordVMFacts(a[0], a[1], a[2], a[3], statestore.Now())
	})
}

// vmOutput names the Terraform output that holds per-VM facts.
func (c *cli) vmOutput() string {
	if name := c.getenv("K0FLOW_VM_OUTPUT"); name != "" {
		return name
	}
	if wf := c.workflowIfAny(); wf != nil && wf.Terraform != nil && wf.Terraform.VMOutput != "" {
		return wf.Terraform.VMOutput
	}
	return "vm_details"
}

// get_vm_info VM PROPERTY: from the facts the state holds (Terraform's
// cached outputs, or what update_vm_state recorded); null when unknown.
func libVMInfo(c *cli, store *statestore.Store, a []string) error {
	st, err := libState(store)
	if err != nil {
		return err
	}
	v, ok := infra.Get(st.InfrastructureFacts, c.vmOutput()+"."+a[0]+"."+a[1])
	if !ok {
		fmt.Fprintln(c.stdout, "null")
		return nil
	}
	return printValue(c, v)
}

// vm_summary prints "NAME: STATE (PUBLIC_IP)" per VM, for show_state_summary.
func libVMSummary(c *cli, store *statestore.Store, a []string) error {
	st, err := libState(store)
	if err != nil {
		return err
	}
	v, _ := infra.Get(st.InfrastructureFacts, c.vmOutput())
	vms, _ := v.(map[string]any)
	for _, name := range workflow.Keys(vms) {
		vm, _ := vms[name].(map[string]any)
		fmt.Fprintf(c.stdout, "%s: %v (%v)\n", name, vm["state"], vm["public_ip"])
	}
	return nil
}

// wg_assign BASE HOST...: v1's assign_wireguard_ips (the bash side works
// out BASE from config.wireguard_network as v1 did).
func libWGAssign(c *cli, store *statestore.Store, a []string) error {
	var id string
	err := libUpdate(store, func(st *statestore.State) error {
		id = st.DeploymentID
		return st.AssignWireguardIPs(a[0], a[1:], statestore.Now())
	})
	if err != nil {
		return err
	}
	return c.event(store, id, &statestore.Event{Action: "wireguard_ips_assigned", Message: "WireGuard IP addresses assigned to all hosts"})
}

// wg_peer HOST, with the private and the public key on standard input
// (one a line): keys never travel on a command line.
func libWGPeer(c *cli, store *statestore.Store, a []string) error {
	sc := bufio.NewScanner(os.Stdin)
	var keys []string
	for sc.Scan() && len(keys) < 2 {
		keys = append(keys, sc.Text())
	}
	for len(keys) < 2 {
		keys = append(keys, "")
	}
	err := libUpdate(store, func(st *statestore.State) error {
		return st.UpdateWireguardPeer(a[0], keys[0], keys[1], statestore.Now())
	})
	if err == statestore.ErrNoPeer {
		return silent(exitFailure)
	}
	return err
}

// wg_ips prints "PEER IP" a line, for populate_wg_ips_array.
func libWGIPs(c *cli, store *statestore.Store, a []string) error {
	st, err := libState(store)
	if err != nil {
		return err
	}
	peers := st.WireguardPeers()
	for _, name := range workflow.Keys(peers) {
		peer, _ := peers[name].(map[string]any)
		if ip, ok := peer["ip"]; ok && ip != nil && fmt.Sprint(ip) != "" {
			fmt.Fprintf(c.stdout, "%s %v\n", name, ip)
		}
	}
	return nil
}

func libAzureGet(c *cli, store *statestore.Store, a []string) error {
	v, ok, err := store.SideGet(statestore.AzureStateFile, a[0])
	if err != nil {
		return err
	}
	if !ok {
		v = nil
	}
	return printValue(c, v)
}

func libAzureSet(c *cli, store *statestore.Store, a []string) error {
	v := any(a[1]) // v1: true and false are booleans, everything else text
	if a[1] == "true" || a[1] == "false" {
		v = a[1] == "true"
	}
	now := statestore.Now()
	return store.SideUpdate(statestore.AzureStateFile, statestore.AzureStateHeader(now), func(top *yamlNode) error {
		if err := statestore.SetNode(top, a[0], v); err != nil {
			return err
		}
		return statestore.SetNode(top, "last_updated", now.Format(statestore.V1Stamp))
	})
}

func libAzureUnset(c *cli, store *statestore.Store, a []string) error {
	now := statestore.Now() // v1: nothing to do without the file (no header)
	return store.SideUpdate(statestore.AzureStateFile, "", func(top *yamlNode) error {
		statestore.DeleteNode(top, a[0])
		return statestore.SetNode(top, "last_updated", now.Format(statestore.V1Stamp))
	})
}

// azure_event ACTION MESSAGE: the Azure events file, and the Azure state's
// last_updated when there is one, as v1.
func libAzureEvent(c *cli, store *statestore.Store, a []string) error {
	now := statestore.Now()
	ev := statestore.V1Event{Timestamp: now.Format(statestore.V1Stamp), Action: a[0], Message: a[1]}
	if err := store.AddSideEvent(statestore.AzureEventsFile, statestore.AzureEventsHeader(now), ev); err != nil {
		return err
	}
	return store.SideUpdate(statestore.AzureStateFile, "", func(top *yamlNode) error {
		return statestore.SetNode(top, "last_updated", ev.Timestamp)
	})
}

func clusterName(name string) error {
	if name == "" || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
		return usageErrorf("cluster name %q cannot name a file", name)
	}
	return nil
}

// cluster_events_init NAME: a new events file (v1 replaced any old one).
func libClusterInit(c *cli, store *statestore.Store, a []string) error {
	if err := clusterName(a[0]); err != nil {
		return err
	}
	file := statestore.ClusterEventsFile(a[0])
	head, err := statestore.ClusterEventsHeader(a[0], statestore.Now())
	if err != nil {
		return err
	}
	_ = store.RemoveFile(file)
	return store.SideUpdate(file, head, func(*yamlNode) error { return nil })
}

// cluster_event NAME ACTION MESSAGE. v1 died here when the file was
// missing (it called a removed function); k0flow starts the file instead.
func libClusterEvent(c *cli, store *statestore.Store, a []string) error {
	if err := clusterName(a[0]); err != nil {
		return err
	}
	now := statestore.Now()
	head, err := statestore.ClusterEventsHeader(a[0], now)
	if err != nil {
		return err
	}
	ev := statestore.V1Event{Timestamp: now.Format(statestore.V1Stamp), Action: a[1], Message: a[2]}
	return store.AddSideEvent(statestore.ClusterEventsFile(a[0]), head, ev)
}

func libHistoryRecord(c *cli, store *statestore.Store, a []string) error {
	return store.RecordDeploymentHistory(statestore.HistoryEntry{ClusterID: a[0],
		DeployedAt: statestore.Now().Format(statestore.V1Stamp), ConfigFile: a[1], Deployer: a[2]})
}

// history_show prints the index as v1's show_deployment_history did; exit 3
// when there is no history file (the bash side says so).
func libHistoryShow(c *cli, store *statestore.Store, a []string) error {
	entries, ok, err := store.DeploymentHistory()
	if err != nil {
		return err
	}
	if !ok {
		return silent(3)
	}
	for _, e := range entries {
		fmt.Fprintf(c.stdout, "  %s | %s | %s\n", e.ClusterID, e.DeployedAt, e.Deployer)
	}
	return nil
}

// archive REASON: v1's archive_existing_state. Inside a k0flow run the
// runner archives the deployment when a destroy succeeds, so this only
// says so. Prints the archive directory, then each file moved.
func libArchive(c *cli, store *statestore.Store, a []string) error {
	if c.inRun() != "" {
		fmt.Fprintln(c.stderr, "archive_existing_state: k0flow archives the deployment when its destroy completes; nothing moved now")
		return nil
	}
	dir, names, err := store.ArchiveV1(a[0])
	if err != nil || dir == "" {
		return err
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, dir); err == nil && !strings.HasPrefix(rel, "..") {
			dir = "./" + rel // as v1 named it: ./old_deployments/...
		}
	}
	fmt.Fprintln(c.stdout, dir)
	for _, n := range names {
		fmt.Fprintln(c.stdout, n)
	}
	return nil
}

// cleanup: v1's cleanup_deployment_state, which deleted the state. Inside
// a k0flow run (a destroy command calls it) the runner still records the
// destroy and then archives the deployment, so nothing is deleted. Prints
// what it removed: "state", "events", "dir".
func libCleanup(c *cli, store *statestore.Store, a []string) error {
	if c.inRun() != "" {
		fmt.Fprintln(c.stderr, "cleanup_deployment_state: k0flow archives the deployment when its destroy completes; nothing removed now")
		return nil
	}
	removed, dirGone, err := store.RemoveV1()
	for _, n := range removed {
		fmt.Fprintln(c.stdout, map[string]string{statestore.StateFile: "state", statestore.EventsFile: "events"}[n])
	}
	if dirGone {
		fmt.Fprintln(c.stdout, "dir")
	}
	return err
}
