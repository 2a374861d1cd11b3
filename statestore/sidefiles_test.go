package statestore

import (
	"path/filepath"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// FuzzSideFileSet: a value set in a side file with SetNode reads back
// exactly, and the keys already there keep their values.
func FuzzSideFileSet(f *testing.F) {
	for _, s := range []string{"true", "0000-1111", "a: b", "\ttab\nsecond", "\n\nlead", "<<", "&a", "*a", "!!binary x", "null", "3", ""} {
		f.Add("azure_client_id", s)
	}
	f.Add("deep.key.path", "v")
	for _, k := range []string{"&a", "*a", "a: b", "- x", "true", "null", "#c", "!!binary"} {
		f.Add(k, "v")
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		if _, err := SplitKey(key); err != nil {
			return
		}
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(AzureStateHeader(Now())), &doc); err != nil {
			t.Fatal(err)
		}
		if err := SetNode(doc.Content[0], key, value); err != nil {
			if utf8.ValidString(value) {
				t.Fatalf("SetNode(%q, %q): %v", key, value, err)
			}
			return // refused, as it must be
		}
		out, err := encodeNode(&doc)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(out, &m); err != nil {
			t.Fatalf("unreadable after setting %q=%q: %v\n%s", key, value, err, out)
		}
		got, ok := GetPath(m, key)
		if !ok || got != value {
			t.Fatalf("%q = %q, read back %#v (found %v)\n%s", key, value, got, ok, out)
		}
		if key != "azure_credentials_configured" && m["azure_credentials_configured"] != false {
			t.Fatalf("azure_credentials_configured changed:\n%s", out)
		}
	})
}

// TestSideUpdateWithoutHeaderLeavesMissingFile: an update with no header
// (v1's remove_azure_state_key, the Azure event's last_updated) does not
// create the file, and one with a header does.
func TestSideUpdateWithoutHeaderLeavesMissingFile(t *testing.T) {
	store := Open(filepath.Join(t.TempDir(), "state"))
	called := false
	if err := store.SideUpdate(AzureStateFile, "", func(*yaml.Node) error { called = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if called {
		t.Error("fn was called for a missing file without a header")
	}
	if _, ok, err := store.SideGet(AzureStateFile, "last_updated"); err != nil || ok {
		t.Fatalf("the file was made: ok=%v err=%v", ok, err)
	}
	if err := store.SideUpdate(AzureStateFile, AzureStateHeader(Now()), func(top *yaml.Node) error { return SetNode(top, "k", "v") }); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := store.SideGet(AzureStateFile, "k"); err != nil || !ok || v != "v" {
		t.Fatalf("with a header: %v %v %v", v, ok, err)
	}
}
