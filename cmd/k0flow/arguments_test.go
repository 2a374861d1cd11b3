package main

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func newTestCLI() *cli { return &cli{stdout: io.Discard, stderr: io.Discard} }

// Arguments are parsed and checked before a command does anything: what
// each parse function makes of an argument list, Terraform's spellings
// included, without a workflow, a state or a process.
func TestParseArguments(t *testing.T) {
	t.Run("apply", func(t *testing.T) {
		a, err := newTestCLI().parseApply([]string{"-fresh", "-json", "-var", "kof_enabled=true", "-var-file=prod.tfvars", "--grace", "3s", "other.hcl"})
		if err != nil {
			t.Fatal(err)
		}
		if !a.sel.opts.Fresh || !a.out.json() || a.wf.file != "other.hcl" || a.run.grace != 3*time.Second ||
			len(a.wf.vars) != 1 || a.wf.vars[0] != "kof_enabled=true" || len(a.wf.varFiles) != 1 {
			t.Fatalf("parseApply = %+v", a)
		}
		if a, _ := newTestCLI().parseApply(nil); a.wf.file != "deploy.hcl" || a.run.grace != 10*time.Second || a.out.json() {
			t.Fatalf("defaults = %+v", a)
		}
	})
	t.Run("destroy takes terraform's -auto-approve", func(t *testing.T) {
		a, err := newTestCLI().parseDestroy([]string{"-auto-approve", "--forget", "old_phase", "-no-color"})
		if err != nil || !a.yes || len(a.forget) != 1 || a.forget[0] != "old_phase" || a.run.color.mode != "never" {
			t.Fatalf("parseDestroy = %+v, %v", a, err)
		}
	})
	t.Run("status and history with history filters", func(t *testing.T) {
		s, err := newTestCLI().parseStatus([]string{"--show-history", "--limit", "3", "--color", "never", "-o", "json"})
		if err != nil || !s.showHistory || s.history.limit != 3 || s.history.color.mode != "never" || !s.out.json() {
			t.Fatalf("parseStatus = %+v, %v", s, err)
		}
		h, err := newTestCLI().parseHistory([]string{"--outcome", "failed"})
		if err != nil || h.filter.outcome != "failed" {
			t.Fatalf("parseHistory = %+v, %v", h, err)
		}
		// A flag's value stays as typed, even one that looks like a flag
		// (and is then refused as that value).
		h, err = newTestCLI().parseHistory([]string{"-outcome", "-x", "--limit", "-1"})
		if h.filter.outcome != "-x" || h.filter.limit != -1 || err == nil || !strings.Contains(err.Error(), "not -1") {
			t.Fatalf("parseHistory = %+v, %v", h, err)
		}
		if _, err = newTestCLI().parseHistory([]string{"-outcome", "-x"}); err == nil || !strings.Contains(err.Error(), `not "-x"`) {
			t.Fatalf("parseHistory -outcome -x: %v", err)
		}
	})
	t.Run("positional arguments", func(t *testing.T) {
		d, err := newTestCLI().parseDiff([]string{"last-success", "last-failed"})
		if err != nil || d.from != "last-success" || d.to != "last-failed" {
			t.Fatalf("parseDiff = %+v, %v", d, err)
		}
		s, err := newTestCLI().parseShow([]string{"20261122T1800", "--log-lines=5"})
		if err != nil || s.run != "20261122T1800" || s.logLines != 5 {
			t.Fatalf("parseShow = %+v, %v", s, err)
		}
		i, err := newTestCLI().parseInfra([]string{"vm", "k0s-controller-1", "public_ip"})
		if err != nil || i.sub != "vm" || strings.Join(i.rest, " ") != "k0s-controller-1 public_ip" {
			t.Fatalf("parseInfra = %+v, %v", i, err)
		}
		f, err := newTestCLI().parseForceUnlock([]string{"5f3a9c1e", "--yes"})
		if err != nil || f.id != "5f3a9c1e" || !f.yes {
			t.Fatalf("parseForceUnlock = %+v, %v", f, err)
		}
		c, err := newTestCLI().parseCompletion([]string{"phases", "x.hcl"})
		if err != nil || c.phasesOf == nil || *c.phasesOf != "x.hcl" {
			t.Fatalf("parseCompletion = %+v, %v", c, err)
		}
	})
	t.Run("state set keeps a value that looks like a flag", func(t *testing.T) {
		a, err := newTestCLI().parseState([]string{"set", "--string", "k", "--help"})
		if err != nil || a.sub != "set" || strings.Join(a.rest, " ") != "k --help" || !a.asString {
			t.Fatalf("parseState = %+v, %v", a, err)
		}
	})
	t.Run("prune", func(t *testing.T) {
		a, err := newTestCLI().parsePrune([]string{"--older-than", "30d", "--dry-run"})
		if err != nil || a.keep != -1 || !a.dryRun {
			t.Fatalf("parsePrune = %+v, %v", a, err)
		}
		if age := time.Since(a.cutoff); age < 30*24*time.Hour-time.Minute || age > 30*24*time.Hour+time.Minute {
			t.Fatalf("cutoff %s ago, want 30 days", age)
		}
	})
	t.Run("backend-config", func(t *testing.T) {
		c := newTestCLI()
		if _, err := c.parseStatus([]string{"--backend-config", "container_name=k0flow", "-backend-config=key_prefix=prod"}); err != nil {
			t.Fatal(err)
		}
		sb := c.backend()
		if sb == nil || sb.Type != "azurerm" || sb.ContainerName != "k0flow" || sb.KeyPrefix != "prod" {
			t.Fatalf("backend = %+v", sb)
		}
	})
}

