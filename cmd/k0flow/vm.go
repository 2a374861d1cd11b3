package main

import (
	"github.com/k0flow/k0flow/statestore"
)

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
	st, err := loadState(store, func(*statestore.State) bool { return true }) // the file holds VM status
	if err != nil {
		return err
	}
	status := map[string]any{}
	if vm := st.VMRuntimeStatus[args[0]]; vm != nil {
		status = vm.Map()
	}
	if len(args) == 2 {
		v, ok := status[args[1]]
		return c.answer(v, ok, out)
	}
	return c.answer(status, true, out)
}

func vmSet(store *statestore.Store, name, key, raw string) error {
	return update(store, func(st *statestore.State) error {
		return st.SetVMStatus(name, key, raw, statestore.Now())
	})
}
