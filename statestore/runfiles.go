package statestore

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// The run window. deployment-state.yaml keeps the InlineRuns most recent
// runs, and the current run and any run still running besides; every save
// moves older runs by themselves into runs/<run_id>.yaml, one file each,
// written before the state that no longer holds them. So what a phase
// transition or a state set rewrites is bounded whatever the history, and
// nothing is lost if a save is cut short between the two writes: a run in
// both places is the same run, and the state's copy wins.
const (
	InlineRuns = 5
	RunsDir    = "runs/"
)

// RunFile is the name of a moved run's record.
func RunFile(id string) string { return RunsDir + id + ".yaml" }

const runHeader = "# k0flow run record, moved out of deployment-state.yaml when it was no longer\n" +
	"# among the recent runs. `k0flow history` and `k0flow show` read it.\n"

// spill moves the runs beyond the window out of st, writing their files.
func (s *Store) spill(st *State) error {
	var keep, out []*Run
	for i := len(st.DeploymentRuns) - 1; i >= 0; i-- {
		r := st.DeploymentRuns[i]
		if len(st.DeploymentRuns)-i <= InlineRuns || r.RunID == st.CurrentRunID || r.Outcome == OutcomeRunning {
			keep = append(keep, r)
		} else {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil
	}
	for i := len(out) - 1; i >= 0; i-- {
		data, err := EncodeRun(out[i])
		if err != nil {
			return err
		}
		if _, err := s.storage.Write(RunFile(out[i].RunID), data, AnyVersion); err != nil {
			return fmt.Errorf("move run %s to %s: %w", out[i].RunID, s.storage.Location(RunFile(out[i].RunID)), err)
		}
	}
	slices.Reverse(keep)
	st.DeploymentRuns = keep
	return nil
}

// EncodeRun renders one run as its own file.
func EncodeRun(r *Run) ([]byte, error) {
	f := runFile{Run: r, Phases: phaseMap(r.Phases), Error: r.Error}
	body, err := marshalFile(f)
	if err != nil {
		return nil, textError(err, r)
	}
	return append([]byte(runHeader), body...), nil
}

// IsRunRecord tells a run's own file (runs/<run_id>.yaml) from a state:
// a JSON body with a run_id and no schema_version.
func IsRunRecord(data []byte) bool {
	body := jsonBody(data)
	if body == nil {
		return false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return false
	}
	_, run := top["run_id"]
	_, state := top["schema_version"]
	return run && !state
}

// DecodeRun parses and validates a run's file.
func DecodeRun(data []byte) (*Run, error) {
	body := jsonBody(data)
	if body == nil {
		return nil, errors.New("a run record is a JSON object after its comment lines")
	}
	var doc any
	if err := unmarshalBody(data, body, &doc); err != nil {
		return nil, err
	}
	if found := checkRunDoc(doc); len(found) > 0 {
		return nil, violations(found, nil, data)
	}
	f := runFile{Run: &Run{}}
	if err := unmarshalBody(data, body, &f); err != nil {
		return nil, err
	}
	f.Run.Phases = PhaseList(f.Phases)
	f.Run.Error = f.Error
	f.Run.fromJSONValues()
	if err := f.Run.validate("run"); err != nil {
		return nil, err
	}
	return f.Run, nil
}

// withHistory adds the moved runs to a state's list, oldest first, for a
// reader that needs every run. A run in both places is the state's.
func (s *Store) withHistory(st *State) error {
	names, err := s.storage.List(RunsDir)
	if err != nil {
		return fmt.Errorf("list the run records in %s: %w", s.storage.Location(RunsDir), err)
	}
	var todo []string
	for _, name := range names {
		id, ok := strings.CutSuffix(strings.TrimPrefix(name, RunsDir), ".yaml")
		if ok && st.Run(id) == nil {
			todo = append(todo, name)
		}
	}
	older, err := s.readRuns(todo)
	if err != nil {
		return err
	}
	if len(older) > 0 {
		slices.SortStableFunc(older, func(a, b *Run) int { return a.StartedAt.Compare(b.StartedAt) })
		st.DeploymentRuns = append(older, st.DeploymentRuns...)
	}
	return nil
}

// RunCount counts every run of a state loaded with LoadRecent: its own
// and those moved out of the file, without reading the moved ones.
func (s *Store) RunCount(st *State) (int, error) {
	names, err := s.storage.List(RunsDir)
	if err != nil {
		return 0, err
	}
	n := len(st.DeploymentRuns)
	for _, name := range names {
		id, ok := strings.CutSuffix(strings.TrimPrefix(name, RunsDir), ".yaml")
		if ok && st.Run(id) == nil {
			n++
		}
	}
	return n, nil
}

// LoadFor loads what a lookup needs: the recent runs, and every run only
// when found says the recent ones do not answer. A lookup of "the newest
// record of" anything that the recent runs answer is answered the same by
// all of them, so the common case reads one file.
func (s *Store) LoadFor(found func(*State) bool) (*State, error) {
	st, err := s.LoadRecent()
	if err != nil || found(st) {
		return st, err
	}
	if err := s.withHistory(st); err != nil { // the file is not read again
		return nil, err
	}
	return st, nil
}

// readRuns reads run records, several at a time: each is a request to a
// shared backend, and a decode and a schema check locally. The first
// error in names' order is returned.
func (s *Store) readRuns(names []string) ([]*Run, error) {
	runs := make([]*Run, len(names))
	err := atOnce(len(names), func(i int) (err error) {
		runs[i], err = s.readRun(names[i])
		return err
	})
	return runs, err
}

// requestsAtOnce bounds atOnce: enough to keep a remote backend's round
// trips overlapping, few enough for any machine.
const requestsAtOnce = 8

// atOnce calls fn(i) for each i below n, up to requestsAtOnce at a time,
// and returns the first error in i's order.
func atOnce(n int, fn func(i int) error) error {
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(requestsAtOnce, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = fn(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return firstNonNil(errs)
}

func firstNonNil(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) readRun(name string) (*Run, error) {
	data, _, err := s.storage.Read(name)
	if err != nil {
		return nil, err
	}
	r, err := DecodeRun(data)
	if err != nil {
		return nil, loadError(s.storage, name, err)
	}
	return r, nil
}

// Location is where the deployment's state is kept, for messages: the
// state directory, or the backend's container and key prefix.
func (s *Store) Location() string { return strings.TrimSuffix(s.storage.Location(""), "/") }

// Shared says the state is kept in a backend rather than a local
// directory.
func (s *Store) Shared() bool {
	_, local := s.storage.(*Dir)
	return !local
}

// RunsLocation is where moved run records live, for messages.
func (s *Store) RunsLocation() string { return s.storage.Location(strings.TrimSuffix(RunsDir, "/")) }

// Field is a dotted key of the run's record as the state file holds it
// (outcome, phases.install_k0s.status, config_snapshot.flags.kof): what
// the library's get_run_info answers.
func (r *Run) Field(key string) (any, bool, error) {
	data, err := yaml.Marshal(r)
	if err != nil {
		return nil, false, err
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, false, err
	}
	v, ok := GetPath(m, key)
	return v, ok, nil
}
