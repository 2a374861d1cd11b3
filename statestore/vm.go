package statestore

import (
	"fmt"
	"strconv"
	"time"
)

// The runtime status of VMs: what scripts record of them (SSH verified,
// cloud-init done, anything else of their own). Addresses, sizes and
// states are infrastructure facts: they come from Terraform, never from
// here, whatever a script asks.

// infraFacts are VM attributes that belong to Terraform.
var infraFacts = map[string]bool{"public_ip": true, "private_ip": true, "state": true, "last_checked": true,
	"size": true, "zone": true, "location": true, "id": true, "hostname": true}

// InputError is a value or key the state does not take: invalid input
// (exit 2), nothing written.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// ExitCode says the input was invalid.
func (e *InputError) ExitCode() int { return 2 }

// Map is a VM's status as state vm get shows it.
func (vm *VMStatus) Map() map[string]any {
	m := map[string]any{}
	for k, v := range vm.Extra {
		m[k] = v
	}
	if vm.SSHVerified != nil {
		m["ssh_verified"] = *vm.SSHVerified
		m["verification_timestamp"] = vm.VerificationTimestamp
	}
	if vm.CloudInitComplete != nil {
		m["cloud_init_complete"] = *vm.CloudInitComplete
		m["completion_timestamp"] = vm.CompletionTimestamp
	}
	return m
}

// SetVMStatus records one key of a VM's runtime status, typed as state
// set types a value (ssh_verified and cloud_init_complete are booleans
// stamped with now); an infrastructure fact is refused.
func (s *State) SetVMStatus(name, key, raw string, now time.Time) error {
	if infraFacts[key] {
		return &InputError{fmt.Sprintf("%s is an infrastructure fact: it comes from Terraform (k0flow infra vm %s %s), not from the state", key, name, key)}
	}
	if s.VMRuntimeStatus == nil {
		s.VMRuntimeStatus = map[string]*VMStatus{}
	}
	vm := s.VMRuntimeStatus[name]
	if vm == nil {
		vm = &VMStatus{}
		s.VMRuntimeStatus[name] = vm
	}
	switch key {
	case "ssh_verified", "cloud_init_complete":
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return &InputError{fmt.Sprintf("%s takes true or false, not %q", key, raw)}
		}
		if key == "ssh_verified" {
			vm.SSHVerified, vm.VerificationTimestamp = &b, &now
		} else {
			vm.CloudInitComplete, vm.CompletionTimestamp = &b, &now
		}
		return nil
	}
	if vm.Extra == nil {
		vm.Extra = map[string]any{}
	}
	v, _ := ParseValue(raw, false, false)
	vm.Extra[key] = v
	return nil
}
