package statestore

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// What the bash project's library (etc/state-management.sh, "v1") did to
// its state, done on the v2 state: the functions of `k0flow shell-lib`
// call these through `k0flow lib`. Keys are read and written where the
// alias table (legacy.go) puts them, so a script cannot tell the
// difference; docs/migration.md lists the few places where it could.

// V1Stamp is the timestamp format of every v1 value: UTC, to the second.
const V1Stamp = "2006-01-02T15:04:05Z"

// LookupV1 answers a key as a script spells it: a runtime value (at the
// key itself or where the alias table moved a v1 key), else a value v2
// keeps elsewhere (LegacyValue). Infrastructure facts are the caller's.
func (s *State) LookupV1(key string) (any, bool) {
	if v, ok := GetPath(s.Runtime, key); ok {
		return v, true
	}
	if v, ok := GetPath(s.Runtime, RuntimeKey(key)); ok {
		return v, true
	}
	return s.LegacyValue(key)
}

// SetV1 stores a value the way update_state does: under the key's runtime
// path (through the alias table), bumping runtime.updated_at.
func (s *State) SetV1(key string, v any, now time.Time) error {
	if s.Runtime == nil {
		s.Runtime = map[string]any{}
	}
	if err := SetPath(s.Runtime, RuntimeKey(key), v); err != nil {
		return err
	}
	return SetPath(s.Runtime, "updated_at", now.Format(V1Stamp))
}

// V1Value types a value as v1's update_state did: exactly "true" and
// "false" are booleans, exactly "{}" an empty map, anything else the text
// as it is (so "3" stays the string "3", as the bash scripts stored it).
func V1Value(raw string) any {
	switch raw {
	case "true":
		return true
	case "false":
		return false
	case "{}":
		return map[string]any{}
	}
	return raw
}

// V1Config is the loaded configuration that v1's init_deployment_state
// copied into the state's config section, as the scripts hold it in shell
// variables.
type V1Config struct {
	AzureLocation    string // $AZURE_LOCATION
	ControllerCount  string // $K0S_CONTROLLER_COUNT
	WorkerCount      string // $K0S_WORKER_COUNT
	WireguardNetwork string // $WG_NETWORK
	SourceConfigFile string // $CONFIG_YAML
	Deployer         string // $DEPLOYER_IDENTITY, for init only
}

// v1InitFlags are the booleans v1's init wrote false.
var v1InitFlags = []string{"wg_keys_generated", "wg_laptop_config_created", "wg_vpn_connected",
	"k0s_config_generated", "k0s_cluster_deployed", "k0rdent_installed"}

// FillV1Config gives a state the config section v1's init wrote when the
// state has none yet (a deployment k0flow started): the scripts read
// config.wireguard_port, config.resource_group and the rest from it.
// Values already there are kept. With init (init_deployment_state called
// by a script) the other keys v1's init wrote are filled too. It reports
// whether anything changed; nothing is filled from an empty configuration.
func (s *State) FillV1Config(c V1Config, init bool, now time.Time) bool {
	changed := false
	fill := func(key string, v any) {
		if _, ok := s.LookupV1(key); !ok {
			_ = s.SetV1(key, v, now)
			changed = true
		}
	}
	if c.AzureLocation != "" || c.WireguardNetwork != "" {
		if _, ok := s.LookupV1("config.azure_location"); !ok {
			_ = s.SetV1("config", map[string]any{
				"azure_location":    c.AzureLocation,
				"resource_group":    s.DeploymentID + "-resgrp",
				"controller_count":  v1Number(c.ControllerCount),
				"worker_count":      v1Number(c.WorkerCount),
				"wireguard_network": c.WireguardNetwork,
				"wireguard_port":    nil,
			}, now)
			changed = true
		}
		fill("source_config_file", c.SourceConfigFile)
	}
	if !init {
		return changed
	}
	for _, f := range []string{"azure_children", "kof"} {
		if _, ok := s.DeploymentFlags[f]; !ok {
			if s.DeploymentFlags == nil {
				s.DeploymentFlags = map[string]any{}
			}
			s.DeploymentFlags[f], changed = false, true
		}
	}
	if s.Deployer == "" {
		s.Deployer = c.Deployer
		if s.Deployer == "" {
			s.Deployer = "unknown"
		}
		changed = true
	}
	fill("phase", "preparation")
	fill("status", "in_progress")
	for _, k := range v1InitFlags {
		fill(k, false)
	}
	return changed
}

