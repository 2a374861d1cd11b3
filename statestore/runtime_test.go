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
