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

// heldLease is the standing of a held lease.
type heldLease struct {
	mu   sync.Mutex
	lost error
}

// Lost is nil while the lease holds, else why it does not (ErrLockLost).
func (l *heldLease) Lost() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

func (l *heldLease) lose(err error) {
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

// Holdings are the leases this process holds on one storage: a lease
// storage embeds it, and so implements LockWatcher.
type Holdings struct {
	mu   sync.Mutex
	held map[string]*heldLease // by lock name and holder ID
}

// LockLost implements LockWatcher.
func (h *Holdings) LockLost(name, holderID string) error {
	h.mu.Lock()
	lease := h.held[leaseKey(name, holderID)]
	h.mu.Unlock()
	if lease == nil {
		return nil
	}
	return lease.Lost()
}

// leaseKey names a holding: a lock's name and its holder's ID.
func leaseKey(name, holderID string) string { return name + "\x00" + holderID }

func (h *Holdings) set(key string, lease *heldLease) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if lease == nil {
		delete(h.held, key)
		return
	}
	if h.held == nil {
		h.held = map[string]*heldLease{}
	}
	h.held[key] = lease
}

// HoldLease is the holding side of a lease-shaped lock, for a Storage
// whose locks outlive their holder: renew is called every third of the
// lease's length until the returned Unlocker runs release (once), or until
// crashed is closed (a test's stand-in for the holder's death), after
// which the lease is left to expire. The holding is in h, by the lock's
// name and the holder's ID, until it is released.
//
// h's LockLost says when the holding ended without release: renew returned
// a *LostLeaseError (the storage gave the lease to no one, or to another),
// or renewals kept failing for a whole lease length, after which the
// storage has let it expire.
func (h *Holdings) HoldLease(name, holderID string, length time.Duration, crashed <-chan struct{}, renew func() error, release func() error) Unlocker {
	stop, done := make(chan struct{}), make(chan struct{})
	lease := &heldLease{}
	key := leaseKey(name, holderID)
	h.set(key, lease)
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
			h.set(key, nil)
			err = release()
		})
		return err
	}
}
