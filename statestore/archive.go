package statestore

import (
	"errors"
	"fmt"
	"strings"
)

// Pruned is what Prune moved, or would move.
type Pruned struct {
	Runs    []*Run
	Archive string // where they went, for messages; "" on a dry run
}

// Prune moves the runs pick chooses (from every run, oldest first) out of
// the deployment, into old_deployments/<id>_<UTC time>_prune/: runs.yaml
// with their records and logs/ with their logs, so that nothing is lost.
// The current run and any running run are never moved.
func (s *Store) Prune(pick func(all []*Run) []*Run, dryRun bool) (*Pruned, error) {
	out := &Pruned{}
	err := s.Update(func(st *State) error {
		older, err := s.olderRuns(st)
		if err != nil {
			return err
		}
		all := append(older, st.DeploymentRuns...)
		for _, r := range pick(all) {
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
		out.Archive = s.storage.Location(dir)
		st.DeploymentRuns = without(st.DeploymentRuns, out.Runs)
		// The moved files go once the archive holds them; one left by a
		// failure here is in both places, and the next prune takes it.
		for _, r := range out.Runs {
			if err := s.storage.Remove(RunFile(r.RunID)); err != nil {
				return err
			}
		}
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

// prunedRuns is the runs.yaml of a prune archive.
type prunedRuns struct {
	DeploymentID string    `json:"deployment_id"`
	Runs         []runFile `json:"runs"`
}

func (s *Store) archiveRuns(id string, runs []*Run) (string, error) {
	dir := s.archiveName(id, "prune")
	f := prunedRuns{DeploymentID: id}
	for _, r := range runs {
		f.Runs = append(f.Runs, runFile{Run: r, Phases: phaseMap(r.Phases), Error: r.Error})
	}
	body, err := marshalFile(f)
	if err != nil {
		return "", err
	}
	data := append([]byte("# Runs pruned from the deployment by k0flow prune.\n"), body...)
	if _, err := s.storage.Write(dir+"runs.yaml", data, ""); err != nil {
		return "", err
	}
	for _, r := range runs {
		if err := s.moveAll(LogsDir+"/"+r.RunID+"/", dir); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// moveAll moves every name under prefix into dir, keeping its name.
func (s *Store) moveAll(prefix, dir string) error {
	names, err := s.storage.List(prefix)
	if err != nil {
		return err
	}
	// Several at a time: on a shared backend each move is requests.
	return atOnce(len(names), func(i int) error {
		if err := s.storage.Move(names[i], dir+names[i]); err != nil {
			return fmt.Errorf("move %s into %s: %w", names[i], s.storage.Location(dir), err)
		}
		return nil
	})
}

// archiveName is a new directory of old_deployments/, named the bash
// project's way; a second one in the same second gets a number.
func (s *Store) archiveName(id, reason string) string {
	base := fmt.Sprintf("%s%s_%s_%s", ArchivePrefix, id, s.now().UTC().Format("2006-01-02_15-04-05"), reason)
	name := base + "/"
	for n := 2; ; n++ {
		if names, err := s.storage.List(name); err != nil || len(names) == 0 {
			return name
		}
		name = fmt.Sprintf("%s-%d/", base, n)
	}
}

// ArchiveDeployment moves the whole deployment out of the state, after a
// successful destroy: the state, its backup, the events, the run records
// and the logs go to old_deployments/<id>_<UTC time>_<reason>/, and the
// next apply starts a new deployment. It returns where they went.
func (s *Store) ArchiveDeployment(reason string) (string, error) {
	unlock, err := s.lockWrite("archive deployment")
	if err != nil {
		return "", err
	}
	defer unlock()
	st, _, err := s.load()
	if err != nil {
		return "", err
	}
	dir := s.archiveName(st.DeploymentID, reason)
	// The state goes last: until then, the deployment is still there.
	for _, prefix := range []string{LogsDir + "/", RunsDir, EventsFile, StateFile + ".backup"} {
		if err := s.moveAll(prefix, dir); err != nil {
			return "", err
		}
	}
	if err := s.storage.Move(StateFile, dir+StateFile); err != nil {
		return "", fmt.Errorf("archive %s: %w", StateFile, err)
	}
	_ = s.storage.Remove(legacyCacheFile)
	return s.storage.Location(dir), nil
}

// copyOut copies the named files, as they are, into the archive dir.
func (s *Store) copyOut(dir string, names ...string) error {
	for _, name := range names {
		data, _, err := s.storage.Read(name)
		if IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		if _, err := s.storage.Write(dir+name, data, ""); err != nil {
			return err
		}
	}
	return nil
}

// legacyCacheFile is the decoded-state cache k0flow kept beside a
// schema_version 2 state; a migration or an archive removes it.
const legacyCacheFile = ".deployment-state.cache"

// olderRuns are the runs whose records were moved out of st's file.
func (s *Store) olderRuns(st *State) ([]*Run, error) {
	c := &State{DeploymentRuns: st.DeploymentRuns}
	if err := s.withHistory(c); err != nil {
		return nil, err
	}
	return c.DeploymentRuns[:len(c.DeploymentRuns)-len(st.DeploymentRuns)], nil
}

// archiveDir trims the slash of an archive name for messages.
func archiveDir(name string) string { return strings.TrimSuffix(name, "/") }
