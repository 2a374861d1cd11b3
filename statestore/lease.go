package statestore

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrLockLost says a lease-shaped lock this process held is held no more:
// broken (force-unlock), or not renewed within its length (the storage was
// unreachable that long). Another process may hold it now.
var ErrLockLost = errors.New("the lock was lost")

// LockWatcher is a Storage whose locks can be lost while held (leases):
// LockLost says whether the holding of the named lock with the holder's ID
// was (an error matching ErrLockLost), nil while it holds.
type LockWatcher interface {
	LockLost(name, holderID string) error
}

// HeldKey names one holding of a lock, for a LockWatcher's bookkeeping.
func HeldKey(name, holderID string) string { return name + "\x00" + holderID }

// Lease is the standing of a held lease.
type Lease struct {
	mu   sync.Mutex
	lost error
}

// Lost is nil while the lease holds, else why it does not (ErrLockLost).
func (l *Lease) Lost() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

func (l *Lease) lose(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost == nil {
		l.lost = err
	}
}

// LostLeaseError is what renew returns when the storage says the lease is
// no longer this holder's: HoldLease stops renewing and the lease is lost.
type LostLeaseError struct{ Err error }

func (e *LostLeaseError) Error() string { return e.Err.Error() }
func (e *LostLeaseError) Unwrap() error { return e.Err }

// HoldLease is the holding side of a lease-shaped lock, for a Storage
// whose locks outlive their holder: renew is called every third of the
// lease's length until the returned Unlocker runs release (once), or until
// crashed is closed (a test's stand-in for the holder's death), after
// which the lease is left to expire.
//
// The Lease says when the holding ended without release: renew returned a
// *LostLeaseError (the storage gave the lease to no one, or to another),
// or renewals kept failing for a whole lease length, after which the
// storage has let it expire.
func HoldLease(length time.Duration, crashed <-chan struct{}, renew func() error, release func() error) (Unlocker, *Lease) {
	stop, done := make(chan struct{}), make(chan struct{})
	lease := &Lease{}
	go func() {
		defer close(done)
		tick := time.NewTicker(length / 3)
		defer tick.Stop()
		renewed := time.Now()
		for {
			select {
			case <-stop:
				return
			case <-crashed:
				return
			case <-tick.C:
				err := renew()
				var lost *LostLeaseError
				switch {
				case err == nil:
					renewed = time.Now()
				case errors.As(err, &lost):
					lease.lose(fmt.Errorf("%w: %v", ErrLockLost, err))
					return
				case time.Since(renewed) >= length:
					lease.lose(fmt.Errorf("%w: not renewed for %s, longer than the lease (%v)", ErrLockLost, time.Since(renewed).Round(time.Second), err))
					return
				}
			}
		}
	}()
	var once sync.Once
	var err error
	return func() error {
		once.Do(func() {
			close(stop)
			<-done
			err = release()
		})
		return err
	}, lease
}
