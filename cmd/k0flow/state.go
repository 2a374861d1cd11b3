package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/k0flow/k0flow/phases"
	"github.com/k0flow/k0flow/statestore"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

func init() {
	register(&command{
		name:    "state",
		summary: "Read and change runtime values in the deployment state",
		usage: "state get KEY | state set KEY VALUE [--json | --string] | state unset KEY\n" +
			"       | state vm get NAME [KEY] | state vm set NAME KEY VALUE | state validate [FILE]\n" +
			"       | state migrate [--dry-run] | state push | state pull\n" +
			"       | state phase status|applicable|needs-run|reset-from P\n" +
			"       | state phase mark P STATUS | state run start|complete OUTCOME|current|info RUN KEY\n" +
			"       | state event add ACTION MESSAGE [--phase P] | state artifact record|exists NAME ...\n\n" +
			"Keys are dotted paths into runtime values (wireguard.connected). get looks in runtime\n" +
			"values, then the Terraform outputs cache, then live terraform output. set keeps YAML types:\n" +
			"true/false become booleans, whole numbers integers, anything else a string;\n" +
			"--json reads VALUE as JSON, --string keeps it as text whatever it looks like.",
		example: "k0flow state set wireguard.connected true\nk0flow state get wireguard.connected",
		run:     cmdState,
	})
}

func cmdState(c *cli, args []string) error {
	a, err := c.parseState(args)
	if err != nil {
		return err
	}
	out, rest := a.out, append([]string{a.sub}, a.rest...)
	store := c.open(c.stateDir(a.stateDir))
	switch sub := rest[0]; sub {
	case "get":
		if len(rest) != 2 {
			return usageErrorf("usage: k0flow state get KEY")
		}
		return c.stateGet(c.openReadOnly(c.stateDir(a.stateDir)), rest[1], out)
	case "set":
		if a.fromStdin && len(rest) == 2 {
			data, err := io.ReadAll(os.Stdin)
			if err != nil {
				return err
			}
			rest = append(rest, strings.TrimSuffix(string(data), "\n"))
		}
		if len(rest) != 3 {
			return usageErrorf("usage: k0flow state set [--json | --string] KEY VALUE: flags go before KEY, everything after it is the value (quote VALUE if it has spaces)")
		}
		v, err := parseValue(rest[2], a.asJSON, a.asString || a.sensitive)
		if err != nil {
			return err
		}
		return stateSet(store, rest[1], v, a.sensitive)
	case "unset":
		if len(rest) != 2 {
			return usageErrorf("usage: k0flow state unset KEY")
		}
		return stateUnset(store, rest[1])
	case "vm":
		return c.stateVM(store, rest[1:], out)
	case "push", "pull":
		return c.statePushPull(sub, c.stateDir(a.stateDir), rest[1:], out)
	case "migrate":
		if len(rest) != 1 {
			return usageErrorf("usage: k0flow state migrate [--dry-run]")
		}
		return c.stateMigrate(store, a.dryRun)
	case "phase", "run", "artifact", "exists":
		return c.stateScripts(store, rest[0], rest[1:], a.reason, a.ownerPID, out)
	case "event":
		return c.stateScripts(store, rest[0], rest[1:], a.phase, a.ownerPID, out)
	case "validate":
		if len(rest) > 2 {
			return usageErrorf("usage: k0flow state validate [FILE]")
		}
		if len(rest) == 2 {
			data, err := os.ReadFile(rest[1])
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			return c.stateValidate(rest[1], data, out)
		}
		// The deployment's own state, wherever its backend keeps it.
		data, err := store.ReadState()
		if statestore.IsNotExist(err) {
			return noState(store)
		}
		if err != nil {
			return err // it names the file or blob, and the backend's trouble
		}
		return c.stateValidate(store.Path(), data, out)
	default:
		return usageErrorf("unknown state subcommand %q: use get, set or unset", sub)
	}
}

func (c *cli) stateGet(store *statestore.Store, key string, out output) error {
	if _, err := statestore.SplitKey(key); err != nil {
		return usageErrorf("%v", err)
	}
	st, err := phases.LoadFor(store, key)
	if statestore.IsNotExist(err) {
		return noState(store)
	}
	if err != nil {
		return err
	}
	v, ok := c.lookup(st, key)
	return c.answer(st.Masked(key, v), ok, out)
}

// answer prints a looked-up value: as JSON, or as the bash scripts expect
// it, the bare value or null (exit 1) for a missing key, as v1 did.
func (c *cli) answer(v any, ok bool, out output) error {
	if !ok {
		fmt.Fprintln(c.stdout, "null")
		return silent(exitFailure)
	}
	return c.valueView(out).show(v)
}

