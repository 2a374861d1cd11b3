package statestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Storage is where every byte k0flow persists lives: the state, the run
// records, the events, the phase logs, the archives and the locks. It
// knows nothing of their meaning. Names are slash-separated paths;
// names under ArchivePrefix are the archives (old_deployments/), which a
// local directory keeps beside the state directory, as the bash project
// does. The local directory (Dir) and memory (Memory) are the
// implementations; any other must pass storagetest.Run as they do.
type Storage interface {
	// Read returns the bytes of name and an opaque version. A name that does
	// not exist gives an error matching ErrNotExist.
	Read(name string) (data []byte, version string, err error)
	// Write replaces name with data, durably and atomically, if its version
	// is still ifVersion ("" meaning "must not exist yet", AnyVersion
	// meaning "whatever is there"); otherwise ErrVersionMismatch.
	Write(name string, data []byte, ifVersion string) (version string, err error)
	// Append adds whole lines (data ends with a line break) to the end of
	// name, creating it if absent, durably and all or nothing. If what is
	// there does not end with a line break (an earlier append was torn),
	// nothing is appended and the error matches ErrTornTail.
	Append(name string, data []byte) error
	// Stream returns a writer that appends to name as it is written to, for
	// output that arrives over time (a phase's log); after Close returns
	// nil, everything written is stored.
	Stream(name string) (io.WriteCloser, error)
	// List returns the names that start with prefix, sorted.
	List(prefix string) ([]string, error)
	// Move renames from to to, which must not exist yet.
	Move(from, to string) error
	// Remove deletes name; a name that does not exist is not an error.
	Remove(name string) error
	// Lock takes the named lock for holder. With wait false, a held lock
	// gives a *LockedError at once, naming its holder; with wait true, Lock
	// waits until the lock is free or ctx is done. A lock is a lease: an
	// implementation whose locks do not die with their process renews it
	// in the background until it is released, and a holder that stops
	// renewing loses it once the lease expires.
	Lock(ctx context.Context, name string, holder LockHolder, wait bool) (Unlocker, error)
	// Location says where name lives, for messages.
	Location(name string) string
}

// ArchivePrefix starts the names of archives: a destroyed deployment, runs
// moved out by prune, the files a migration replaced.
const ArchivePrefix = "old_deployments/"

// ErrTornTail is returned by Append when what is stored does not end with
// a line break.
var ErrTornTail = errors.New("does not end with a line break (an earlier write was cut short)")

// AnyVersion makes Write replace whatever is there.
const AnyVersion = "*"

// Unlocker releases a lock.
type Unlocker func() error

// LockHolder identifies who holds a lock.
type LockHolder struct {
	PID       int    `yaml:"pid" json:"pid"`
	Host      string `yaml:"host" json:"host"`
	User      string `yaml:"user,omitempty" json:"user,omitempty"`
	Operation string `yaml:"operation" json:"operation"`
	RunID     string `yaml:"run_id,omitempty" json:"run_id,omitempty"`
	// ID names this holding of the lock, for force-unlock, where a lock
	// can outlive its holder (a lease).
	ID    string    `yaml:"id,omitempty" json:"id,omitempty"`
	Since time.Time `yaml:"since" json:"since"`
}

var (
	// ErrNotExist is returned by Read for a name that has never been written.
	ErrNotExist = errors.New("does not exist")
	// ErrVersionMismatch is returned by Write when someone else wrote first.
	ErrVersionMismatch = errors.New("state was changed by another process")
)

// LockedError says a lock is held by someone else.
type LockedError struct {
	Lock   string
	Holder LockHolder
}

func (e *LockedError) Error() string {
	h := e.Holder
	held := fmt.Sprintf("%s is held by another k0flow process", e.Lock)
	if h.PID != 0 {
		held = fmt.Sprintf("%s is held by pid %d on %s (%s since %s)", e.Lock, h.PID, h.Host, h.Operation,
			h.Since.Local().Format(time.RFC3339))
	}
	if e.Lock == "run lock" {
		msg := "another k0flow run is in progress: " + held + "; wait for it to finish"
		if h.ID != "" {
			msg += fmt.Sprintf(", or if its runner is gone and you cannot wait for the lease to expire, k0flow force-unlock %s", h.ID)
		}
		return msg
	}
	return held
}

// ExitCode: a lock held by another process is a failure to act now (1).
func (e *LockedError) ExitCode() int { return 1 }

// Optional abilities a Storage may have; the Store falls back to plain
// Read and Write without them.
type (
	// backupWriter keeps the replaced version as name+".backup" itself,
	// more cheaply than a copy, and can skip durability (see Dir's).
	backupWriter interface {
		WriteKeepingBackup(name string, data []byte, ifVersion string, durable bool) (string, error)
	}
)

var _ backupWriter = (*Dir)(nil)

// LockBreaker is a Storage whose locks can outlive their holder (leases):
// BreakLock ends the named lock if its holder matches, returning who held
// it.
type LockBreaker interface {
	BreakLock(name string, match func(LockHolder) bool) (LockHolder, error)
}

// ErrNoLock is BreakLock's answer when the lock is not held, or not with
// that ID.
var ErrNoLock = errors.New("the lock is not held with that ID")
