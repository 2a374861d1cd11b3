package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestDocs runs every code block marked `sh runnable` in README.md and
// docs/*.md, so that what the documentation tells people to type works.
// Each document is one script, its blocks in order, in a directory that
// holds a copy of examples/; each block starts there. A trailing `# exits N` asserts an exit code;
// `NAME=value cmd` sets a variable for that command only.
func TestDocs(t *testing.T) {
	docs, _ := filepath.Glob("../../docs/*.md")
	docs = append([]string{"../../README.md"}, docs...)
	dir := t.TempDir()
	n := 0
	for _, doc := range docs {
		script, blocks, err := docScript(doc)
		if err != nil {
			t.Fatal(err)
		}
		if blocks == 0 {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(doc), ".md") + ".txtar"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o600); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no runnable blocks found: the docs test would prove nothing")
	}
	testscript.Run(t, scriptParams(t, dir))
}

var (
	exitsComment = regexp.MustCompile(`\s+#\s*exits (\d+)\s*$`)
	envPrefix    = regexp.MustCompile(`^([A-Z_][A-Z0-9_]*)=(\S*)\s+(.*)$`)
)

// docScript turns a document's runnable blocks into a testscript.
func docScript(path string) (string, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "# The runnable blocks of %s.\n[!terraform] skip 'terraform is not on PATH (make test installs it)'\ncopytree $EXAMPLES examples\n", filepath.Base(path))
	blocks, in := 0, false
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		switch {
		case !in && strings.TrimSpace(text) == "```sh runnable":
			in = true
			blocks++
			fmt.Fprintf(&b, "# %s:%d\ncd $WORK\n", filepath.Base(path), line) // each block starts at the root
		case in && strings.TrimSpace(text) == "```":
			in = false
		case in:
			b.WriteString(docLine(text))
		}
	}
	return b.String(), blocks, sc.Err()
}

func docLine(text string) string {
	text = strings.TrimSpace(text)
	if text == "" || strings.HasPrefix(text, "#") {
		return ""
	}
	code := "0"
	if m := exitsComment.FindStringSubmatch(text); m != nil {
		code, text = m[1], strings.TrimSpace(text[:len(text)-len(m[0])])
	} else if i := strings.Index(text, " #"); i >= 0 {
		text = strings.TrimSpace(text[:i])
	}
	if dir, ok := strings.CutPrefix(text, "cd "); ok {
		return "cd " + dir + "\n"
	}
	if m := envPrefix.FindStringSubmatch(text); m != nil {
		return fmt.Sprintf("env %s=%s\nexits %s %s\nenv %s=\n", m[1], m[2], code, m[3], m[1])
	}
	return fmt.Sprintf("exits %s %s\n", code, text)
}

// TestK0rdentTerraformContract: the offline stand-in module the tests apply
// declares the same outputs and variables as the azurerm module that
// examples/k0rdent-azure/deploy-terraform.hcl ships.
func TestK0rdentTerraformContract(t *testing.T) {
	real := moduleBlocks(t, "../../examples/k0rdent-azure/terraform")
	standin := moduleBlocks(t, "../../testdata/k0rdent-terraform-standin")
	if got, want := standin["output"], real["output"]; got != want {
		t.Errorf("outputs: stand-in %s, real module %s", got, want)
	}
	for _, v := range strings.Fields(standin["variable"]) {
		if !strings.Contains(" "+real["variable"]+" ", " "+v+" ") {
			t.Errorf("the stand-in's variable %s is not a variable of the real module (%s)", v, real["variable"])
		}
	}
}

// moduleBlocks lists a module's block labels by block type, sorted.
func moduleBlocks(t *testing.T, dir string) map[string]string {
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .tf files in %s", dir)
	}
	labels := map[string][]string{}
	p := hclparse.NewParser()
	for _, f := range files {
		file, diags := p.ParseHCLFile(f)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		for _, b := range file.Body.(*hclsyntax.Body).Blocks {
			if len(b.Labels) > 0 {
				labels[b.Type] = append(labels[b.Type], b.Labels[0])
			}
		}
	}
	out := map[string]string{}
	for k, v := range labels {
		sort.Strings(v)
		out[k] = strings.Join(v, " ")
	}
	return out
}
