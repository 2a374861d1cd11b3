package statestore

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"
)

// Migration is a v1 state converted to v2.
type Migration struct {
	DeploymentID string
	State        *State
	Data         []byte // the v2 file as it is (or would be) written
	Archive      string // where the v1 files were copied; "" on a dry run
}

// ErrAlreadyV2 is returned by Migrate for a state that needs no migration.
var ErrAlreadyV2 = errors.New("the state is already schema_version 2")

// ArchiveRoot is old_deployments/ beside the state directory: the bash
// project keeps ./state and ./old_deployments side by side.
func (s *Store) ArchiveRoot() string {
	return filepath.Join(filepath.Dir(s.Dir), "old_deployments")
}

// Migrate converts a v1 state file to v2. Unless dryRun, the v1 state and
// events files are first copied byte-for-byte to
// old_deployments/<id>_<UTC time>_migration/; if anything fails the v1
// file is left as it was.
func (s *Store) Migrate(dryRun bool) (*Migration, error) {
	unlock, err := s.storage.Lock("write", s.holder("migrate state"), true)
	if err != nil {
		return nil, err
	}
	defer unlock()
	data, ver, err := s.storage.Read(StateFile)
	if err != nil {
		return nil, err
	}
	return s.migrateLocked(data, ver, dryRun)
}

func (s *Store) migrateLocked(data []byte, ver string, dryRun bool) (*Migration, error) {
	m, err := convertV1(data, s.now())
	if err != nil {
		return nil, &LoadError{Path: s.Path(), Err: err}
	}
	if dryRun {
		return m, nil
	}
	if m.Archive, err = s.archive(m.DeploymentID, "migration", StateFile, EventsFile); err != nil {
		return nil, fmt.Errorf("archive the v1 state before migrating it: %w", err)
	}
	if err := s.normalizeEvents(); err != nil {
		return nil, fmt.Errorf("prepare %s for appending: %w", EventsFile, err)
	}
	if err := s.save(m.Data, ver); err != nil {
		return nil, err
	}
	_ = s.appendEventLocked(m.DeploymentID, Event{Action: "state_migrated",
		Message: "State migrated from v1 to schema_version 2; v1 files archived in " + m.Archive})
	return m, nil
}

func convertV1(data []byte, now time.Time) (*Migration, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if err := shape(&doc); err == nil {
		return nil, ErrAlreadyV2
	} else if le := (*LegacyError)(nil); !errors.As(err, &le) || le.Version != 0 {
		return nil, err
	}
	var v1 map[string]any
	if err := doc.Decode(&v1); err != nil {
		return nil, err
	}
	st, err := FromV1(v1, now)
	if err != nil {
		return nil, err
	}
	out, err := Encode(st)
	if err != nil {
		return nil, err
	}
	if _, err := Decode(out); err != nil {
		return nil, fmt.Errorf("the converted state does not validate (a k0flow bug; nothing was written): %w", err)
	}
	return &Migration{DeploymentID: st.DeploymentID, State: st, Data: out}, nil
}

// archive copies the named files, as they are, into a new directory of
// old_deployments/ named the bash project's way.
func (s *Store) archive(id, reason string, names ...string) (string, error) {
	dir := filepath.Join(s.ArchiveRoot(), fmt.Sprintf("%s_%s_%s", id, s.now().UTC().Format("2006-01-02_15-04-05"), reason))
	return dir, s.copyOut(dir, names...)
}

// copyOut copies the named files, as they are, into dir (0700, files 0600).
func (s *Store) copyOut(dir string, names ...string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, name := range names {
		data, _, err := s.storage.Read(name)
		if IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// normalizeEvents makes a v1 events file safe to append to: its events
// list must be the last key and in block style. The events themselves, and
// their order, are kept (the notifier reads them by index).
func (s *Store) normalizeEvents() error {
	data, ver, err := s.storage.Read(EventsFile)
	if IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return fmt.Errorf("%s is not a YAML mapping; fix or move it", EventsFile)
	}
	top := doc.Content[0]
	idx := -1
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "events" {
			idx = i
		}
	}
	if idx == len(top.Content)-2 && top.Content[idx+1].Style&yaml.FlowStyle == 0 && bytes.HasSuffix(data, []byte("\n")) {
		return nil // already appendable
	}
	key, list := &yaml.Node{Kind: yaml.ScalarNode, Value: "events"}, &yaml.Node{Kind: yaml.SequenceNode}
	if idx >= 0 {
		key, list = top.Content[idx], top.Content[idx+1]
		top.Content = append(top.Content[:idx], top.Content[idx+2:]...)
	}
	list.Style = 0
	top.Content = append(top.Content, key, list)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	// yaml.v3 writes an empty list as [], which items cannot follow; the
	// list is last, so a bare key does.
	out := bytes.TrimSuffix(buf.Bytes(), []byte("events: []\n"))
	if len(out) < buf.Len() {
		out = append(out, "events:\n"...)
	}
	_, err = s.storage.Write(EventsFile, out, ver)
	return err
}
