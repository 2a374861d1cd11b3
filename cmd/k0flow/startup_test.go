package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStartupLinksNoSlowInits: every k0flow process runs the package
// initialisers of everything linked into it, whatever the command. These
// modules' initialisers cost more than a whole hello-world Go process
// (bench/results.md, "process start"), so they stay out of the binary:
//   - santhosh-tekuri/jsonschema compiles five drafts' metaschemas (2.6-3.4
//     ms); the state's checks are statestore/check.go, the library is the
//     tests' oracle;
//   - apache/arrow-go, and the compressors and CPU probes it brings, came
//     with azblob v1.7+ for an opt-in list format k0flow does not use
//     (0.75 ms); azblob stays at v1.6.4 until that changes.
func TestStartupLinksNoSlowInits(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, slow := range []string{"github.com/santhosh-tekuri/jsonschema", "github.com/apache/arrow-go", "github.com/klauspost/cpuid"} {
			if strings.HasPrefix(pkg, slow) {
				t.Errorf("k0flow links %s, whose initialisation every command would pay for", pkg)
			}
		}
	}
}
