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