// v1Number is a count as the init heredoc wrote it, unquoted: a number
// when it is one, null when empty.
func v1Number(s string) any {
	if s == "" {
		return nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return s
}

// V1OptionalFlag names the deployment flag that enables each optional
// phase of the bash project (its should_run_phase enablers).
var V1OptionalFlag = map[string]string{
	"setup_azure_children":   "azure_children",
	"install_azure_csi":      "kof",
	"install_kof_mothership": "kof",
	"install_kof_regional":   "kof",
}

// WireguardPeers is the peers map (runtime.wireguard.peers, v1's
// wireguard_peers), or nil.
func (s *State) WireguardPeers() map[string]any {
	v, _ := GetPath(s.Runtime, RuntimeKey("wireguard_peers"))
	m, _ := asMap(v)
	return m
}

// AssignWireguardIPs is v1's assign_wireguard_ips: the peers map starts
// anew, the laptop is base.1 (the hub), and each host gets base.11,
// base.12, ... in order, a controller if its name says so, else a worker.
func (s *State) AssignWireguardIPs(base string, hosts []string, now time.Time) error {
	peers := map[string]any{"mylaptop": map[string]any{"ip": base + ".1", "role": "hub"}}
	for i, h := range hosts {
		role := "worker"
		if strings.Contains(h, "controller") {
			role = "controller"
		}
		if _, err := SplitKey(h); err != nil {
			return fmt.Errorf("host %q: %w", h, err)
		}
		peers[h] = map[string]any{"ip": fmt.Sprintf("%s.%d", base, 11+i), "role": role}
	}
	return s.SetV1("wireguard_peers", peers, now)
}

// ErrNoPeer is update_wireguard_peer's answer for a host that
// assign_wireguard_ips did not place.
var ErrNoPeer = fmt.Errorf("no such WireGuard peer")

// UpdateWireguardPeer is v1's update_wireguard_peer: a placed host's keys.
func (s *State) UpdateWireguardPeer(host, private, public string, now time.Time) error {
	peer, ok := asMap(s.WireguardPeers()[host])
	if !ok {
		return ErrNoPeer
	}
	peer["private_key"], peer["public_key"] = private, public
	peer["keys_generated"], peer["keys_generated_at"] = true, now.Format(V1Stamp)
	return s.SetV1("wireguard_peers."+host, peer, now)
}

// RecordVMFacts is v1's update_vm_state for a deployment whose VMs a
// script makes (no terraform block): the VM's addresses and Azure state
// are infrastructure facts, kept with the outputs cache under vm_details,
// where get_vm_info and `k0flow infra vm` read them.
func (s *State) RecordVMFacts(vm, publicIP, privateIP, state string, now time.Time) error {
	if _, err := SplitKey(vm); err != nil {
		return err
	}
	f := s.InfrastructureFacts
	if f == nil {
		f = &InfraFacts{Source: "scripts", Outputs: map[string]any{}}
		s.InfrastructureFacts = f
	}
	if f.Outputs == nil {
		f.Outputs = map[string]any{}
	}
	details, ok := asMap(f.Outputs["vm_details"])
	if !ok {
		details = map[string]any{}
	}
	details[vm] = map[string]any{"public_ip": publicIP, "private_ip": privateIP, "state": state,
		"last_checked": now.Format(V1Stamp)}
	f.Outputs["vm_details"] = details
	f.CacheTimestamp = &now
	return nil
}

// SetVMFacts is update_state vm_states VALUE where the scripts make the
// VMs (no terraform block): the VM facts update_vm_state recorded are
// replaced (setup-azure-network.sh reset empties them with "{}").
func (s *State) SetVMFacts(v any, now time.Time) error {
	m, ok := asMap(v)
	if !ok {
		return fmt.Errorf("vm_states must be a map of VM name to facts, not %q", fmt.Sprint(v))
	}
	if s.InfrastructureFacts == nil {
		s.InfrastructureFacts = &InfraFacts{Source: "scripts", Outputs: map[string]any{}}
	}
	if s.InfrastructureFacts.Outputs == nil {
		s.InfrastructureFacts.Outputs = map[string]any{}
	}
	s.InfrastructureFacts.Outputs["vm_details"] = m
	s.InfrastructureFacts.CacheTimestamp = &now
	return nil
}

// CompleteDeployment is v1's complete_deployment: the deployment's status
// is completed and its phase the final one.
func (s *State) CompleteDeployment(finalPhase string, now time.Time) error {
	if err := s.SetV1("status", "completed", now); err != nil {
		return err
	}
	return s.SetV1("phase", finalPhase, now)
}

// PhaseCompleted does for the deployment's `phase` what the bash
// orchestrator's phase_mark_completed did after each phase script: a
// deployment whose scripts keep `phase` (they set it with
// phase_mark_in_progress) names the phase that completed last, whatever
// sub-step its script wrote, so `deploy-k0rdent.sh status` reads it as
// the original did. A deployment whose scripts never set it is left alone.
//
// Only the project's own phases (PhaseSequence) are named: a phase of the
// workflow alone, such as a preflight that runs on every apply, would make
// a deployed cluster's status read UNKNOWN after the next apply.
func (s *State) PhaseCompleted(name string, now time.Time) {
	if !slices.Contains(PhaseSequence, name) {
		return
	}
	if _, ok := GetPath(s.Runtime, "phase"); ok {
		_ = s.SetV1("phase", name, now)
	}
}

// MarkSensitive records that a runtime key holds a secret.
func (s *State) MarkSensitive(key string) {
	key = RuntimeKey(key)
	for _, k := range s.SensitiveKeys {
		if k == key {
			return
		}
	}
	s.SensitiveKeys = append(s.SensitiveKeys, key)
}

// Masked is a runtime value as it may be shown when key was asked for:
// the value itself when key is a sensitive key (an explicit request),
// else a copy in which every sensitive key below key reads (sensitive).
func (s *State) Masked(key string, v any) any {
	key = RuntimeKey(key)
	m, ok := asMap(v)
	if !ok || len(s.SensitiveKeys) == 0 {
		return v
	}
	out := deepCopy(m)
	for _, k := range s.SensitiveKeys {
		if rest, ok := strings.CutPrefix(k, key+"."); ok {
			if _, found := GetPath(out, rest); found {
				_ = SetPath(out, rest, "(sensitive)")
			}
		}
	}
	return out
}

func deepCopy(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if sub, ok := asMap(v); ok {
			v = deepCopy(sub)
		}
		out[k] = v
	}
	return out
}

