package statestore

import (
	"sync"
	"time"
)

// HoldLease is the holding side of a lease-shaped lock, for a Storage
// whose locks outlive their holder: renew is called every third of the
// lease's length until the returned Unlocker runs release (once), or until
// crashed is closed (a test's stand-in for the holder's death), after
// which the lease is left to expire.
func HoldLease(length time.Duration, crashed <-chan struct{}, renew func(), release func() error) Unlocker {
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(length / 3)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-crashed:
				return
			case <-tick.C:
				renew()
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
	}
}
