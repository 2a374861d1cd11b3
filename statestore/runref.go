package statestore

import (
	"fmt"
	"sort"
	"strings"
)

// RunRefError is a run reference that names no single run; its exit code
// is 1 for "no such run yet", 2 for a reference that cannot be right.
type RunRefError struct {
	Code int
	Err  error
}

func (e *RunRefError) Error() string { return e.Err.Error() }

// ExitCode is the code a command exits with.
func (e *RunRefError) ExitCode() int { return e.Code }

func runRefError(code int, err error) error { return &RunRefError{Code: code, Err: err} }

// ResolveRun finds a run by id, unique prefix, or name: last, current,
// last-success, last-failed, last-interrupted.
func (st *State) ResolveRun(ref string) (*Run, error) {
	runs := st.DeploymentRuns
	if len(runs) == 0 {
		return nil, runRefError(1, fmt.Errorf("the deployment has no runs yet"))
	}
	switch ref {
	case "last", "latest":
		return runs[len(runs)-1], nil
	case "current":
		if r := st.CurrentRun(); r != nil {
			return r, nil
		}
		return runs[len(runs)-1], nil
	case "last-success", "last-failed", "last-interrupted":
		want := strings.TrimPrefix(ref, "last-")
		for i := len(runs) - 1; i >= 0; i-- {
			if runs[i].Outcome == want {
				return runs[i], nil
			}
		}
		return nil, runRefError(1, fmt.Errorf("%s: no run ended %s", ref, want))
	}
	var matches []*Run
	for _, r := range runs {
		if r.RunID == ref {
			return r, nil
		}
		if strings.HasPrefix(r.RunID, ref) {
			matches = append(matches, r)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return nil, runRefError(2, fmt.Errorf("no run %q in this deployment; closest: %s (or last, current, last-success, last-failed)",
			ref, strings.Join(closestRuns(runs, ref, 3), ", ")))
	}
	ids := make([]string, len(matches))
	for i, m := range matches {
		ids[i] = m.RunID
	}
	return nil, runRefError(2, fmt.Errorf("%q matches %d runs: %s; give more of the id", ref, len(ids), strings.Join(ids, ", ")))
}

// RecentDecides says whether ResolveRun on the runs a state file holds
// (the most recent ones) answers ref as it would on every run: last,
// latest and current are recent; last-OUTCOME is when a recent run ended
// so; a whole run id is when it is among them. A prefix is not: an older
// run may share it.
func (st *State) RecentDecides(ref string) bool {
	switch ref {
	case "last", "latest", "current":
		return len(st.DeploymentRuns) > 0
	case "last-success", "last-failed", "last-interrupted":
		_, err := st.ResolveRun(ref)
		return err == nil
	}
	return st.Run(ref) != nil
}

// closestRuns ranks run ids by how much of ref they share from the start,
// then by how near in time (ids sort by time), and returns the first n.
func closestRuns(runs []*Run, ref string, n int) []string {
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.RunID
	}
	shared := func(id string) int {
		i := 0
		for i < len(id) && i < len(ref) && id[i] == ref[i] {
			i++
		}
		return i
	}
	sort.SliceStable(ids, func(i, j int) bool {
		si, sj := shared(ids[i]), shared(ids[j])
		if si != sj {
			return si > sj
		}
		return distance(ids[i], ref) < distance(ids[j], ref)
	})
	return ids[:min(n, len(ids))]
}

// distance compares ids as text; ids are timestamps, so this is roughly
// "closest in time".
func distance(a, b string) int {
	if a > b {
		a, b = b, a
	}
	d := 0
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			d = int(b[i]) - int(a[i])
			break
		}
	}
	return d
}
