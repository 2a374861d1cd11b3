package main

import (
	"os"

	"golang.org/x/term"
)

// colorArgs is --color auto|always|never; auto means colour on a terminal
// unless NO_COLOR is set.
func (c *cli) useColor(a colorArgs) (bool, error) {
	switch a.mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		f, ok := c.stdout.(*os.File)
		return ok && term.IsTerminal(int(f.Fd())) && c.getenv("NO_COLOR") == "", nil
	}
	return false, usageErrorf("--color must be auto, always or never, not %q", a.mode)
}

type painter bool

func (p painter) red(s string) string    { return p.wrap("31", s) }
func (p painter) yellow(s string) string { return p.wrap("33", s) }
func (p painter) green(s string) string  { return p.wrap("32", s) }
func (p painter) dim(s string) string    { return p.wrap("2", s) }

func (p painter) wrap(code, s string) string {
	if !p {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}
