// Package statetest makes realistic states for benchmarks and tests.
package statetest

import (
	"fmt"
	"time"

	"github.com/k0flow/k0flow/statestore"
)

// History is a deployment after n runs of a 9-phase workflow: every fifth
// run failed with a log tail, the rest succeeded.
func History(n int) *statestore.State {
	st := statestore.NewState("k0rdent-bench000")
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		st.DeploymentRuns = append(st.DeploymentRuns, run(start.Add(time.Duration(i)*time.Hour), i%5 == 4))
	}
	st.CurrentRunID = st.LastRun().RunID
	st.DeploymentFlags = map[string]any{"kof": true, "azure_children": false}
	return st
}

func run(at time.Time, failed bool) *statestore.Run {
	end := at.Add(40 * time.Minute)
	r := &statestore.Run{RunID: statestore.NewRunID(at), Kind: statestore.KindApply, StartedAt: at, EndedAt: &end,
		DurationSeconds: statestore.Seconds(40 * time.Minute), Outcome: statestore.OutcomeSuccess,
		Owner: &statestore.Owner{PID: 4242, Host: "build-7"},
		ConfigSnapshot: &statestore.ConfigSnapshot{
			Variables:    map[string]any{"kof_enabled": true, "controller_count": 3, "azure_client_secret": "(sensitive)"},
			Flags:        map[string]any{"kof": true, "azure_children": false},
			Applicable:   map[string]string{"setup_azure_children": "var.azure_children_enabled is false"},
			WorkflowFile: "deploy.hcl", K0flowVersion: "v0.1.0",
			WorkflowChecksum: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}}
	for p := 0; p < 9; p++ {
		code := 0
		ps, pe := at.Add(time.Duration(p)*4*time.Minute), at.Add(time.Duration(p+1)*4*time.Minute)
		r.Phases = append(r.Phases, &statestore.PhaseRecord{Name: fmt.Sprintf("phase_%d", p), Status: statestore.StatusCompleted,
			Reason: "not run before", StartedAt: &ps, EndedAt: &pe, DurationSeconds: statestore.Seconds(4 * time.Minute),
			ExitCode: &code, Log: "logs/" + r.RunID + fmt.Sprintf("/phase_%d.log", p),
			DefinitionChecksum: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"})
	}
	if failed {
		last := r.Phases[8]
		code := 3
		last.Status, last.ExitCode, last.Message = statestore.StatusFailed, &code, "exited with code 3"
		r.Outcome = statestore.OutcomeFailed
		r.Error = &statestore.RunError{Phase: last.Name, Message: "exited with code 3",
			LogTail: "helm: release kcm failed\nError: context deadline exceeded\nsee the log for details"}
	}
	return r
}
