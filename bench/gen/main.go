// Command gen writes a state directory with N runs of history, for the
// benchmarks: each run an apply of the phases one..P, completed.
//
//	go run ./bench/gen -dir DIR -runs N [-phases P]
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/k0flow/k0flow/statestore"
)

func main() {
	dir := flag.String("dir", "state", "state directory to write")
	runs := flag.Int("runs", 1000, "runs of history")
	phases := flag.Int("phases", 11, "phases a run")
	flag.Parse()
	st := statestore.NewState("k0rdent-bench000")
	st.Runtime["wireguard"] = map[string]any{"connected": true, "port": 51820}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < *runs; i++ {
		start := at.Add(time.Duration(i) * time.Hour)
		end := start.Add(20 * time.Minute)
		run := &statestore.Run{RunID: fmt.Sprintf("%sZ-%06x", start.Format("20060102T150405"), i), Kind: statestore.KindApply,
			StartedAt: start, EndedAt: &end, DurationSeconds: statestore.Seconds(20 * time.Minute),
			Outcome: statestore.OutcomeSuccess, Owner: &statestore.Owner{PID: 4242, Host: "bench"},
			ConfigSnapshot: &statestore.ConfigSnapshot{Variables: map[string]any{"kof_enabled": false}, Flags: map[string]any{}}}
		for p := 0; p < *phases; p++ {
			code := 0
			pend := start.Add(time.Duration(p+1) * time.Minute)
			run.Phases = append(run.Phases, &statestore.PhaseRecord{Name: fmt.Sprintf("p%d", p+1), Status: statestore.StatusCompleted,
				StartedAt: &start, EndedAt: &pend, DurationSeconds: statestore.Seconds(time.Minute), ExitCode: &code,
				Log: filepath.Join("logs", run.RunID, fmt.Sprintf("p%d.log", p+1)), DefinitionChecksum: "sha256:0"})
		}
		st.DeploymentRuns = append(st.DeploymentRuns, run)
		st.CurrentRunID = run.RunID
	}
	// The layout k0flow keeps: the recent runs in the state file, the
	// older ones in runs/ (written here without the fsyncs k0flow pays).
	if err := os.MkdirAll(filepath.Join(*dir, statestore.RunsDir), 0o700); err != nil {
		log.Fatal(err)
	}
	if n := len(st.DeploymentRuns) - statestore.InlineRuns; n > 0 {
		for _, r := range st.DeploymentRuns[:n] {
			data, err := statestore.EncodeRun(r)
			if err != nil {
				log.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(*dir, statestore.RunFile(r.RunID)), data, 0o600); err != nil {
				log.Fatal(err)
			}
		}
		st.DeploymentRuns = st.DeploymentRuns[n:]
	}
	data, err := statestore.Encode(st)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*dir, statestore.StateFile), data, 0o600); err != nil {
		log.Fatal(err)
	}
}
