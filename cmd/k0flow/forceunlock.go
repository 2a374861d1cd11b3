package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/k0flow/k0flow/statestore"
)

func init() {
	register(&command{
		name:    "force-unlock",
		summary: "Break the run lock of a shared state whose runner is gone, as terraform force-unlock does",
		usage:   "force-unlock LOCK_ID [--yes] [--state-dir DIR]\n\nLOCK_ID is the id a refused apply names. Only for a shared state backend, where a lock is a lease that outlives a dead runner until it expires; a local run lock dies with its process.",
		example: "k0flow force-unlock 5f3a9c1e7d2b4a60",
		run:     cmdForceUnlock,
	})
}

func cmdForceUnlock(c *cli, args []string) error {
	a, err := c.parseForceUnlock(args)
	if err != nil {
		return err
	}
	id := a.id
	if !a.yes {
		if !term.IsTerminal(int(os.Stdin.Fd())) {
			return usageErrorf("refusing to force-unlock without confirmation: there is no terminal to ask; pass --yes")
		}
		fmt.Fprintf(c.stdout, "k0flow will break the run lock %s. If its run is still going, the phase it runs now goes on until it ends (the runner then starts no other), while another apply may start.\nOnly 'yes' will be accepted to confirm: ", id)
		answer, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		if strings.TrimSpace(answer) != "yes" {
			return &exitError{code: exitFailure, err: errors.New("force-unlock cancelled")}
		}
	}
	store := c.open(c.stateDir(a.stateDir))
	h, err := store.ForceUnlock(id)
	if errors.Is(err, statestore.ErrNoLock) {
		return &exitError{code: exitFailure, err: fmt.Errorf("the run lock is not held with id %s (it may have been released, or taken again by another run): nothing was broken", id)}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Broke the run lock %s held by pid %d on %s (%s). The next apply records its run as interrupted.\n", id, h.PID, h.Host, h.Operation)
	return nil
}
