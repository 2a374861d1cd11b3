package main

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/k0flow/k0flow/phases"
)

//go:embed shell-lib.bash
var shellLib string

func init() {
	register(&command{
		name:    "shell-lib",
		summary: "Print the bash library of state functions for existing scripts",
		usage:   "shell-lib",
		example: "source <(k0flow shell-lib)\nk0flow shell-lib > etc/state-management.sh",
		run: func(c *cli, args []string) error {
			if err := c.parseNoArgs("shell-lib", args); err != nil {
				return err
			}
			order := phases.Order(c.workflowIfAny())
			lib := strings.NewReplacer("@VERSION@", version(), "@PHASES@", strings.Join(order, " ")).Replace(shellLib)
			fmt.Fprint(c.stdout, lib)
			return nil
		},
	})
}