// Every mistake is a usage error (exit 2) saying what to do, found before
// anything is read or run.
func TestParseArgumentMistakes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		parse func(c *cli) error
		want  string
	}{
		{"apply: two selections", func(c *cli) error { _, err := c.parseApply([]string{"--from", "a", "--only", "b"}); return err }, "exclude each other"},
		{"apply: two files", func(c *cli) error { _, err := c.parseApply([]string{"a.hcl", "b.hcl"}); return err }, "at most one workflow file"},
		{"plan: bad output", func(c *cli) error { _, err := c.parsePlan([]string{"-o", "yaml"}); return err }, "--output must be text or json"},
		{"status: a file", func(c *cli) error { _, err := c.parseStatus([]string{"other/deploy.hcl"}); return err }, "pass --state-dir DIR"},
		{"status: bad colour", func(c *cli) error { _, err := c.parseStatus([]string{"--color", "sometimes"}); return err }, "--color must be auto, always or never"},
		{"history: an argument", func(c *cli) error { _, err := c.parseHistory([]string{"last"}); return err }, "history takes no arguments"},
		{"show: no run", func(c *cli) error { _, err := c.parseShow(nil); return err }, "usage: k0flow show RUN"},
		{"show: negative log lines", func(c *cli) error { _, err := c.parseShow([]string{"last", "--log-lines", "-1"}); return err }, "--log-lines must be 0 or more, not -1"},
		{"history: an outcome no run has", func(c *cli) error { _, err := c.parseHistory([]string{"--outcome", "fail"}); return err },
			`--outcome must be one of success, failed, interrupted, running, not "fail" (did you mean failed?)`},
		{"history: a negative limit", func(c *cli) error { _, err := c.parseHistory([]string{"--limit", "-2"}); return err }, "--limit must be 0 (every run) or more, not -2"},
		{"status: an outcome no run has", func(c *cli) error { _, err := c.parseStatus([]string{"--show-history", "--outcome", "ok"}); return err },
			`--outcome must be one of success, failed, interrupted, running, not "ok"`},
		{"diff: one run", func(c *cli) error { _, err := c.parseDiff([]string{"last"}); return err }, "usage: k0flow diff RUN_A RUN_B"},
		{"prune: nothing said", func(c *cli) error { _, err := c.parsePrune(nil); return err }, "say what to prune"},
		{"prune: bad duration", func(c *cli) error { _, err := c.parsePrune([]string{"--older-than", "soon"}); return err }, "--older-than"},
		{"infra: no subcommand", func(c *cli) error { _, err := c.parseInfra(nil); return err }, "infra needs a subcommand"},
		{"infra get: no key", func(c *cli) error { _, err := c.parseInfra([]string{"get"}); return err }, "wrong number of arguments for infra get"},
		{"state: no subcommand", func(c *cli) error { _, err := c.parseState(nil); return err }, "state needs a subcommand"},
		{"state set: json and string", func(c *cli) error {
			_, err := c.parseState([]string{"set", "--json", "--string", "k", "v"})
			return err
		}, "exclude each other"},
		{"fmt: two files", func(c *cli) error { _, err := c.parseFmt([]string{"a.hcl", "b.hcl"}); return err }, "fmt formats one file"},
		{"version: an argument", func(c *cli) error { return c.parseNoArgs("version", []string{"x"}) }, "version takes no arguments"},
		{"completion: no shell", func(c *cli) error { _, err := c.parseCompletion(nil); return err }, "usage: k0flow completion"},
		{"unknown flag", func(c *cli) error { _, err := c.parseApply([]string{"--fast"}); return err }, "unknown flag: --fast"},
		{"backend-config: unknown key", func(c *cli) error { _, err := c.parseStatus([]string{"--backend-config", "account=x"}); return err }, `"account" is not a setting`},
		{"backend-config: no value", func(c *cli) error {
			_, err := c.parseStatus([]string{"--backend-config", "container_name"})
			return err
		}, "a setting is KEY=VALUE"},
		{"backend-config: a secret", func(c *cli) error {
			_, err := c.parseStatus([]string{"-backend-config=access_key=SECRET"})
			if err != nil && strings.Contains(err.Error(), "SECRET") {
				return errors.New("the secret was echoed: " + err.Error())
			}
			return err
		}, "credentials are never taken from the command line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestCLI()
			err := tc.parse(c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one saying %q", err, tc.want)
			}
			if code := c.exit(err); code != exitUsage {
				t.Fatalf("exit code %d, want %d", code, exitUsage)
			}
		})
	}
}
