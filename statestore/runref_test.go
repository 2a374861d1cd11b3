package statestore

import (
	"testing"
	"time"
)

// TestRecentDecides: the recent runs answer a keyword, a last-OUTCOME they
// hold and a whole id among them; never a prefix (an older run may share
// it) or an id or outcome they do not hold.
func TestRecentDecides(t *testing.T) {
	st := NewState("k0rdent-ref00000")
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for i, outcome := range []string{OutcomeFailed, OutcomeSuccess} {
		r := &Run{RunID: NewRunID(at.Add(time.Duration(i) * time.Hour)), Kind: KindApply, StartedAt: at, Outcome: outcome}
		st.DeploymentRuns = append(st.DeploymentRuns, r)
	}
	st.CurrentRunID = st.DeploymentRuns[1].RunID
	id := st.DeploymentRuns[0].RunID
	for ref, want := range map[string]bool{
		"last": true, "latest": true, "current": true,
		"last-success": true, "last-failed": true, "last-interrupted": false,
		id: true, id[:len(id)-1]: false, "20261124": false, "20200101T000000Z-aaaaaa": false,
	} {
		if got := st.RecentDecides(ref); got != want {
			t.Errorf("RecentDecides(%q) = %v, want %v", ref, got, want)
		}
	}
	if (&State{}).RecentDecides("last") {
		t.Error("a state without runs decides last")
	}
}
