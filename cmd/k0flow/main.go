// Command k0flow runs multi-phase deployments declared in HCL. This package
// only parses flags and renders results; the work is in phases, workflow
// and statestore.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/k0flow/k0flow/internal/suggest"
	"github.com/spf13/pflag"
)

// Exit codes, as documented in docs/troubleshooting.md.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

type command struct {
	name    string
	summary string
	usage   string
	example string
	run     func(c *cli, args []string) error
}

var commands []*command

func register(c *command) { commands = append(commands, c) }

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	c := &cli{stdout: stdout, stderr: stderr, env: os.Environ()}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 {
			return c.exit(c.help(args[1]))
		}
		usage(stdout)
		return exitOK
	}
	if args[0] == "--version" || args[0] == "-v" {
		args[0] = "version"
	}
	cmd := find(args[0])
	if cmd == nil {
		hint, ok := terraformCommands[args[0]]
		if !ok {
			hint = closest(args[0])
		}
		fmt.Fprintf(stderr, "k0flow: unknown command %q%s\nRun 'k0flow --help' for the list of commands.\n", args[0], hint)
		return exitUsage
	}
	if cmd.name == "lib" {
		return c.exit(cmd.run(c, args[1:])) // a script's values, never flags
	}
	return c.exit(cmd.run(c, normalizeArgs(args[1:])))
}

// terraformCommands answer the Terraform commands people type out of habit.
var terraformCommands = map[string]string{
	"init":    ": k0flow needs no init (apply and infra sync run terraform init when the workflow has a terraform block)",
	"output":  ": use 'k0flow infra get NAME' or 'k0flow infra show' for Terraform's outputs",
	"logs":    ": use 'k0flow show RUN' for a run's phases and log tails (logs are in the state directory's logs/)",
	"refresh": ": use 'k0flow infra refresh'",
}

func find(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func closest(name string) string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	if best := suggest.Closest(name, names, 2); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

func usage(w io.Writer) {
	fmt.Fprint(w, "k0flow runs multi-phase deployments declared in deploy.hcl, recording every run.\n\nUsage: k0flow COMMAND [FLAGS] [ARGS]\n\nCommands:\n")
	sorted := append([]*command(nil), commands...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, c := range sorted {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun 'k0flow COMMAND --help' for a command's flags and an example.\n")
}

func (c *cli) help(name string) error {
	cmd := find(name)
	if cmd == nil {
		return usageErrorf("unknown command %q", name)
	}
	return cmd.run(c, []string{"--help"})
}

// normalizeArgs accepts Terraform's one-dash -var and -var-file, which
// pflag would otherwise read as a cluster of short flags.
func normalizeArgs(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		for _, long := range []string{"var-file", "var"} {
			if a == "-"+long || strings.HasPrefix(a, "-"+long+"=") {
				a = "-" + a
				break
			}
		}
		out = append(out, a)
	}
	return out
}

// exitError carries an exit code and says the message was already shown
// when err is nil.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// silent is an exit code whose message has been printed already.
func silent(code int) error { return &exitError{code: code} }

func (c *cli) exit(err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, pflag.ErrHelp) {
		return exitOK
	}
	// Errors carry their exit code (ExitCode); anything else is a failure.
	code := exitFailure
	var coded interface{ ExitCode() int }
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		code = ee.code
		if ee.err == nil {
			return code
		}
	case errors.As(err, &coded):
		code = coded.ExitCode()
	}
	fmt.Fprintf(c.stderr, "Error: %v\n", err)
	return code
}
