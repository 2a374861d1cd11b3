package main

import (
	"strings"
	"testing"

	"github.com/k0flow/k0flow/statestore"
)

func TestResolveRun(t *testing.T) {
	st := statestore.NewState("d-1")
	for _, r := range []struct{ id, outcome string }{
		{"20261122T180000Z-aaaaaa", statestore.OutcomeFailed},
		{"20261122T190000Z-bbbbbb", statestore.OutcomeInterrupted},
		{"20261123T090000Z-cccccc", statestore.OutcomeSuccess},
	} {
		st.DeploymentRuns = append(st.DeploymentRuns, &statestore.Run{RunID: r.id, Kind: statestore.KindApply, Outcome: r.outcome})
	}
	st.CurrentRunID = "20261122T190000Z-bbbbbb"
	for ref, want := range map[string]string{
		"20261123":                "20261123T090000Z-cccccc", // a unique prefix
		"20261122T18":             "20261122T180000Z-aaaaaa",
		"20261122T190000Z-bbbbbb": "20261122T190000Z-bbbbbb",
		"last":                    "20261123T090000Z-cccccc",
		"current":                 "20261122T190000Z-bbbbbb",
		"last-success":            "20261123T090000Z-cccccc",
		"last-failed":             "20261122T180000Z-aaaaaa",
		"last-interrupted":        "20261122T190000Z-bbbbbb",
	} {
		r, err := resolveRun(st, ref)
		if err != nil || r.RunID != want {
			t.Errorf("resolveRun(%q) = %v, %v; want %s", ref, r, err, want)
		}
	}
	for ref, want := range map[string]string{
		"20261122":        `"20261122" matches 2 runs`,
		"20261122T175959": "closest: 20261122T180000Z-aaaaaa, 20261122T190000Z-bbbbbb, 20261123T090000Z-cccccc",
	} {
		if _, err := resolveRun(st, ref); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("resolveRun(%q): err = %v, want %q", ref, err, want)
		}
	}
}
