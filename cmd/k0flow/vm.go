package main

import (
	"strconv"
	"time"

	"github.com/k0flow/k0flow/statestore"
)

// infraFacts are VM attributes that belong to Terraform: the state never
// holds them, whatever a script asks.
var infraFacts = map[string]bool{"public_ip": true, "private_ip": true, "state": true, "last_checked": true,
	"size": true, "zone": true, "location": true, "id": true, "hostname": true}

func (c *cli) stateVM(store *statestore.Store, args []string, out output) error {
	if len(args) < 2 {
		return usageErrorf("usage: k0flow state vm get NAME [KEY] | state vm set NAME KEY VALUE")
	}
	switch args[0] {
	case "get":
		if len(args) > 3 {
			return usageErrorf("usage: k0flow state vm get NAME [KEY]")
		}
		return c.vmGet(store, args[1:], out)
	case "set":
		if len(args) != 4 {
			return usageErrorf("usage: k0flow state vm set NAME KEY VALUE")
		}
		return vmSet(store, args[1], args[2], args[3])
	}
	return usageErrorf("unknown state vm subcommand %q: use get or set", args[0])
}

func (c *cli) vmGet(store *statestore.Store, args []string, out output) error {
	st, err := loadState(store)
	if err != nil {
		return err
	}
	status := map[string]any{}
	if vm := st.VMRuntimeStatus[args[0]]; vm != nil {
		status = vmMap(vm)
	}
	if len(args) == 2 {
		v, ok := status[args[1]]
		return c.answer(v, ok, out)
	}
	return c.answer(status, true, out)
}

func vmMap(vm *statestore.VMStatus) map[string]any {
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

func vmSet(store *statestore.Store, name, key, raw string) error {
	if infraFacts[key] {
		return usageErrorf("%s is an infrastructure fact: it comes from Terraform (k0flow infra vm %s %s), not from the state", key, name, key)
	}
	return update(store, func(st *statestore.State) error {
		if st.VMRuntimeStatus == nil {
			st.VMRuntimeStatus = map[string]*statestore.VMStatus{}
		}
		vm := st.VMRuntimeStatus[name]
		if vm == nil {
			vm = &statestore.VMStatus{}
			st.VMRuntimeStatus[name] = vm
		}
		return setVMKey(vm, key, raw, statestore.Now())
	})
}

func setVMKey(vm *statestore.VMStatus, key, raw string, now time.Time) error {
	switch key {
	case "ssh_verified", "cloud_init_complete":
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return usageErrorf("%s takes true or false, not %q", key, raw)
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
	v, _ := parseValue(raw, false, false)
	vm.Extra[key] = v
	return nil
}
