package statestore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"os"
	"os/user"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
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
	"# k0flow deployment state, schema_version 3: YAML in its JSON form, which yq reads.\n" +
	"# Change it with `k0flow state set`, not by hand: every save keeps the previous\n" +
	"# version as deployment-state.yaml.backup. Older runs are in runs/<run_id>.yaml.\n"

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
	// DeferSync makes Update's saves atomic but not fsynced, for a store
	// whose changes a durable save made later covers: apply's library
	// server, whose calls come from a phase that ends with one.
	DeferSync bool

	runLockID string // the holder ID of the run lock LockRun took
	storage   Storage
	now       func() time.Time
	memo      memo // the state last saved, for the next update (loadForUpdate)
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

// OpenStorage returns a Store over any Storage; dir is what phases are
// told as K0FLOW_STATE_DIR.
func OpenStorage(dir string, s Storage) *Store {
	return &Store{Dir: dir, storage: s, now: Now, AutoMigrate: true}
}

// OpenStorageReadOnly is OpenReadOnly over any Storage.
func OpenStorageReadOnly(dir string, s Storage) *Store {
	st := OpenStorage(dir, s)
	st.readOnly = true
	return st
}

// Now is the clock of state timestamps: UTC, to the millisecond, so that
// phase timelines of short phases stay true.
func Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// ReadState returns the state file's bytes as its storage holds them,
// unchecked: for `state validate`, which reports what is wrong with them.
func (s *Store) ReadState() ([]byte, error) {
	data, _, err := s.storage.Read(StateFile)
	return data, err
}

// Path is where the state file lives, for messages.
func (s *Store) Path() string { return s.storage.Location(StateFile) }

// LoadError is a state file that cannot be used as it is. The file is left
// untouched; the message says what is wrong, where, and what to do.
type LoadError struct {
	Path string
	Err  error
	// Backup is the previous version to restore, when there is one: a v1
	// file the bash project wrote and a run's own file have none.
	Backup string
	// Check says how to list everything wrong with the file.
	Check string
}

func (e *LoadError) Error() string {
	if e.Backup != "" {
		return fmt.Sprintf("load %s: %v (the file was left unchanged; fix it, or restore %s)", e.Path, e.Err, e.Backup)
	}
	return fmt.Sprintf("load %s: %v (the file was left unchanged; fix it: %s lists what is wrong)", e.Path, e.Err, e.Check)
}

