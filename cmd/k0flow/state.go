package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

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
	fs := c.flags(find("state"))
	var out output
	out.add(fs)
	stateDir := new(string)
	c.stateFlags(fs, stateDir, "state directory (default: $K0FLOW_STATE_DIR, the state_dir of ./deploy.hcl, or ./state)")
	asJSON := fs.Bool("json", false, "set: read VALUE as JSON")
	asString := fs.Bool("string", false, "set: store VALUE as a string, whatever it looks like")
	sensitive := fs.Bool("sensitive", false, "set: VALUE is a secret: stored, shown as (sensitive), printed only by a state get of KEY itself")
	fromStdin := fs.Bool("stdin", false, "set: read VALUE from standard input (keeps a secret off the command line)")
	dryRun := fs.Bool("dry-run", false, "migrate: print the migrated state and change nothing")
	reason := fs.String("reason", "", "phase mark: why (phase_mark_skipped's reason)")
	phase := fs.String("phase", "", "event add: the phase the event belongs to")
	ownerPID := fs.Int("owner-pid", 0, "run start, phase mark: the pid of the calling script (default: k0flow's parent)")
	fs.SetInterspersed(true)
	if err := c.parseOutput(fs, valuesAfterKey(fs, args), &out); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return usageErrorf("state needs a subcommand: get, set or unset (see 'k0flow state --help')")
	}
	store := c.open(c.stateDir(*stateDir))
	switch sub := rest[0]; sub {
	case "get":
		if len(rest) != 2 {
			return usageErrorf("usage: k0flow state get KEY")
		}
		return c.stateGet(c.openReadOnly(c.stateDir(*stateDir)), rest[1], out)
	case "set":
		if *fromStdin && len(rest) == 2 {
			data, err := io.ReadAll(os.Stdin)
			if err != nil {
				return err
			}
			rest = append(rest, strings.TrimSuffix(string(data), "\n"))
		}
		if len(rest) != 3 {
			return usageErrorf("usage: k0flow state set [--json | --string] KEY VALUE: flags go before KEY, everything after it is the value (quote VALUE if it has spaces)")
		}
		if *asJSON && *asString {
			return usageErrorf("--json and --string exclude each other")
		}
		v, err := parseValue(rest[2], *asJSON, *asString || *sensitive)
		if err != nil {
			return err
		}
		return stateSet(store, rest[1], v, *sensitive)
	case "unset":
		if len(rest) != 2 {
			return usageErrorf("usage: k0flow state unset KEY")
		}
		return stateUnset(store, rest[1])
	case "vm":
		return c.stateVM(store, rest[1:], out)
	case "push", "pull":
		return c.statePushPull(sub, c.stateDir(*stateDir), rest[1:], out)
	case "migrate":
		if len(rest) != 1 {
			return usageErrorf("usage: k0flow state migrate [--dry-run]")
		}
		return c.stateMigrate(store, *dryRun)
	case "phase", "run", "artifact", "exists":
		return c.stateScripts(store, rest[0], rest[1:], *reason, *ownerPID, out)
	case "event":
		return c.stateScripts(store, rest[0], rest[1:], *phase, *ownerPID, out)
	case "validate":
		if len(rest) > 2 {
			return usageErrorf("usage: k0flow state validate [FILE]")
		}
		file := store.Path()
		if len(rest) == 2 {
			file = rest[1]
		}
		return c.stateValidate(file, out)
	default:
		return usageErrorf("unknown state subcommand %q: use get, set or unset", sub)
	}
}

func (c *cli) stateGet(store *statestore.Store, key string, out output) error {
	if _, err := statestore.SplitKey(key); err != nil {
		return usageErrorf("%v", err)
	}
	st, err := store.LoadFor(func(st *statestore.State) bool { _, ok := c.lookup(st, key); return ok })
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
	if out.json() {
		return c.printJSON(v)
	}
	return printValue(c, v)
}

// printValue prints a scalar as its bare text and a map or list as YAML,
// as yq did for the bash scripts.
func printValue(c *cli, v any) error {
	switch t := v.(type) {
	case string:
		fmt.Fprintln(c.stdout, t)
	case nil:
		fmt.Fprintln(c.stdout, "null")
	case time.Time:
		fmt.Fprintln(c.stdout, t.Format(time.RFC3339))
	case map[string]any, []any:
		data, err := yaml.Marshal(t)
		if err != nil {
			return err
		}
		fmt.Fprint(c.stdout, string(data))
	default:
		fmt.Fprintln(c.stdout, t)
	}
	return nil
}

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
	if out.json() {
		return c.printJSON(map[string]any{"deployment_id": res.DeploymentID, "from": from.Location(""), "to": to.Location(""), "copied": res.Names})
	}
	fmt.Fprintf(c.stdout, "Copied deployment %s (%d files) from %s to %s.\n", res.DeploymentID, len(res.Names), displayPath(from.Location("")), displayPath(to.Location("")))
	return nil
}