// RecordArtifact is record_artifact NAME PATH [METADATA]: the artifact's
// path and when it was recorded, under artifacts.NAME, as v1 kept them.
func (s *State) RecordArtifact(name, path, metadata string, now time.Time) error {
	if _, err := SplitKey(name); err != nil {
		return &InputError{Msg: err.Error()}
	}
	entry := map[string]any{"path": path, "updated_at": now.Format(V1Stamp)}
	if metadata != "" {
		entry["metadata"] = metadata
	}
	return s.SetV1("artifacts."+name, entry, now)
}

// ArtifactPath is artifact_path NAME: the path recorded, "" when none is.
func (s *State) ArtifactPath(name string) string {
	v, _ := s.LookupV1("artifacts." + name + ".path")
	p, _ := v.(string)
	return p
}

// InvalidateOutputs marks the Terraform outputs cache stale: the next
// read warns and the next phase that needs it syncs. The outputs stay
// for offline reads. ErrNoCache when nothing was cached.
func (s *State) InvalidateOutputs() error {
	f := s.InfrastructureFacts
	if f == nil || f.CacheTimestamp == nil {
		return ErrNoCache
	}
	f.OldCacheTimestamp, f.CacheTimestamp = f.CacheTimestamp, nil
	return nil
}

// ErrNoCache says no Terraform outputs are cached.
var ErrNoCache = errors.New("no outputs cached")
