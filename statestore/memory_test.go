package statestore_test

import (
	"testing"
	"time"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/statestore/storagetest"
)

func TestMemoryConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) (statestore.Storage, statestore.Storage) {
		m := statestore.NewMemory()
		return m, m
	})
}

func TestMemoryLeases(t *testing.T) {
	storagetest.RunLeases(t, func(t *testing.T) (storagetest.Leaser, storagetest.Leaser) {
		m := statestore.NewMemory()
		// Short, for the test's time; long enough that a renewal (every third)
		// is not late on a loaded 2-core machine: a late one loses the lease.
		m.LeaseTTL = 300 * time.Millisecond
		return m, m
	})
}
