package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// buildVersion is set at link time: -ldflags "-X main.buildVersion=v0.1.0".
var buildVersion = ""

func init() {
	register(&command{
		name:    "version",
		summary: "Print k0flow's version",
		usage:   "version",
		example: "k0flow version",
		run: func(c *cli, args []string) error {
			if err := c.parseNoArgs("version", args); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "k0flow %s (%s, %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	})
}

func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}
