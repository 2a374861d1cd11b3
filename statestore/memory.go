package statestore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Memory is Storage in this process's memory: the second implementation
// of the seam, which proves that nothing above statestore needs a local
// directory, and a store for tests. Its locks are leases, as a shared
// blob's are: taken for LeaseTTL, renewed in the background while held,
// and lost by a holder that stops renewing (SimulateCrash).
type Memory struct {
	Holdings // the leases taken through this Memory, for LockLost

	// LeaseTTL is how long a lock lasts without renewal; 0 means 15 s.
	LeaseTTL time.Duration

	mu      sync.Mutex
	files   map[string]*memFile
	locks   map[string]*memLease
	version int64
	crashed chan struct{} // closed by SimulateCrash: renewals stop
}

type memFile struct {
	data    []byte
	version string
}

type memLease struct {
	holder  LockHolder
	token   int64
	expires time.Time
}

var _ Storage = (*Memory)(nil)

// NewMemory returns an empty Memory.
func NewMemory() *Memory {
	return &Memory{files: map[string]*memFile{}, locks: map[string]*memLease{}, crashed: make(chan struct{})}
}

func (m *Memory) ttl() time.Duration {
	if m.LeaseTTL > 0 {
		return m.LeaseTTL
	}
	return 15 * time.Second
}

func (m *Memory) nextVersion() string {
	m.version++
	return strconv.FormatInt(m.version, 10)
}

// Location implements Storage.
func (m *Memory) Location(name string) string { return "memory:" + name }

// Read implements Storage.
func (m *Memory) Read(name string) ([]byte, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.files[name]
	if !ok {
		return nil, "", fmt.Errorf("%s: %w", m.Location(name), ErrNotExist)
	}
	return bytes.Clone(f.data), f.version, nil
}

// Write implements Storage.
func (m *Memory) Write(name string, data []byte, ifVersion string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := ""
	if f, ok := m.files[name]; ok {
		cur = f.version
	}
	if ifVersion != AnyVersion && ifVersion != cur {
		return "", fmt.Errorf("write %s: %w", m.Location(name), ErrVersionMismatch)
	}
	v := m.nextVersion()
	m.files[name] = &memFile{data: bytes.Clone(data), version: v}
	return v, nil
}

// Append implements Storage.
func (m *Memory) Append(name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.files[name]
	if !ok {
		f = &memFile{}
		m.files[name] = f
	}
	if len(f.data) > 0 && f.data[len(f.data)-1] != '\n' {
		return fmt.Errorf("%s %w", m.Location(name), ErrTornTail)
	}
	f.data = append(f.data, data...)
	f.version = m.nextVersion()
	return nil
}

// Stream implements Storage.
func (m *Memory) Stream(name string) (io.WriteCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.files[name]; !ok {
		m.files[name] = &memFile{version: m.nextVersion()}
	}
	return &memStream{m: m, name: name}, nil
}

type memStream struct {
	m    *Memory
	name string
}

func (w *memStream) Write(p []byte) (int, error) {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	f, ok := w.m.files[w.name]
	if !ok {
		f = &memFile{}
		w.m.files[w.name] = f
	}
	f.data = append(f.data, p...)
	f.version = w.m.nextVersion()
	return len(p), nil
}

func (w *memStream) Close() error { return nil }

// List implements Storage.
func (m *Memory) List(prefix string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for name := range m.files {
		if strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Move implements Storage.
func (m *Memory) Move(from, to string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.files[from]
	if !ok {
		return fmt.Errorf("%s: %w", m.Location(from), ErrNotExist)
	}
	if _, ok := m.files[to]; ok {
		return fmt.Errorf("move to %s: %w", m.Location(to), fs.ErrExist)
	}
	delete(m.files, from)
	m.files[to] = f
	return nil
}

// Remove implements Storage.
func (m *Memory) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.files, name)
	return nil
}

// Lock implements Storage with a lease.
func (m *Memory) Lock(ctx context.Context, name string, holder LockHolder, wait bool) (Unlocker, error) {
	delay := time.Millisecond
	for {
		m.mu.Lock()
		l, held := m.locks[name]
		if held && time.Now().After(l.expires) {
			held = false // its holder stopped renewing: the lease is over
		}
		if !held {
			m.version++
			lease := &memLease{holder: holder, token: m.version, expires: time.Now().Add(m.ttl())}
			m.locks[name] = lease
			crashed := m.crashed
			m.mu.Unlock()
			return m.renew(name, holder.ID, lease.token, crashed), nil
		}
		h := l.holder
		m.mu.Unlock()
		if !wait {
			return nil, &LockedError{Lock: name + " lock", Holder: h}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		if delay < 8*time.Millisecond {
			delay *= 2
		}
	}
}

// renew keeps a lease until it is released, or until SimulateCrash.
func (m *Memory) renew(name, holderID string, token int64, crashed chan struct{}) Unlocker {
	mine := func(do func(l *memLease)) bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		// As Azure does, a lease that expired can be renewed while no one
		// has taken it since: the token is still the holder's.
		if l := m.locks[name]; l != nil && l.token == token {
			do(l)
			return true
		}
		return false
	}
	return m.HoldLease(name, holderID, m.ttl(), crashed,
		func() error {
			if !mine(func(l *memLease) { l.expires = time.Now().Add(m.ttl()) }) {
				return &LostLeaseError{Err: fmt.Errorf("the %s lease was broken or expired", name)}
			}
			return nil
		},
		func() error {
			mine(func(*memLease) { delete(m.locks, name) })
			return nil
		})
}

// SimulateCrash stops renewing every lease taken so far, as the death of
// their holder would: they expire after LeaseTTL.
func (m *Memory) SimulateCrash() {
	m.mu.Lock()
	defer m.mu.Unlock()
	close(m.crashed)
	m.crashed = make(chan struct{})
}

// LeaseDuration is the lease's length, for tests of renewal.
func (m *Memory) LeaseDuration() time.Duration { return m.ttl() }

// BreakLock implements LockBreaker.
func (m *Memory) BreakLock(name string, match func(LockHolder) bool) (LockHolder, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.locks[name]
	if !ok || time.Now().After(l.expires) || !match(l.holder) {
		return LockHolder{}, ErrNoLock
	}
	delete(m.locks, name)
	return l.holder, nil
}
