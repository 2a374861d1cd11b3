package statestore

import "testing"

func TestPaths(t *testing.T) {
	m := map[string]any{}
	if err := SetPath(m, "wireguard.peers.laptop.ip", "192.168.100.1"); err != nil {
		t.Fatal(err)
	}
	if v, ok := GetPath(m, "wireguard.peers.laptop.ip"); !ok || v != "192.168.100.1" {
		t.Fatalf("get = %v, %v", v, ok)
	}
	if err := SetPath(m, "wireguard.peers.laptop.ip.deeper", 1); err == nil {
		t.Fatal("set through a string succeeded")
	}
	m["ips"] = []any{"10.0.1.4", map[string]any{"ip": "10.0.1.5"}}
	if v, ok := GetPath(m, "ips.1.ip"); !ok || v != "10.0.1.5" {
		t.Fatalf("list index: %v, %v", v, ok)
	}
	if _, ok := GetPath(m, "ips.2"); ok {
		t.Fatal("index past the end found")
	}
	delete(m, "ips")
	if _, ok := GetPath(m, "wireguard.nope"); ok {
		t.Fatal("found a missing key")
	}
	if !UnsetPath(m, "wireguard.peers.laptop.ip") {
		t.Fatal("unset reported missing")
	}
	if len(m) != 0 {
		t.Fatalf("empty parents were kept: %v", m)
	}
	if _, err := SplitKey("a..b"); err == nil {
		t.Fatal("empty segment accepted")
	}
}

// FuzzRuntimeRoundTrip: any value a script can store as a runtime value
// (state set --string, update_state) reads back byte for byte after a
// save and a load that does not use the decoded-state cache: the file
// itself holds it exactly. What cannot be stored is refused.
func FuzzRuntimeRoundTrip(f *testing.F) {
	for _, s := range []string{"\tfoo\nbar", "\n\nlead", "trail\n\n", "\r\nwin", "<<", "&a", "*a", "!!binary x",
		"a: b", "- x", "#c", "null", "true", "3", "", " sp ", "\x00nul", "\xff\xfe", "日本語\n\tx", "line\n \tmixed"} {
		f.Add("k", s)
	}
	f.Add("<<", "v")
	f.Add("a.b.c", "v")
	f.Fuzz(func(t *testing.T, key, value string) {
		st := NewState("k0rdent-fuzz0000")
		if err := SetPath(st.Runtime, key, value); err != nil {
			return // refused with an error: nothing stored
		}
		data, err := Encode(st)
		if err != nil {
			return // refused at save: nothing written
		}
		back, err := Decode(data)
		if err != nil {
			t.Fatalf("saved a state that does not load (%q=%q): %v\n%s", key, value, err, data)
		}
		got, ok := GetPath(back.Runtime, key)
		if !ok || got != value {
			t.Fatalf("%q = %q read back as %#v\n%s", key, value, got, data)
		}
	})
}
