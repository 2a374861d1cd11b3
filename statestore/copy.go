package statestore

import (
	"bytes"
	"errors"
	"fmt"
)

// CopyResult is what Copy moved.
type CopyResult struct {
	DeploymentID string
	Names        []string // copied, in order
}

// Copy copies a deployment, every byte of it (the state and its backup,
// the run records, the events, the logs, the archives, the digest key),
// from one storage to another: `state push` to a shared backend, `state
// pull` back. It refuses to overwrite a different deployment: a target
// whose state names another deployment id is left as it is. The state
// goes last, so that a copy cut short leaves no state naming files that
// are not there.
func Copy(from, to Storage) (*CopyResult, error) {
	data, _, err := from.Read(StateFile)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", from.Location(StateFile), err)
	}
	src, err := decodeAny(data, SchemaVersion)
	if err != nil {
		return nil, loadError(from, StateFile, err)
	}
	if cur, _, err := to.Read(StateFile); err == nil {
		dst, derr := decodeAny(cur, SchemaVersion)
		if derr != nil {
			return nil, fmt.Errorf("%s holds a state that does not load (%v): refusing to overwrite it", to.Location(StateFile), derr)
		}
		if dst.DeploymentID != src.DeploymentID {
			return nil, fmt.Errorf("%s holds deployment %s, not %s: refusing to overwrite a different deployment", to.Location(StateFile), dst.DeploymentID, src.DeploymentID)
		}
	} else if !errors.Is(err, ErrNotExist) {
		return nil, err
	}
	var bulk []string
	for _, prefix := range []string{RunsDir, LogsDir + "/", ArchivePrefix} {
		listed, err := from.List(prefix)
		if err != nil {
			return nil, err
		}
		bulk = append(bulk, listed...)
	}
	// The records, logs and archives go several at a time (each is a
	// request to a shared backend); then the files that name them, one by
	// one, the state last.
	copied := make([]bool, len(bulk))
	err = atOnce(len(bulk), func(i int) (err error) {
		copied[i], err = copyOne(from, to, bulk[i])
		return err
	})
	if err != nil {
		return nil, err
	}
	res := &CopyResult{DeploymentID: src.DeploymentID}
	for i, name := range bulk {
		if copied[i] {
			res.Names = append(res.Names, name)
		}
	}
	for _, name := range []string{EventsFile, KeyFile, StateFile + ".backup", StateFile} {
		ok, err := copyOne(from, to, name)
		if err != nil {
			return nil, err
		}
		if ok {
			res.Names = append(res.Names, name)
		}
	}
	return res, nil
}

// copyOne copies name unless the target holds the same bytes already; it
// says whether name exists in from.
func copyOne(from, to Storage, name string) (bool, error) {
	b, _, err := from.Read(name)
	if errors.Is(err, ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if cur, _, err := to.Read(name); err == nil && bytes.Equal(cur, b) {
		return true, nil
	}
	if _, err := to.Write(name, b, AnyVersion); err != nil {
		return false, fmt.Errorf("copy %s to %s: %w", name, to.Location(name), err)
	}
	return true, nil
}
