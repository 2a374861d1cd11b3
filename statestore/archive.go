package statestore

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Pruned is what Prune moved, or would move.
type Pruned struct {
	Runs    []*Run
	Archive string // "" on a dry run
}

// Prune moves the runs pick chooses out of the state, into
// old_deployments/<id>_<UTC time>_prune/: runs.yaml with their records and
// logs/ with their logs, so the state stays small and nothing is lost. The
// current run and any running run are never moved.
func (s *Store) Prune(pick func(*State) []*Run, dryRun bool) (*Pruned, error) {
	out := &Pruned{}
	err := s.Update(func(st *State) error {
		for _, r := range pick(st) {
			if r.RunID != st.CurrentRunID && r.Outcome != OutcomeRunning {
				out.Runs = append(out.Runs, r)
			}
		}
		if dryRun || len(out.Runs) == 0 {
			return errDryRun
		}
		dir, err := s.archiveRuns(st.DeploymentID, out.Runs)
		if err != nil {
			return err
		}
		out.Archive = dir
		st.DeploymentRuns = without(st.DeploymentRuns, out.Runs)
		return nil
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return out, err
}

var errDryRun = errors.New("dry run")

func without(all, drop []*Run) []*Run {
	gone := map[string]bool{}
	for _, r := range drop {
		gone[r.RunID] = true
	}
	var keep []*Run
	for _, r := range all {
		if !gone[r.RunID] {
			keep = append(keep, r)
		}
	}
	return keep
}

func (s *Store) archiveRuns(id string, runs []*Run) (string, error) {
	dir, err := s.archive(id, "prune")
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	buf.WriteString("# Runs pruned from deployment-state.yaml by k0flow prune.\n")
	buf.WriteString("deployment_id: " + quote(id, 2) + "\nruns:\n")
	for _, r := range runs {
		writeRun(&buf, r)
	}
	if err := os.WriteFile(filepath.Join(dir, "runs.yaml"), buf.Bytes(), 0o600); err != nil {
		return "", err
	}
	for _, r := range runs {
		if err := moveLogs(s.Dir, dir, r.RunID); err != nil {
			return "", err
		}
	}
	return dir, nil
}

func moveLogs(stateDir, archive, runID string) error {
	src := filepath.Join(stateDir, LogsDir, runID)
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := os.MkdirAll(filepath.Join(archive, LogsDir), 0o700); err != nil {
		return err
	}
	return os.Rename(src, filepath.Join(archive, LogsDir, runID))
}

// ArchiveDeployment moves the whole deployment out of the state directory,
// after a successful destroy: the state, its backup, the events and the
// logs go to old_deployments/<id>_<UTC time>_<reason>/, and the next apply
// starts a new deployment.
func (s *Store) ArchiveDeployment(reason string) (string, error) {
	unlock, err := s.storage.Lock("write", s.holder("archive deployment"), true)
	if err != nil {
		return "", err
	}
	defer unlock()
	st, _, err := s.load()
	if err != nil {
		return "", err
	}
	names := []string{StateFile, StateFile + ".backup", EventsFile}
	dir, err := s.archive(st.DeploymentID, reason, names...)
	if err != nil {
		return "", err
	}
	if err := moveDir(filepath.Join(s.Dir, LogsDir), filepath.Join(dir, LogsDir)); err != nil {
		return "", err
	}
	for _, name := range append(names, cacheFile) {
		if err := s.storage.Remove(name); err != nil {
			return "", fmt.Errorf("archived in %s, but could not remove %s: %w", dir, name, err)
		}
	}
	return dir, nil
}

func moveDir(src, dst string) error {
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return os.Rename(src, dst)
}
