package statestore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"syscall"
	"time"
)

// NewRunID returns a run id: the UTC start time plus a random suffix, so ids
// sort by time and two runs in the same second still differ.
func NewRunID(at time.Time) string {
	return at.UTC().Format("20060102T150405Z") + "-" + randomHex(3)
}

// NewDeploymentID returns "<prefix>-" plus 8 characters of [a-z0-9], the
// shape of the bash project's cluster ids.
func NewDeploymentID(prefix string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return prefix + "-" + string(b)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Seconds rounds a duration to milliseconds, as durations are stored.
func Seconds(d time.Duration) *float64 {
	s := math.Round(d.Seconds()*1000) / 1000
	return &s
}

// MarkAbandoned records every run still marked running as interrupted. Call
// it only while holding the run lock (or having just taken it): then no live
// runner can own those runs, whatever their pid says.
func (s *State) MarkAbandoned(at time.Time) []string {
	var ids []string
	for _, r := range s.DeploymentRuns {
		if r.Outcome != OutcomeRunning || r.Owner.alive() {
			continue
		}
		ids = append(ids, r.RunID)
		markInterrupted(r, at)
	}
	return ids
}

// markInterrupted records a run whose runner is gone as interrupted.
func markInterrupted(r *Run, at time.Time) {
	r.Outcome = OutcomeInterrupted
	r.EndedAt = &at
	r.DurationSeconds = Seconds(at.Sub(r.StartedAt))
	phase := ""
	for _, p := range r.Phases {
		if p.Status == StatusRunning {
			p.Status = StatusInterrupted
			p.EndedAt = &at
			phase = p.Name
		}
	}
	owner := "its runner"
	if r.Owner != nil {
		owner = fmt.Sprintf("its runner (pid %d on %s)", r.Owner.PID, r.Owner.Host)
	}
	if r.Error == nil {
		r.Error = &RunError{Phase: phase, Message: owner + " stopped without recording an outcome"}
	}
}

// LoadForReading loads the state for a command that only reads. A run
// left running by a runner that is gone (its pid no longer runs on this
// host) is shown as interrupted, in memory only: recording it is the next
// writer's job, under the run lock, and a reader must never hold that
// lock (a concurrent apply would be refused).
func (s *Store) LoadForReading() (*State, []string, error) {
	return s.LoadForReadingFor(func(*State) bool { return false })
}

// LoadRecentForReading is LoadForReading without the runs moved out of the
// file (see LoadRecent): for a command that needs the latest runs only.
func (s *Store) LoadRecentForReading() (*State, []string, error) {
	return s.LoadForReadingFor(func(*State) bool { return true })
}

// LoadForReadingFor is LoadForReading that adds the runs moved out of the
// file only when found, given the recent runs as a reader sees them, says
// they do not answer (as LoadFor): the file is read once either way.
func (s *Store) LoadForReadingFor(found func(*State) bool) (*State, []string, error) {
	st, err := s.LoadRecent()
	if err != nil {
		return nil, nil, err
	}
	ids := s.showGone(st)
	if found(st) {
		return st, ids, nil
	}
	if err := s.withHistory(st); err != nil {
		return nil, nil, err
	}
	return st, append(ids, s.showGone(st)...), nil
}

// showGone shows the runs a gone runner left running as interrupted, in
// memory, and returns their ids.
func (s *Store) showGone(st *State) []string {
	var ids []string
	for _, r := range st.DeploymentRuns {
		if r.Outcome == OutcomeRunning && r.Owner != nil && !r.Owner.running() {
			ids = append(ids, r.RunID)
		}
	}
	if len(ids) > 0 {
		st.markGone(ids, s.now())
	}
	return ids
}

// running says whether a run's owner process still runs, as far as this
// host can tell: a process on another host is taken to.
func (o *Owner) running() bool {
	if host, _ := os.Hostname(); host != o.Host {
		return true
	}
	return o.PID > 0 && syscall.Kill(o.PID, 0) == nil
}

// markGone shows the given runs as interrupted (see MarkAbandoned).
func (s *State) markGone(ids []string, at time.Time) {
	gone := map[string]bool{}
	for _, id := range ids {
		gone[id] = true
	}
	for _, r := range s.DeploymentRuns {
		if gone[r.RunID] {
			markInterrupted(r, at)
		}
	}
}

// RecoverAbandoned marks runs left running by a runner that died as
// interrupted. If a live runner holds the run lock, it does nothing.
func (s *Store) RecoverAbandoned() ([]string, error) {
	unlock, err := s.LockRun(context.Background(), "recover abandoned runs")
	if _, held := err.(*LockedError); held {
		return nil, nil // a live runner owns its runs
	}
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.RecoverLocked()
}

// RecoverLocked is RecoverAbandoned for a caller that holds the run lock.
func (s *Store) RecoverLocked() ([]string, error) {
	_, ids, err := s.recover()
	if IsNotExist(err) {
		return nil, nil
	}
	return ids, err
}

func (s *Store) recover() (*State, []string, error) {
	st, err := s.LoadRecent() // a running run is always among the file's

	if err != nil || !hasRunning(st) {
		return st, nil, err
	}
	var ids []string
	err = s.Update(func(cur *State) error {
		ids = cur.MarkAbandoned(s.now())
		st = cur
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	for _, id := range ids {
		_ = s.AppendEvent(st.DeploymentID, Event{Action: "run_interrupted", RunID: id,
			Message: "Run " + id + " was found abandoned by its runner and recorded as interrupted"})
	}
	return st, ids, nil
}

func hasRunning(st *State) bool {
	for _, r := range st.DeploymentRuns {
		if r.Outcome == OutcomeRunning && !r.Owner.alive() {
			return true
		}
	}
	return false
}

// alive says whether a bash-driven run's owner still runs on this host.
// Runs of k0flow itself are judged by the run lock instead.
func (o *Owner) alive() bool {
	if o == nil || o.Driver != "bash" || o.PID <= 0 {
		return false
	}
	if host, _ := os.Hostname(); host != o.Host {
		return true // another machine's process: not ours to judge
	}
	return syscall.Kill(o.PID, 0) == nil
}