// printValue prints a scalar as its bare text and a map or list as YAML,
// as yq did for the bash scripts.
func printValue(c *cli, v any) error { return writeValue(c.stdout, v) }

func writeValue(w io.Writer, v any) error {
	switch t := v.(type) {
	case string:
		fmt.Fprintln(w, t)
	case nil:
		fmt.Fprintln(w, "null")
	case time.Time:
		fmt.Fprintln(w, t.Format(time.RFC3339))
	case map[string]any, []any:
		data, err := yaml.Marshal(t)
		if err != nil {
			return err
		}
		fmt.Fprint(w, string(data))
	default:
		fmt.Fprintln(w, t)
	}
	return nil
}

// valueView shows one looked-up value: JSON, or as the scripts read it.
func (c *cli) valueView(out output) view[any] { return view[any]{c, out, writeValue} }

// parseValue types a value given on the command line (statestore.ParseValue);
// a value it cannot take is a usage error.
func parseValue(raw string, asJSON, asString bool) (any, error) {
	v, err := statestore.ParseValue(raw, asJSON, asString)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return v, nil
}

func stateSet(store *statestore.Store, key string, v any, sensitive bool) error {
	if _, err := statestore.SplitKey(key); err != nil {
		return usageErrorf("%v", err)
	}
	return update(store, func(st *statestore.State) error {
		if st.Runtime == nil {
			st.Runtime = map[string]any{}
		}
		if err := statestore.SetPath(st.Runtime, statestore.RuntimeKey(key), v); err != nil {
			return err
		}
		if sensitive {
			st.MarkSensitive(key)
		}
		return statestore.SetPath(st.Runtime, "updated_at", statestore.Now().Format("2006-01-02T15:04:05Z"))
	})
}

func stateUnset(store *statestore.Store, key string) error {
	return update(store, func(st *statestore.State) error {
		statestore.UnsetPath(st.Runtime, statestore.RuntimeKey(key))
		return nil
	})
}

// valuesAfterKey makes everything after `set KEY` (and `vm set NAME KEY`)
// a value, never a flag: `k0flow state set note -h` stores "-h". Flags
// are read before the key, as `state set --string KEY VALUE`.
func valuesAfterKey(fs *pflag.FlagSet, args []string) []string {
	positional := 0
	want := -1 // positionals before the value starts
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return args
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			name := strings.TrimLeft(a, "-")
			name, _, hasValue := strings.Cut(name, "=")
			f := fs.Lookup(name)
			if f == nil && len(name) == 1 {
				f = fs.ShorthandLookup(name)
			}
			if f != nil && f.Value.Type() != "bool" && !hasValue {
				i++ // the flag's value
			}
			continue
		}
		if positional == 0 {
			switch a {
			case "set":
				want = 2 // set KEY
			case "vm":
				want = 4 // vm set NAME KEY
			}
		}
		positional++
		if want > 0 && positional == want {
			out := append([]string(nil), args[:i+1]...)
			return append(append(out, "--"), args[i+1:]...)
		}
	}
	return args
}

// statePushPull moves a local deployment into the shared backend (push) or
// takes a copy of it back (pull): every byte, refusing to overwrite a
// different deployment.
func (c *cli) statePushPull(sub, dir string, args []string, out output) error {
	if len(args) != 0 {
		return usageErrorf("usage: k0flow state %s (the backend is the workflow's state_backend, or K0FLOW_STATE_BACKEND)", sub)
	}
	if c.backend() == nil {
		return usageErrorf("state %s: no shared state backend: add state_backend \"azurerm\" { ... } to the workflow block, or set K0FLOW_STATE_BACKEND=azurerm and K0FLOW_AZURERM_*", sub)
	}
	local, remote := statestore.Storage(&statestore.Dir{Path: dir}), c.storage(dir)
	from, to := local, remote
	if sub == "pull" {
		from, to = remote, local
	}
	res, err := statestore.Copy(from, to)
	if err != nil {
		return err
	}
	return view[copyJSON]{c, out, func(w io.Writer, v copyJSON) error {
		fmt.Fprintf(w, "Copied deployment %s (%d files) from %s to %s.\n", v.DeploymentID, len(v.Copied), displayPath(v.From), displayPath(v.To))
		return nil
	}}.show(copyJSON{DeploymentID: res.DeploymentID, From: from.Location(""), To: to.Location(""), Copied: res.Names})
}

// copyJSON is what state push and pull did.
type copyJSON struct {
	DeploymentID string   `json:"deployment_id"`
	From         string   `json:"from"`
	To           string   `json:"to"`
	Copied       []string `json:"copied"`
}
