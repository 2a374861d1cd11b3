package statestore

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// File names inside the state directory.
const (
	StateFile  = "deployment-state.yaml"
	EventsFile = "deployment-events.yaml"
	LogsDir    = "logs"
)

const header = "# yaml-language-server: $schema=" + SchemaURL + "\n" +
	"# k0flow deployment state, schema_version 2. Change it with `k0flow state set`,\n" +
	"# not by hand: every save keeps the previous version as deployment-state.yaml.backup.\n"

// Store owns one deployment's state: loading and validating it, saving it
// atomically under the write lock, the run lock, and the events file.
type Store struct {
	Dir string // the state directory, for logs and messages
	// AutoMigrate makes any load that meets a v1 file migrate it first;
	// OnMigrate is told when that happens.
	AutoMigrate bool
	OnMigrate   func(*Migration)
	// OnReadV1 is told when a read-only store shows a v1 file converted in
	// memory.
	OnReadV1 func()
	storage  Storage
	now      func() time.Time
	// readOnly: this store only reads (status, history, show, plan, ...):
	// it takes no lock, writes no cache and migrates a v1 file in memory.
	readOnly bool
}

// Open returns the Store for a local state directory. Nothing is created
// until the first write.
func Open(dir string) *Store {
	abs, err := filepath.Abs(dir)
	if err == nil {
		dir = abs
	}
	return &Store{Dir: dir, storage: &Dir{Path: dir}, now: Now, AutoMigrate: true}
}

// OpenReadOnly returns the Store of a local state directory for a command
// that only reads: reading is free. It creates nothing (no lock file, no
// cache), works on a read-only directory, and never holds a lock a writer
// needs; a v1 file is converted in memory, not migrated.
func OpenReadOnly(dir string) *Store {
	s := Open(dir)
	s.readOnly = true
	return s
}

// OpenStorage returns a Store over any Storage; dir is used for logs.
func OpenStorage(dir string, s Storage) *Store {
	return &Store{Dir: dir, storage: s, now: Now, AutoMigrate: true}
}

// Now is the clock of state timestamps: UTC, to the millisecond, so that
// phase timelines of short phases stay true.
func Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// Path is where the state file lives, for messages.
func (s *Store) Path() string { return s.storage.Location(StateFile) }

// LoadError is a state file that cannot be used as it is. The file is left
// untouched; the message says what is wrong and where.
type LoadError struct {
	Path string
	Err  error
}

func (e *LoadError) Error() string {
	return fmt.Sprintf("load %s: %v (the file was left unchanged; fix it, or restore %s.backup)", e.Path, e.Err, e.Path)
}

func (e *LoadError) Unwrap() error { return e.Err }

// ExitCode says a state that cannot be used is invalid input (2): nothing
// was changed.
func (e *LoadError) ExitCode() int { return 2 }

