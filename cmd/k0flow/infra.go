package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/k0flow/k0flow/infra"
	"github.com/k0flow/k0flow/phases"
	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
	"gopkg.in/yaml.v3"
)

// exitStale is `infra get --require-fresh` on a cache that is too old.
const exitStale = 3

func init() {
	register(&command{
		name:    "infra",
		summary: "Read and refresh the cache of Terraform outputs",
		usage: "infra sync | infra get KEY [--require-fresh] [--max-age D] | infra show [--show-sensitive]\n" +
			"       | infra refresh | infra vm NAME [KEY] | infra init-args\n\n" +
			"get reads the cache only (terraform is not started), warning on stderr when it is older\n" +
			"than max_age; --require-fresh turns that into exit code 3.",
		example: "k0flow infra get vm_details.k0s-controller-1.public_ip",
		run:     cmdInfra,
	})
}

func cmdInfra(c *cli, args []string) error {
	a, err := c.parseInfra(args)
	if err != nil {
		return err
	}
	rest := append([]string{a.sub}, a.rest...)
	switch rest[0] {
	case "sync":
		return c.infraSync(a, false)
	case "refresh":
		return c.infraSync(a, true)
	case "get":
		return c.infraGet(a, rest[1])
	case "show":
		return c.infraShow(a)
	case "vm":
		return c.infraVM(a, rest[1:])
	case "invalidate":
		err := update(c.open(c.stateDir(a.stateDir)), (*statestore.State).InvalidateOutputs)
		if errors.Is(err, statestore.ErrNoCache) {
			return nil
		}
		return err
	}
	return c.infraInitArgs(a)
}

// infraWorkflow loads the workflow for its terraform block: terraform's
// directory, binary, max_age and vm_output do not depend on variables.
func (c *cli) infraWorkflow(a *infraArgs) (*workflow.Workflow, error) {
	file := a.file
	if file == "" {
		file = c.getenv("K0FLOW_WORKFLOW")
	}
	if file == "" {
		file = "deploy.hcl"
	}
	l := workflow.NewLoader()
	wf, diags := l.Load(file)
	if err := c.diagnostics(l, diags); err != nil || wf == nil {
		return nil, orExit(err, exitUsage)
	}
	if wf.Terraform == nil {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("%s has no terraform block: there is no infrastructure to read", file)}
	}
	if a.stateDir != "" {
		wf.StateDir = a.stateDir
	}
	c.ambient, c.ambientLoaded = wf, true // its state backend, its max_age
	return wf, nil
}

func (c *cli) infraSync(a *infraArgs, refresh bool) error {
	wf, err := c.infraWorkflow(a)
	if err != nil {
		return err
	}
	store := c.openState(wf.StateDir)
	inf, err := phases.NewInfra(wf, store)
	if err != nil {
		return err
	}
	ctx := context.Background()
	var rep phases.SyncReport
	if refresh {
		rep, err = inf.Refresh(ctx, c.stderr)
	} else {
		rep, err = inf.Sync(ctx, true)
	}
	if err != nil {
		return err
	}
	switch {
	case rep.OutputsChanged:
		fmt.Fprintf(c.stdout, "Cached %d Terraform outputs (state %s).\n", len(rep.Facts.Outputs), short(rep.Facts.TerraformStateChecksum))
	default:
		fmt.Fprintf(c.stdout, "Terraform state unchanged (%s): cache timestamp bumped.\n", short(rep.Facts.TerraformStateChecksum))
	}
	if rep.Migration != nil {
		fmt.Fprintf(c.stdout, "Terraform state moved: %s -> %s (recorded in terraform.migrations).\n", rep.Migration.From, rep.Migration.To)
	}
	return nil
}

func short(sum string) string {
	if len(sum) > 19 {
		return sum[:19]
	}
	return sum
}

// maxAge is --max-age, else what the runner passed to the phase, else the
// workflow's, else the default.
func (c *cli) maxAge(a *infraArgs) (time.Duration, error) {
	raw := a.maxAge
	if raw == "" {
		raw = c.getenv("K0FLOW_INFRA_MAX_AGE")
	}
	if raw != "" {
		d, err := workflow.ParseDuration(raw)
		if err != nil {
			return 0, usageErrorf("--max-age: %v", err)
		}
		return d, nil
	}
	if wf := c.workflowIfAny(); wf != nil && wf.Terraform != nil {
		return wf.Terraform.MaxAge, nil
	}
	return workflow.DefaultMaxAge, nil
}

// cachedFacts loads the cache and judges it without starting terraform: by
// age, and for a local backend by the state file's checksum.
func (c *cli) cachedFacts(a *infraArgs) (*statestore.State, infra.Freshness, error) {
	_, st, err := c.readRecentState(a.stateDir) // the cache is in the state file itself
	if err != nil {
		return nil, infra.Freshness{}, err
	}
	maxAge, err := c.maxAge(a)
	if err != nil {
		return nil, infra.Freshness{}, err
	}
	checksum := ""
	if t := st.Terraform; t != nil && t.Backend.Type == "local" && t.StatePath != "" {
		checksum, _ = (&infra.Terraform{}).Checksum(context.Background(), infra.Backend{Type: "local", StatePath: t.StatePath})
	}
	return st, infra.Check(st.InfrastructureFacts, checksum, maxAge, time.Now()), nil
}

