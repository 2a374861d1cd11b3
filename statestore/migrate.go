package statestore

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// Migration is a state of an earlier schema converted to this one.
type Migration struct {
	From         int // the schema_version migrated from: 0 for v1
	DeploymentID string
	State        *State
	Data         []byte // the v2 file as it is (or would be) written
	Archive      string // where the v1 files were copied; "" on a dry run
}

// ErrAlreadyV2 is returned by Migrate for a state that is not a v1 file.
var ErrAlreadyV2 = errors.New("the state is not a v1 file: it has a schema_version")

// ArchiveRoot is where archives live (old_deployments/ beside a local
// state directory: the bash project keeps ./state and ./old_deployments
// side by side), for messages.
func (s *Store) ArchiveRoot() string {
	return s.storage.Location(archiveDir(ArchivePrefix))
}

// Migrate converts a v1 state file to v2. Unless dryRun, the v1 state and
// events files are first copied byte-for-byte to
// old_deployments/<id>_<UTC time>_migration/; if anything fails the v1
// file is left as it was.
func (s *Store) Migrate(dryRun bool) (*Migration, error) {
	unlock, err := s.lockWrite("migrate state")
	if err != nil {
		return nil, err
	}
	defer unlock()
	data, ver, err := s.storage.Read(StateFile)
	if err != nil {
		return nil, err
	}
	var le *LegacyError
	if _, err := Decode(data); errors.As(err, &le) && le.Version == previousVersion {
		return s.migrateFromV2(data, ver, dryRun)
	}
	return s.migrateLocked(data, ver, dryRun)
}

func (s *Store) migrateFromV2(data []byte, ver string, dryRun bool) (*Migration, error) {
	m := &Migration{From: previousVersion}
	if dryRun {
		st, err := decodeAny(data, SchemaVersion)
		if err != nil {
			return nil, loadError(s.storage, StateFile, err)
		}
		st.SchemaVersion = SchemaVersion
		if m.Data, err = Encode(st.ensureMaps()); err != nil {
			return nil, err
		}
		m.State, m.DeploymentID = st, st.DeploymentID
		return m, nil
	}
	st, dir, err := s.migrateV2(data, ver)
	if err != nil {
		return nil, err
	}
	m.State, m.DeploymentID, m.Archive = st, st.DeploymentID, dir
	return m, nil
}

func (s *Store) migrateLocked(data []byte, ver string, dryRun bool) (*Migration, error) {
	m, err := convertV1(data, s.now())
	if err != nil {
		return nil, loadError(s.storage, StateFile, err)
	}
	if dryRun {
		return m, nil
	}
	dir := s.archiveName(m.DeploymentID, "migration")
	if err := s.copyOut(dir, StateFile, EventsFile); err != nil {
		return nil, fmt.Errorf("archive the v1 state before migrating it: %w", err)
	}
	m.Archive = s.storage.Location(archiveDir(dir))
	if err := s.normalizeEvents(); err != nil {
		return nil, fmt.Errorf("prepare %s for appending: %w", EventsFile, err)
	}
	if err := s.save(m.Data, ver, true, data); err != nil {
		return nil, err
	}
	_ = s.appendEventLocked(m.DeploymentID, Event{Action: "state_migrated",
		Message: "State migrated from v1 to schema_version 3; v1 files archived in " + m.Archive}, s.storage.Append)
	return m, nil
}

func convertV1(data []byte, now time.Time) (*Migration, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if v, err := shapeOf(&doc); err != nil {
		return nil, err
	} else if v != 0 {
		return nil, ErrAlreadyV2
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

// migrateV2 brings a schema_version 2 state (one file holding every run,
// written by k0flow before the run window) to this layout: the file is
// first kept byte for byte in old_deployments/<id>_<UTC time>_schema-v3/,
// then saved in the new layout, its older runs moved to runs/ and its
// previous bytes kept as the .backup too. A failure leaves it as it was.
func (s *Store) migrateV2(data []byte, ver string) (*State, string, error) {
	st, err := decodeAny(data, SchemaVersion)
	if err != nil {
		return nil, "", loadError(s.storage, StateFile, err)
	}
	st.SchemaVersion = SchemaVersion
	st.ensureMaps()
	if err := st.Validate(); err != nil {
		return nil, "", loadError(s.storage, StateFile, err)
	}
	dir := s.archiveName(st.DeploymentID, "schema-v3")
	if err := s.copyOut(dir, StateFile); err != nil {
		return nil, "", fmt.Errorf("keep the schema_version 2 state before migrating it: %w", err)
	}
	if err := s.spill(st); err != nil {
		return nil, "", err
	}
	out, err := Encode(st)
	if err != nil {
		return nil, "", err
	}
	if err := s.save(out, ver, true, data); err != nil {
		return nil, "", err
	}
	_ = s.storage.Remove(legacyCacheFile)
	_ = s.appendEventLocked(st.DeploymentID, Event{Action: "state_migrated",
		Message: fmt.Sprintf("State migrated from schema_version 2 to %d (older runs in %s); the previous file is kept in %s",
			SchemaVersion, s.storage.Location(RunsDir), s.storage.Location(archiveDir(dir)))}, s.storage.Append)
	return st, s.storage.Location(archiveDir(dir)), nil
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