// Exists says whether the deployment has a state file yet.
func (s *Store) Exists() (bool, error) {
	_, _, err := s.storage.Read(StateFile)
	if errors.Is(err, ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Load reads and validates the state. A missing file gives ErrNotExist; a
// v1 file is migrated first when AutoMigrate is set.
func (s *Store) Load() (*State, error) {
	st, _, err := s.load()
	var le *LegacyError
	if errors.As(err, &le) && le.Version == 0 && s.readOnly {
		data, _, rerr := s.storage.Read(StateFile)
		if rerr != nil {
			return nil, rerr
		}
		m, cerr := convertV1(data, s.now())
		if cerr != nil {
			return nil, &LoadError{Path: s.Path(), Err: cerr}
		}
		if s.OnReadV1 != nil {
			s.OnReadV1()
		}
		return m.State, nil
	}
	if errors.As(err, &le) && le.Version == 0 && s.AutoMigrate {
		unlock, lerr := s.storage.Lock("write", s.holder("migrate state"), true)
		if lerr != nil {
			return nil, lerr
		}
		defer unlock()
		st, _, err = s.loadMigrating()
	}
	return st, err
}

func (s *Store) load() (*State, string, error) {
	data, ver, err := s.storage.Read(StateFile)
	if err != nil {
		return nil, "", err
	}
	st, err := s.decode(data)
	if err != nil {
		return nil, "", &LoadError{Path: s.Path(), Err: err}
	}
	return st, ver, nil
}

// decode is Decode with the cache of decoded states.
func (s *Store) decode(data []byte) (*State, error) {
	sum := sha256.Sum256(data)
	if st := s.readCache(sum); st != nil {
		if checkWrites {
			if err := checkWrite(data, st); err != nil {
				return nil, fmt.Errorf("the state cache disagrees with the file: %w", err)
			}
		}
		return st.ensureMaps(), nil
	}
	st, err := Decode(data)
	if err == nil {
		if !s.readOnly {
			s.writeCache(sum, st)
		}
		st.ensureMaps()
	}
	return st, err
}

// loadMigrating is load for a caller holding the write lock: a v1 file is
// migrated first (archived, converted, saved) and the caller told.
func (s *Store) loadMigrating() (*State, string, error) {
	data, ver, err := s.storage.Read(StateFile)
	if err != nil {
		return nil, "", err
	}
	st, err := s.decode(data)
	var le *LegacyError
	if errors.As(err, &le) && le.Version == 0 && s.AutoMigrate {
		m, err := s.migrateLocked(data, ver, false)
		if err != nil {
			return nil, "", err
		}
		if s.OnMigrate != nil {
			s.OnMigrate(m)
		}
		return s.load()
	}
	if err != nil {
		return nil, "", &LoadError{Path: s.Path(), Err: err}
	}
	return st, ver, nil
}

// Decode parses and validates state bytes: YAML once, then the JSON Schema,
// then the checks a schema cannot express. Nothing is written either way.
func Decode(data []byte) (*State, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if err := shape(&doc); err != nil {
		return nil, err
	}
	if err := checkSchema(&doc); err != nil {
		return nil, err
	}
	st := &State{}
	if err := doc.Decode(st); err != nil {
		return nil, err
	}
	if err := st.Validate(); err != nil {
		return nil, err
	}
	return st, nil
}

// shape explains bytes that are not a v2 state at all.
func shape(doc *yaml.Node) error {
	if len(doc.Content) == 0 {
		return errors.New("the file is empty")
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: the top level must be a mapping, not a %s", top.Line, kindName(top.Kind))
	}
	if v := schemaVersionOf(top); v != SchemaVersion {
		return &LegacyError{Version: v}
	}
	return nil
}

// LegacyError is a state file of an earlier schema: it needs migration.
type LegacyError struct{ Version int }

func (e *LegacyError) Error() string {
	if e.Version == 0 {
		return "this is a v1 state file of the bash project (no schema_version); run `k0flow state migrate`"
	}
	return fmt.Sprintf("schema_version %d is not supported (this k0flow reads %d)", e.Version, SchemaVersion)
}

func schemaVersionOf(m *yaml.Node) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "schema_version" {
			var v int
			if m.Content[i+1].Decode(&v) == nil {
				return v
			}
			return -1
		}
	}
	return 0
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "single value"
	default:
		return "mapping"
	}
}

// Encode renders the state as YAML with its header. The runs, which are
// most of a long-lived file, go through the small emitter of emit.go.
func Encode(st *State) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(header)
	head := *st
	// yaml.v3 writes a string that spans lines as a literal block, which
	// loses leading line breaks and cannot start with a tab: the values a
	// script or Terraform stored go out double-quoted when they hold one.
	head.Runtime = exactValues(st.Runtime)
	head.DeploymentFlags = exactValues(st.DeploymentFlags)
	if f := st.InfrastructureFacts; f != nil {
		facts := *f
		facts.Outputs = exactValues(f.Outputs)
		head.InfrastructureFacts = &facts
	}
	head.DeploymentRuns = nil
	if err := encodeTo(&buf, &head); err != nil {
		return nil, err
	}
	if len(st.DeploymentRuns) == 0 {
		buf.WriteString("deployment_runs: []\n")
		return buf.Bytes(), nil
	}
	buf.WriteString("deployment_runs:\n")
	for _, r := range st.DeploymentRuns {
		writeRun(&buf, r)
	}
	return buf.Bytes(), nil
}