func (c *cli) warnStale(a *infraArgs, fresh infra.Freshness) error {
	if fresh.Fresh {
		return nil
	}
	msg := fmt.Sprintf("infrastructure cache is stale: %s; run 'k0flow infra sync'", fresh.Reason)
	if a.requireFresh {
		return &exitError{code: exitStale, err: errors.New(msg)}
	}
	fmt.Fprintf(c.stderr, "Warning: %s.\n", msg)
	return nil
}

func (c *cli) infraGet(a *infraArgs, key string) error {
	st, fresh, err := c.cachedFacts(a)
	if err != nil {
		return err
	}
	v, ok := infra.Get(st.InfrastructureFacts, key)
	if !ok {
		fmt.Fprintln(c.stdout, "null")
		return &exitError{code: exitFailure, err: fmt.Errorf("no output %s in the infrastructure cache (outputs: %v)", key, outputNames(st))}
	}
	if err := c.warnStale(a, fresh); err != nil {
		return err
	}
	return c.valueView(a.out).show(v)
}

func outputNames(st *statestore.State) []string {
	if st.InfrastructureFacts == nil {
		return nil
	}
	return workflow.Keys(st.InfrastructureFacts.Outputs)
}

type infraShowJSON struct {
	CacheTimestamp    *time.Time     `json:"cache_timestamp"`
	OldCacheTimestamp *time.Time     `json:"old_cache_timestamp"`
	AgeSeconds        *float64       `json:"age_seconds"`
	Fresh             bool           `json:"fresh"`
	StaleReason       string         `json:"stale_reason,omitempty"`
	Checksum          string         `json:"terraform_state_checksum"`
	Outputs           map[string]any `json:"outputs"`
	SensitiveOutputs  []string       `json:"sensitive_outputs"`
}

func (c *cli) infraShow(a *infraArgs) error {
	st, fresh, err := c.cachedFacts(a)
	if err != nil {
		return err
	}
	facts := st.InfrastructureFacts
	if facts == nil {
		facts = &statestore.InfraFacts{}
	}
	outputs := map[string]any{}
	for k, v := range facts.Outputs {
		outputs[k] = v
		if !a.showSensitive && infra.IsSensitive(facts, k) {
			outputs[k] = "(sensitive)"
		}
	}
	shown := infraShowJSON{CacheTimestamp: facts.CacheTimestamp, OldCacheTimestamp: facts.OldCacheTimestamp, Fresh: fresh.Fresh,
		StaleReason: fresh.Reason, Checksum: facts.TerraformStateChecksum, Outputs: outputs, SensitiveOutputs: facts.SensitiveOutputs}
	if facts.CacheTimestamp != nil {
		shown.AgeSeconds = statestore.Seconds(fresh.Age)
	}
	return view[infraShowJSON]{c, a.out, func(w io.Writer, v infraShowJSON) error {
		switch {
		case v.CacheTimestamp == nil && st.Terraform == nil:
			// infra sync would only say there is no terraform block.
			fmt.Fprintln(w, "No Terraform outputs: the deployment's workflow has no terraform block.")
			return nil
		case v.CacheTimestamp == nil:
			fmt.Fprintln(w, "No Terraform outputs cached yet: run 'k0flow infra sync' or apply a terraform phase.")
			return nil
		}
		state := "fresh"
		if !v.Fresh {
			state = "stale: " + v.StaleReason
		}
		fmt.Fprintf(w, "Cached:   %s (%s ago, %s)\n", v.CacheTimestamp.Local().Format(time.RFC3339), seconds(v.AgeSeconds), state)
		fmt.Fprintf(w, "Checksum: %s\n", v.Checksum)
		if st.Terraform != nil {
			fmt.Fprintf(w, "State:    %s (%s backend, terraform %s)\n", st.Terraform.StatePath, st.Terraform.Backend.Type, st.Terraform.Version)
		}
		data, err := yaml.Marshal(map[string]any{"outputs": v.Outputs})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\n%s", data)
		return nil
	}}.show(shown)
}

func (c *cli) infraVM(a *infraArgs, args []string) error {
	st, fresh, err := c.cachedFacts(a)
	if err != nil {
		return err
	}
	name := a.vmOutput
	if name == "" {
		name = c.getenv("K0FLOW_VM_OUTPUT")
	}
	if name == "" {
		if wf := c.workflowIfAny(); wf != nil && wf.Terraform != nil {
			name = wf.Terraform.VMOutput
		}
	}
	if name == "" {
		name = "vm_details"
	}
	key := name + "." + args[0]
	if len(args) == 2 {
		key += "." + args[1]
	}
	v, ok := infra.Get(st.InfrastructureFacts, key)
	if !ok {
		fmt.Fprintln(c.stdout, "null")
		return &exitError{code: exitFailure, err: fmt.Errorf("no %s in the Terraform output %s", key[len(name)+1:], name)}
	}
	if err := c.warnStale(a, fresh); err != nil {
		return err
	}
	return c.valueView(a.out).show(v)
}

func (c *cli) infraInitArgs(a *infraArgs) error {
	_, st, err := c.readRecentState(a.stateDir)
	if err != nil {
		return err
	}
	if st.Terraform == nil {
		return &exitError{code: exitFailure, err: errors.New("no Terraform backend recorded yet: run 'k0flow infra sync' first")}
	}
	return view[[]string]{c, a.out, func(w io.Writer, flags []string) error {
		for _, f := range flags {
			fmt.Fprintln(w, f)
		}
		return nil
	}}.show(infra.InitArgs(st.Terraform.Backend.Config))
}
