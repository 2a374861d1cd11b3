package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"sync"
	"time"

	"github.com/k0flow/k0flow/phases"
	"github.com/k0flow/k0flow/statestore"
)

// streamVersion is the version of the JSON stream of apply and destroy
// --output json, documented in docs/runs-and-history.md. It changes only
// when a field changes meaning or goes away; new fields and new types do
// not change it.
const streamVersion = "1"

// streamObserver writes one JSON object a line per event of a run, as
// terraform's -json UI does, so a CI system can follow it.
type streamObserver struct {
	mu    sync.Mutex
	w     io.Writer
	runID string
	phase string // the phase whose output lines are being streamed
	buf   bytes.Buffer
}

// streamEvent is one line of the stream. Fields are present only for the
// types that use them.
type streamEvent struct {
	Version   string    `json:"@version"`
	Timestamp time.Time `json:"@timestamp"`
	Type      string    `json:"type"`
	RunID     string    `json:"run_id,omitempty"`
	Kind      string    `json:"kind,omitempty"`
	Phase     string    `json:"phase,omitempty"`
	Number    int       `json:"number,omitempty"`
	Total     int       `json:"total,omitempty"`
	Phases    []string  `json:"phases,omitempty"`
	Line      *string   `json:"line,omitempty"`
	Status    string    `json:"status,omitempty"`
	Outcome   string    `json:"outcome,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	Resumed   string    `json:"resumed_from,omitempty"`
	Reused    string    `json:"reused_from,omitempty"`
	Duration  *float64  `json:"duration_seconds,omitempty"`
	ExitCode  *int      `json:"exit_code,omitempty"`
	Log       string    `json:"log,omitempty"`
	Message   string    `json:"message,omitempty"`
	Signal    string    `json:"signal,omitempty"`
	Grace     *float64  `json:"grace_seconds,omitempty"`
	Elapsed   *float64  `json:"elapsed_seconds,omitempty"`
	Changed   *bool     `json:"outputs_changed,omitempty"`
	Attempt   int       `json:"attempt,omitempty"`
	Attempts  int       `json:"attempts,omitempty"`
	Delay     *float64  `json:"delay_seconds,omitempty"`
	Error     string    `json:"error,omitempty"`
}

func (o *streamObserver) emit(ev streamEvent) {
	ev.Version, ev.Timestamp = streamVersion, time.Now().UTC()
	if ev.RunID == "" {
		ev.RunID = o.runID
	}
	data, _ := json.Marshal(ev)
	o.w.Write(append(data, '\n'))
}

func (o *streamObserver) RunStarted(run *statestore.Run, plan *phases.Plan) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.runID = run.RunID
	names := []string{}
	for _, p := range run.Phases {
		names = append(names, p.Name)
	}
	o.emit(streamEvent{Type: "run_started", Kind: run.Kind, Phases: names, Resumed: run.ResumedFrom})
}

func (o *streamObserver) PhaseStarted(step *phases.Step) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.phase = step.Phase.Name
	o.emit(streamEvent{Type: "phase_started", Phase: step.Phase.Name, Number: step.Number, Total: step.Total, Message: step.Description})
}

func (o *streamObserver) PhaseEnded(step *phases.Step, rec *statestore.PhaseRecord) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushLine()
	o.phase = ""
	typ := map[string]string{statestore.StatusCompleted: "phase_completed", statestore.StatusReused: "phase_reused",
		statestore.StatusFailed: "phase_failed", statestore.StatusInterrupted: "phase_interrupted"}[rec.Status]
	if typ == "" {
		typ = "phase_ended"
	}
	ev := streamEvent{Type: typ, Phase: rec.Name, Status: rec.Status, Duration: rec.DurationSeconds, ExitCode: rec.ExitCode,
		Log: rec.Log, Message: rec.Message, Reused: rec.ReusedFrom}
	if rec.Status == statestore.StatusReused {
		ev.Reason = step.Reason
	}
	o.emit(ev)
}

func (o *streamObserver) RunEnded(run *statestore.Run) {
	o.mu.Lock()
	defer o.mu.Unlock()
	ev := streamEvent{Type: "run_ended", Kind: run.Kind, Outcome: run.Outcome, Duration: run.DurationSeconds}
	if run.Error != nil {
		ev.Error, ev.Phase = run.Error.Message, run.Error.Phase
	}
	o.emit(ev)
}

func (o *streamObserver) PhaseStillRunning(step *phases.Step, elapsed time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := elapsed.Round(time.Second).Seconds()
	o.emit(streamEvent{Type: "phase_still_running", Phase: step.Phase.Name, Elapsed: &s})
}

func (o *streamObserver) PhaseStopping(step *phases.Step, sig os.Signal, grace time.Duration, second bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	g := grace.Seconds()
	typ := "phase_stopping"
	if second {
		typ = "phase_killing"
	}
	o.emit(streamEvent{Type: typ, Phase: step.Phase.Name, Signal: phases.SignalName(sig), Grace: &g})
}

func (o *streamObserver) PhaseRetrying(step *phases.Step, attempt, attempts, exitCode int, delay time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushLine()
	d := delay.Seconds()
	o.emit(streamEvent{Type: "phase_retried", Phase: step.Phase.Name, Attempt: attempt, Attempts: attempts, ExitCode: &exitCode, Delay: &d})
}

func (o *streamObserver) InfraSynced(step *phases.Step, reason string, changed bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.emit(streamEvent{Type: "infra_synced", Phase: step.Phase.Name, Reason: reason, Changed: &changed})
}

// Write takes the running phase's output and emits it a line at a time
// as phase_output events (a last line without a newline when the phase
// ends).
func (o *streamObserver) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	for {
		i := bytes.IndexByte(o.buf.Bytes(), '\n')
		if i < 0 {
			break
		}
		line := string(o.buf.Next(i + 1)[:i])
		o.emit(streamEvent{Type: "phase_output", Phase: o.phase, Line: &line})
	}
	return len(p), nil
}

func (o *streamObserver) flushLine() {
	if o.buf.Len() == 0 {
		return
	}
	line := o.buf.String()
	o.buf.Reset()
	o.emit(streamEvent{Type: "phase_output", Phase: o.phase, Line: &line})
}
