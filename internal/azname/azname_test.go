package azname

import (
	"strings"
	"testing"
)

// Azure's container name rule, which the service would answer with a 400
// that reads like a network fault.
func TestCheckContainer(t *testing.T) {
	for name, ok := range map[string]bool{
		"k0flow": true, "a-b-c": true, "abc": true, "k0flow-team": true, strings.Repeat("a", 63): true,
		"ab": false, strings.Repeat("a", 64): false, "a--b": false, "-ab": false, "ab-": false,
		"K0flow": false, "k0flow_state": false, "k0flow.state": false, "": false,
	} {
		if err := CheckContainer(name); (err == nil) != ok {
			t.Errorf("CheckContainer(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

// A key prefix names a folder of its own: no segment may climb out of it.
func TestCheckKeyPrefix(t *testing.T) {
	for prefix, ok := range map[string]bool{
		"": true, "prod": true, "prod/westus2": true, "deployments/team-1": true,
		"prod/../dev": false, "../dev": false, "./prod": false, "/prod": false, "prod/": false,
		"prod//x": false, `prod\x`: false, strings.Repeat("a", 513): false,
	} {
		if err := CheckKeyPrefix(prefix); (err == nil) != ok {
			t.Errorf("CheckKeyPrefix(%q) = %v, want ok=%v", prefix, err, ok)
		}
	}
}
