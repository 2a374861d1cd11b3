package suggest

import "testing"

func TestClosest(t *testing.T) {
	names := []string{"apply", "plan", "status", "state"}
	for in, want := range map[string]string{"aply": "apply", "stat": "state", "plam": "plan", "destroy": ""} {
		if got := Closest(in, names, 2); got != want {
			t.Errorf("Closest(%q) = %q, want %q", in, got, want)
		}
	}
}