func encodeTo(buf *bytes.Buffer, v any) error {
	enc := yaml.NewEncoder(buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return enc.Close()
}

// Update applies fn to the current state under the write lock and saves
// the result atomically. fn returning an error leaves the state untouched.
func (s *Store) Update(fn func(*State) error) error {
	return s.update(nil, fn)
}

// UpdateOrInit is Update for a deployment that may not have a state yet:
// newState makes the first one.
func (s *Store) UpdateOrInit(newState func() *State, fn func(*State) error) error {
	return s.update(newState, fn)
}

func (s *Store) update(newState func() *State, fn func(*State) error) error {
	unlock, err := s.storage.Lock("write", s.holder("write state"), true)
	if err != nil {
		return err
	}
	defer unlock()
	st, ver, err := s.loadMigrating()
	if errors.Is(err, ErrNotExist) && newState != nil {
		st, ver, err = newState(), "", nil
	}
	if err != nil {
		return err
	}
	if err := fn(st); err != nil {
		return err
	}
	st.LastUpdated = s.now()
	if err := st.Validate(); err != nil {
		return fmt.Errorf("refusing to save an invalid state: %w", err)
	}
	data, err := Encode(st)
	if err != nil {
		return err
	}
	if checkWrites {
		if err := checkWrite(data, st); err != nil {
			return err
		}
	}
	if err := s.save(data, ver); err != nil {
		return err
	}
	s.writeCache(sha256.Sum256(data), st)
	return nil
}

// save writes the state if it is still at version ver, keeping the
// previous version as the backup.
func (s *Store) save(data []byte, ver string) error {
	if bw, ok := s.storage.(backupWriter); ok {
		_, err := bw.WriteKeepingBackup(StateFile, data, ver)
		return err
	}
	if old, _, err := s.storage.Read(StateFile); err == nil {
		if _, err := s.storage.Write(StateFile+".backup", old, AnyVersion); err != nil {
			return fmt.Errorf("keep the previous state as a backup: %w", err)
		}
	}
	_, err := s.storage.Write(StateFile, data, ver)
	return err
}

// checkWrite proves a state about to be saved: it validates, and it reads
// back as exactly the state the cache will hold.
func checkWrite(data []byte, st *State) error {
	back, err := Decode(data)
	if err != nil {
		return fmt.Errorf("refusing to save a state that does not validate: %w", err)
	}
	if nb, ns := normalized(back), normalized(st); !reflect.DeepEqual(nb, ns) {
		var where []string
		diff("state", reflect.ValueOf(nb), reflect.ValueOf(ns), &where)
		return fmt.Errorf("the saved state would not read back as written (a k0flow bug): read vs held: %s", strings.Join(where, "; "))
	}
	return nil
}

// checkWrites validates every state against the schema before it is
// saved. The test suite turns it on (K0FLOW_CHECK_WRITES=1) so that every
// state k0flow writes there is proven valid; in production the model's own
// checks suffice and a save costs one parse less.
var checkWrites = os.Getenv("K0FLOW_CHECK_WRITES") == "1"

// LockRun takes the run lock for an apply or destroy, failing at once if
// another process holds it.
func (s *Store) LockRun(operation string) (Unlocker, error) {
	return s.storage.Lock("run", s.holder(operation), false)
}

func (s *Store) holder(op string) LockHolder {
	host, _ := os.Hostname()
	return LockHolder{PID: os.Getpid(), Host: host, Operation: op, Since: s.now()}
}

// NewState returns the state of a deployment that has not run yet.
func NewState(deploymentID string) *State {
	now := Now()
	return &State{
		SchemaVersion:   SchemaVersion,
		DeploymentID:    deploymentID,
		CreatedAt:       now,
		LastUpdated:     now,
		DeploymentFlags: map[string]any{},
		Runtime:         map[string]any{},
	}
}
