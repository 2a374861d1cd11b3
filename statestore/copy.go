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
		return nil, &LoadError{Path: from.Location(StateFile), Err: err}
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
	var names []string
	for _, prefix := range []string{RunsDir, LogsDir + "/", ArchivePrefix} {
		listed, err := from.List(prefix)
		if err != nil {
			return nil, err
		}
		names = append(names, listed...)
	}
	names = append(names, EventsFile, KeyFile, StateFile+".backup", StateFile)
	res := &CopyResult{DeploymentID: src.DeploymentID}
	for _, name := range names {
		b, _, err := from.Read(name)
		if errors.Is(err, ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if cur, _, err := to.Read(name); err == nil && bytes.Equal(cur, b) {
			res.Names = append(res.Names, name)
			continue
		}
		if _, err := to.Write(name, b, AnyVersion); err != nil {
			return nil, fmt.Errorf("copy %s to %s: %w", name, to.Location(name), err)
		}
		res.Names = append(res.Names, name)
	}
	return res, nil
}
