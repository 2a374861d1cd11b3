package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

func init() {
	register(&command{
		name:    "fmt",
		summary: "Rewrite a workflow file in canonical HCL style",
		usage:   "fmt [FILE] [--check]",
		example: "k0flow fmt --check deploy.hcl",
		run:     cmdFmt,
	})
}

func cmdFmt(c *cli, args []string) error {
	a, err := c.parseFmt(args)
	if err != nil {
		return err
	}
	file := a.file
	src, err := os.ReadFile(file)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	// The same rendering as validate's, with the source line: a file
	// that does not parse is left as it is.
	if f, diags := hclsyntax.ParseConfig(src, file, hcl.InitialPos); diags.HasErrors() {
		return c.renderDiagnostics(map[string]*hcl.File{file: f}, diags)
	}
	formatted := hclwrite.Format(src)
	if bytes.Equal(src, formatted) {
		return nil
	}
	if a.check {
		fmt.Fprintf(c.stdout, "%s is not formatted; run 'k0flow fmt %s'\n", file, file)
		return silent(exitFailure)
	}
	info, err := os.Stat(file)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, file)
	return os.WriteFile(file, formatted, info.Mode().Perm())
}