// loadError is a LoadError for name in storage, advising its backup only
// when one is there.
func loadError(storage Storage, name string, err error) *LoadError {
	e := &LoadError{Path: storage.Location(name), Err: err}
	if _, _, berr := storage.Read(name + ".backup"); berr == nil {
		e.Backup = storage.Location(name + ".backup")
	}
	switch _, local := storage.(*Dir); {
	case name == StateFile:
		e.Check = "`k0flow state validate`"
	case local:
		e.Check = "`k0flow state validate " + e.Path + "`"
	default:
		e.Check = "`k0flow state validate` on a copy (`k0flow state pull DIR`)"
	}
	return e
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

// Load reads and validates the state, with every run: the recent ones the
// file holds and the older ones moved to runs/, oldest first. A missing
// file gives ErrNotExist; a file of an earlier schema is migrated first
// when AutoMigrate is set (converted in memory by a read-only store).
func (s *Store) Load() (*State, error) {
	st, err := s.LoadRecent()
	if err != nil {
		return nil, err
	}
	if err := s.withHistory(st); err != nil {
		return nil, err
	}
	return st, nil
}

// LoadRecent is Load without the runs moved out of the file: what a
// command reading values, or the latest runs, needs, at a cost that does
// not grow with history.
func (s *Store) LoadRecent() (*State, error) {
	st, _, err := s.load()
	var le *LegacyError
	if !errors.As(err, &le) || le.Version != 0 && le.Version != previousVersion {
		return st, err
	}
	if s.readOnly {
		return s.convertInMemory(le.Version)
	}
	if !s.AutoMigrate {
		return nil, err
	}
	unlock, lerr := s.lockWrite("migrate state")
	if lerr != nil {
		return nil, lerr
	}
	defer unlock()
	st, _, err = s.loadMigrating()
	return st, err
}

// convertInMemory shows a state of an earlier schema as this one, writing
// nothing: reading is free.
func (s *Store) convertInMemory(version int) (*State, error) {
	data, _, err := s.storage.Read(StateFile)
	if err != nil {
		return nil, err
	}
	if version == previousVersion {
		st, err := decodeAny(data, SchemaVersion)
		if err == nil {
			st.SchemaVersion = SchemaVersion
			err = st.ensureMaps().Validate()
		}
		if err != nil {
			return nil, loadError(s.storage, StateFile, err)
		}
		return st, nil
	}
	m, err := convertV1(data, s.now())
	if err != nil {
		return nil, loadError(s.storage, StateFile, err)
	}
	if s.OnReadV1 != nil {
		s.OnReadV1()
	}
	return m.State, nil
}

func (s *Store) load() (*State, string, error) {
	data, ver, err := s.storage.Read(StateFile)
	if err != nil {
		return nil, "", err
	}
	st, err := Decode(data)
	if err != nil {
		return nil, "", loadError(s.storage, StateFile, err)
	}
	return st.ensureMaps(), ver, nil
}

// loadMigrating is load for a caller holding the write lock: a file of an
// earlier schema is migrated first (kept, converted, saved); for a v1 file
// the caller is told.
func (s *Store) loadMigrating() (*State, string, error) {
	data, ver, err := s.storage.Read(StateFile)
	if err != nil {
		return nil, "", err
	}
	st, err := Decode(data)
	var le *LegacyError
	switch {
	case errors.As(err, &le) && le.Version == 0 && s.AutoMigrate:
		m, err := s.migrateLocked(data, ver, false)
		if err != nil {
			return nil, "", err
		}
		if s.OnMigrate != nil {
			s.OnMigrate(m)
		}
		return s.load()
	case errors.As(err, &le) && le.Version == previousVersion && s.AutoMigrate:
		st, dir, err := s.migrateV2(data, ver)
		if err != nil {
			return nil, "", err
		}
		if s.OnMigrate != nil {
			s.OnMigrate(&Migration{From: previousVersion, DeploymentID: st.DeploymentID, State: st, Archive: dir})
		}
		return s.load()
	case err != nil:
		return nil, "", loadError(s.storage, StateFile, err)
	}
	return st.ensureMaps(), ver, nil
}

// Decode parses and validates state bytes: the JSON body k0flow writes
// through encoding/json, or a file in YAML's block style (one edited by
// hand, or an earlier schema) through yaml.v3; then the JSON Schema and the
// checks a schema cannot express. Nothing is written either way.
func Decode(data []byte) (*State, error) {
	st, err := decodeAny(data, SchemaVersion)
	if err != nil {
		return nil, err
	}
	if st.SchemaVersion == previousVersion {
		return nil, &LegacyError{Version: previousVersion}
	}
	if err := st.Validate(); err != nil {
		return nil, err
	}
	return st, nil
}

// decodeAny decodes a state of schema version want, or of the version
// before it for migration (returned with its own version).
func decodeAny(data []byte, want int) (*State, error) {
	if body := jsonBody(data); body != nil {
		return decodeJSON(data, body, want)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	v, err := shapeOf(&doc)
	if err != nil {
		return nil, err
	}
	if v != want && v != previousVersion {
		return nil, &LegacyError{Version: v}
	}
	if err := checkSchema(&doc, data); err != nil {
		return nil, err
	}
	st := &State{}
	if err := doc.Decode(st); err != nil {
		return nil, err
	}
	return st, nil
}

func decodeJSON(data, body []byte, want int) (*State, error) {
	var doc any
	if err := unmarshalBody(data, body, &doc); err != nil {
		return nil, err
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return nil, errors.New("the top level must be a mapping")
	}
	v := versionOf(top["schema_version"])
	if v != want && v != previousVersion {
		return nil, &LegacyError{Version: v}
	}
	if err := validateDoc(top, data, nil); err != nil {
		return nil, err
	}
	f := &stateFile{State: &State{}}
	if err := unmarshalBody(data, body, f); err != nil {
		return nil, err
	}
	return fromFile(f), nil
}

func versionOf(v any) int {
	switch t := v.(type) {
	case nil:
		return 0
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return int(i)
		}
	case int:
		return t
	}
	return -1
}

// previousVersion is the schema a load migrates from by itself.
const previousVersion = 2

// shapeOf explains bytes that are not a state at all, and returns the
// schema_version of those that are.
func shapeOf(doc *yaml.Node) (int, error) {
	if len(doc.Content) == 0 {
		return 0, errors.New("the file is empty")
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return 0, fmt.Errorf("line %d: the top level must be a mapping, not a %s", top.Line, kindName(top.Kind))
	}
	return schemaVersionOf(top), nil
}

// LegacyError is a state file of an earlier schema: it needs migration.
type LegacyError struct{ Version int }

func (e *LegacyError) Error() string {
	if e.Version == 0 {
		return "this is a v1 state file of the bash project (no schema_version); run `k0flow state migrate`"
	}
	if e.Version == previousVersion {
		return fmt.Sprintf("schema_version %d was written by an earlier k0flow; any k0flow command that writes (apply, state set) migrates it, keeping the file in old_deployments/", e.Version)
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

// Encode renders the state as its file: the header, then the state as
// indented JSON, which is YAML's flow style (see codec.go). A string that
// is not UTF-8 text is refused, naming where it is.
func Encode(st *State) ([]byte, error) {
	if err := st.checkKeys(); err != nil {
		return nil, err
	}
	body, err := marshalFile(toFile(st))
	if err != nil {
		return nil, textError(err, st)
	}
	return append([]byte(header), body...), nil
}

// Update applies fn to the current state under the write lock and saves
// the result atomically and durably. fn returning an error leaves the
// state untouched.
func (s *Store) Update(fn func(*State) error) error {
	return s.update(nil, fn, !s.DeferSync)
}

// UpdateOrInit is Update for a deployment that may not have a state yet:
// newState makes the first one.
func (s *Store) UpdateOrInit(newState func() *State, fn func(*State) error) error {
	return s.update(newState, fn, !s.DeferSync)
}

// UpdateStarting is Update for a transition that must outlive the process
// but may be lost with the machine: a phase recorded as started (and its
// process group). The save is atomic, without fsync; the transition that
// ends the phase is durable, and makes everything before it durable too.
func (s *Store) UpdateStarting(fn func(*State) error) error {
	return s.update(nil, fn, false)
}

func (s *Store) update(newState func() *State, fn func(*State) error, durable bool) error {
	if _, cas := s.storage.(casWriter); cas {
		// Conditional writes alone serialize writers: one that loses a
		// race reloads, applies its change again and retries.
		for attempt := 1; ; attempt++ {
			err := s.updateOnce(newState, fn, durable)
			if !errors.Is(err, ErrVersionMismatch) || attempt == maxCASAttempts {
				return err
			}
			time.Sleep(time.Duration(attempt*attempt) * time.Millisecond * time.Duration(1+mathrand.IntN(10)))
		}
	}
	unlock, err := s.lockWrite("write state")
	if err != nil {
		return err
	}
	defer unlock()
	return s.updateOnce(newState, fn, durable)
}

// maxCASAttempts bounds the retries of an update that keeps losing races.
const maxCASAttempts = 50

// casWriter is a Storage whose conditional writes are all the
// serialization writers need (a blob's ETag): updates take no write lock.
type casWriter interface{ ConditionalWritesOnly() }

func (s *Store) updateOnce(newState func() *State, fn func(*State) error, durable bool) error {
	st, ver, old, err := s.loadForUpdate()
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
	if err := s.spill(st); err != nil {
		return err
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
	if err := s.save(data, ver, durable, old); err != nil {
		if errors.Is(err, ErrVersionMismatch) {
			return err
		}
		return fmt.Errorf("save %s: %w (the state and its backup were left as they were)", s.Path(), err)
	}
	s.memo.put(data, st)
	return nil
}

// View calls fn with the state as its file holds it (the recent runs;
// see LoadRecent), without parsing the file again when this store last
// saved or read exactly its bytes: what a long-lived reader of one state
// (apply's library server) does many times. fn must neither change the
// state nor keep any part of it.
func (s *Store) View(fn func(*State) error) error {
	data, _, err := s.storage.Read(StateFile)
	if err != nil {
		return err
	}
	if done, err := s.memo.view(data, fn); done {
		return err
	}
	st, err := Decode(data)
	if err != nil {
		if st, err = s.LoadRecent(); err != nil { // an earlier schema, or a broken file
			return err
		}
		return fn(st)
	}
	s.memo.put(data, st.ensureMaps())
	if done, err := s.memo.view(data, fn); done {
		return err
	}
	return fn(st) // an update took it meanwhile: this copy is still the file's
}

// InfraFacts returns a copy of the Terraform outputs cache as the state
// file holds it (nil when there is none): what a runner checks before each
// phase that reads infra.*. Through View, it parses nothing when the file
// holds what this store last saved. The copy goes through JSON, as the
// file does, so that nothing of the viewed state is kept.
func (s *Store) InfraFacts() (*InfraFacts, error) {
	var out *InfraFacts
	err := s.View(func(st *State) error {
		if st.InfrastructureFacts == nil {
			return nil
		}
		data, err := json.Marshal(st.InfrastructureFacts)
		if err != nil {
			return err
		}
		f := &InfraFacts{}
		if err := unmarshalFile(data, f); err != nil {
			return err
		}
		f.Outputs, _ = FromJSON(f.Outputs).(map[string]any)
		out = f
		return nil
	})
	return out, err
}

// DeploymentID is the state's deployment id, read as InfraFacts reads.
func (s *Store) DeploymentID() (string, error) {
	var id string
	err := s.View(func(st *State) error { id = st.DeploymentID; return nil })
	return id, err
}

// loadForUpdate is loadMigrating through the memo: when the file holds
// exactly the bytes this store last saved, the state it saved is taken
// instead of parsed again (a runner's phase transitions, one after
// another). Any other bytes, and every read outside update, are parsed
// and validated in full.
func (s *Store) loadForUpdate() (*State, string, []byte, error) {
	data, ver, err := s.storage.Read(StateFile)
	if err != nil {
		return nil, "", nil, err
	}
	if st := s.memo.take(data); st != nil {
		if checkWrites {
			if err := checkWrite(data, st); err != nil {
				return nil, "", nil, fmt.Errorf("the memo disagrees with the file (a k0flow bug): %w", err)
			}
		}
		return st, ver, data, nil
	}
	if st, err := Decode(data); err == nil {
		return st.ensureMaps(), ver, data, nil
	}
	st, ver, err := s.loadMigrating() // an earlier schema migrates; a broken file says why
	return st, ver, nil, err
}

// memo is the state this store last saved, with its bytes. It lives only
// in this process, is handed out once (take) to the next update, which
// owns it, and is put back only after that update's save succeeded.
type memo struct {
	mu   sync.Mutex
	data []byte
	st   *State
}

func (m *memo) take(data []byte) *State {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, held := m.st, m.data
	m.st, m.data = nil, nil
	if st == nil || !bytes.Equal(data, held) {
		return nil
	}
	return st
}

// view calls fn with the memo's state if it was saved (or read) as data,
// holding the memo so that no update takes it meanwhile.
func (m *memo) view(data []byte, fn func(*State) error) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.st == nil || !bytes.Equal(data, m.data) {
		return false, nil
	}
	return true, fn(m.st)
}

func (m *memo) put(data []byte, st *State) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data, m.st = data, st
}

// save writes the state if it is still at version ver, keeping the
// previous version as the backup.
func (s *Store) save(data []byte, ver string, durable bool, old []byte) error {
	if bw, ok := s.storage.(backupWriter); ok {
		_, err := bw.WriteKeepingBackup(StateFile, data, ver, durable)
		return err
	}
	if old == nil && ver != "" {
		old, _, _ = s.storage.Read(StateFile)
	}
	if old != nil {
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
// another process holds it. The lock is held until the Unlocker is called
// or ctx is done (a lease that is no longer renewed expires).
func (s *Store) LockRun(ctx context.Context, operation string) (Unlocker, error) {
	h := s.holder(operation)
	h.ID = randomHex(8)
	unlock, err := s.storage.Lock(ctx, "run", h, false)
	if err == nil {
		s.runLockID = h.ID
	}
	return unlock, err
}

// RunLockLost says whether the run lock this store took was lost while
// held (a lease broken by force-unlock, or not renewed in time): nil while
// it holds, and always for a lock that cannot be lost (flock).
func (s *Store) RunLockLost() error {
	if w, ok := s.storage.(LockWatcher); ok && s.runLockID != "" {
		return w.LockLost("run", s.runLockID)
	}
	return nil
}

// ForceUnlock breaks the run lock held with id, for a storage whose locks
// outlive their holder; it returns who held it. Elsewhere (flock) a lock
// dies with its process and there is nothing to break.
func (s *Store) ForceUnlock(id string) (LockHolder, error) {
	lb, ok := s.storage.(LockBreaker)
	if !ok {
		return LockHolder{}, &InputError{Msg: "this state's run lock is released when its process exits (a local directory's flock): there is nothing to force; stop the process that holds it"}
	}
	h, err := lb.BreakLock("run", func(h LockHolder) bool { return h.ID == id })
	if err != nil {
		return h, err
	}
	// A runner killed while it saved held the write lock too.
	_, _ = lb.BreakLock("write", func(w LockHolder) bool { return w.PID == h.PID && w.Host == h.Host })
	return h, nil
}

// lockWrite takes the write lock, held for the few milliseconds of one
// read-modify-write.
func (s *Store) lockWrite(op string) (Unlocker, error) {
	ctx, cancel := context.WithTimeout(context.Background(), writeLockWait)
	defer cancel()
	unlock, err := s.storage.Lock(ctx, "write", s.holder(op), true)
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("%s: the write lock of %s was not free after %s (is a process stuck holding it? see `k0flow status`)", op, s.storage.Location(""), writeLockWait)
	}
	return unlock, err
}

// writeLockWait bounds the wait for the write lock, which is only ever
// held for one read-modify-write.
const writeLockWait = 2 * time.Minute

func (s *Store) holder(op string) LockHolder {
	id := identity()
	return LockHolder{PID: os.Getpid(), Host: id.host, User: id.user, Operation: op, Since: s.now()}
}

// identity is this process's host and user, looked up once: a runner
// takes the write lock several times a phase.
var identity = sync.OnceValue(func() (id struct{ host, user string }) {
	id.host, _ = os.Hostname()
	if u, err := user.Current(); err == nil {
		id.user = u.Username
	}
	return id
})

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
