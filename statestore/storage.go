package statestore

import (
	"errors"
	"fmt"
	"time"
)

// Storage is where the state's bytes live. It knows nothing of their
// meaning: it reads a named blob with a version, writes it back only if the
// version still matches, appends to it, and takes named locks. The local
// directory is the first implementation; a shared blob with a lease is the
// next, and it must pass storagetest.Run as Dir does.
type Storage interface {
	// Read returns the bytes of name and an opaque version. A name that does
	// not exist gives an error matching ErrNotExist.
	Read(name string) (data []byte, version string, err error)
	// Write replaces name with data if its version is still ifVersion (""
	// meaning "must not exist yet", AnyVersion meaning "whatever is
	// there"); otherwise ErrVersionMismatch.
	Write(name string, data []byte, ifVersion string) (version string, err error)
	// Append adds data to the end of name, creating it with data if absent.
	Append(name string, data []byte) error
	// Remove deletes name; a name that does not exist is not an error.
	Remove(name string) error
	// Lock takes the named lock. With wait false, a held lock gives a
	// *LockedError at once, naming the holder.
	Lock(name string, holder LockHolder, wait bool) (Unlocker, error)
	// Location says where name lives, for messages.
	Location(name string) string
}

// AnyVersion makes Write replace whatever is there.
const AnyVersion = "*"

// Unlocker releases a lock.
type Unlocker func() error

// LockHolder identifies who holds a lock.
type LockHolder struct {
	PID       int       `yaml:"pid" json:"pid"`
	Host      string    `yaml:"host" json:"host"`
	Operation string    `yaml:"operation" json:"operation"`
	Since     time.Time `yaml:"since" json:"since"`
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
	if h.PID == 0 {
		return fmt.Sprintf("%s is held by another k0flow process", e.Lock)
	}
	return fmt.Sprintf("%s is held by pid %d on %s (%s since %s)", e.Lock, h.PID, h.Host, h.Operation,
		h.Since.Local().Format(time.RFC3339))
}

// Optional abilities a Storage may have; the Store falls back to plain
// Read and Write without them.
type (
	// backupWriter keeps the replaced version as name+".backup" itself,
	// more cheaply than a copy.
	backupWriter interface {
		WriteKeepingBackup(name string, data []byte, ifVersion string) (string, error)
	}
	// volatileWriter writes data that can be rebuilt without paying for
	// durability.
	volatileWriter interface {
		WriteVolatile(name string, data []byte) error
	}
)

var (
	_ backupWriter   = (*Dir)(nil)
	_ volatileWriter = (*Dir)(nil)
)
